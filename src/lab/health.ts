/**
 * Health checks (LAVA's idea, without the admin): a rig that fails one is taken out of rotation
 * (its queue paused, with the reason) and comes back by itself after N passing checks in a row,
 * or by `hil lab resume RIG`. One module per concern; this one is what the worker imports.
 */
export type { HealthCheckStep, HealthResult, HealthState } from './health-types.js';
export { runHealthCheck, healthImageFile, type HealthCheckOptions } from './health-check.js';
export { recordHealth, readHealth, resumeRig } from './health-record.js';
export { enqueueHealth, enqueueRecheck, recheckDelayMs, scheduleHealth, HEALTH_JOB, RECHECK_MS } from './health-queue.js';
