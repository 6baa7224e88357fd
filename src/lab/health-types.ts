/** What a health check found, as recordHealth, the worker's results and `hil lab status` see it. */

export interface HealthCheckStep {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HealthResult {
  rig: string;
  ok: boolean;
  /** `<check>: <detail>` of the first check that failed. */
  reason?: string;
  checks: HealthCheckStep[];
  /** Epoch ms when the check finished. */
  at: number;
}

/**
 * The rig's health as its hash (healthKey) holds it: `ok` after a pass, `paused` once a failure took
 * it out of rotation (until passesToResume passes in a row), `unknown` before any check or after a
 * resume by hand; `failing` is a failure whose pause did not take (Redis refused the queue's pause).
 */
export type HealthState = 'ok' | 'failing' | 'paused' | 'unknown';
