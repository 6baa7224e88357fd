/**
 * Putting health checks on a rig's health queue: one now (after a rig error, by hand), or a job
 * scheduler that adds one every lab.yaml health.everyMs. The worker that owns the rig runs them
 * (runHealthCheck, recordHealth). The health queue is never paused, so a paused rig still gets
 * the checks that bring it back.
 */
import type { HealthJob } from './jobs.js';
import type { LabConfig } from './config.js';
import { operator } from './audit.js';
import { openHealthQueue } from './queues.js';

/** The BullMQ job name of a health check. */
export const HEALTH_JOB = 'health';

/** Finished health jobs BullMQ keeps (the rig's health hash has the verdict; these are for digging). */
const KEEP = { removeOnComplete: 50, removeOnFail: 50 } as const;

/** A job's reason is one line of at most 200 printable characters (jobs.ts): a rig error's message is squeezed into one. */
export function jobReason(text: string): string {
  const chars = Array.from(
    text
      // eslint-disable-next-line no-control-regex -- control characters are exactly what a job's reason may not hold
      .replace(/[\x00-\x1f\x7f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  if (chars.length === 0) return 'health check';
  return chars.length > 200 ? `${chars.slice(0, 199).join('')}…` : chars.join('');
}

/** The scheduler's id on a rig's health queue (one per rig: upserting again replaces it). */
export function healthSchedulerId(rig: string): string {
  return `health-every.${rig}`;
}

/**
 * Queues one health check of `rig`. At most one per rig: while one is queued or running, another
 * request (a second rig error) returns that job's id instead of adding one (BullMQ's deduplication).
 */
export async function enqueueHealth(lab: LabConfig, rig: string, reason: string, opts: { by?: string; delayMs?: number } = {}): Promise<string | undefined> {
  const queue = await openHealthQueue(lab, rig);
  try {
    const data: HealthJob = { kind: 'health', rig, reason: jobReason(reason), by: opts.by ?? operator(), enqueuedAt: Date.now() };
    const job = await queue.add(HEALTH_JOB, data, {
      ...KEEP,
      deduplication: { id: `health.${rig}` },
      ...(opts.delayMs !== undefined && { delay: opts.delayMs }),
    });
    return job.id;
  } finally {
    await queue.close();
  }
}

/** The first recheck of a paused rig comes this soon (then doubling per failure, up to health.everyMs). */
export const RECHECK_MS = 60_000;

/**
 * How long a paused rig waits for its next check: soon while it is passing again (each pass brings
 * it nearer to resuming), backing off while it keeps failing (a dead board is not power-cycled and
 * reprogrammed every minute all night); never longer than the schedule.
 */
export function recheckDelayMs(lab: LabConfig, health: { passes: number; failures: number }): number {
  const backoff = health.passes > 0 ? 1 : 2 ** Math.min(Math.max(health.failures - 1, 0), 6);
  return Math.min(lab.health.everyMs, RECHECK_MS * backoff);
}

/**
 * Queues the next check of a paused rig after `delayMs`, so that it comes back in minutes rather
 * than passesToResume × health.everyMs. While one recheck is pending (its delay not yet run out),
 * asking again adds none: a rig failing both a rig-error check and a scheduled one is rechecked once.
 */
export async function enqueueRecheck(lab: LabConfig, rig: string, delayMs: number, why: string): Promise<string | undefined> {
  const queue = await openHealthQueue(lab, rig);
  try {
    const data: HealthJob = { kind: 'health', rig, reason: jobReason(`recheck of a paused rig: ${why}`), by: 'health', enqueuedAt: Date.now() };
    // Throttled for the delay, not for the job's life: the check that asks for the next one is itself a recheck, still active.
    const job = await queue.add(HEALTH_JOB, data, { ...KEEP, delay: delayMs, deduplication: { id: `recheck.${rig}`, ttl: Math.max(1, delayMs) } });
    return job.id;
  } finally {
    await queue.close();
  }
}

/** A check every lab.health.everyMs on the rig's health queue (replacing an earlier schedule). */
export async function scheduleHealth(lab: LabConfig, rig: string): Promise<void> {
  const queue = await openHealthQueue(lab, rig);
  try {
    const data: HealthJob = { kind: 'health', rig, reason: `scheduled every ${lab.health.everyMs} ms`, by: 'scheduler', enqueuedAt: 0 };
    await queue.upsertJobScheduler(healthSchedulerId(rig), { every: lab.health.everyMs }, { name: HEALTH_JOB, data, opts: KEEP });
  } finally {
    await queue.close();
  }
}
