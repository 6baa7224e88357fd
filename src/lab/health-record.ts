/**
 * What a health check's result does to the rig: a failure pauses the rig's queue (BullMQ's own
 * pause: the rig's jobs wait, the health queue still runs) with the reason in the rig's health
 * hash; passesToResume passes in a row resume it. While paused, each check queues the next one
 * (health-queue.ts recheckDelayMs: a minute while passing, backing off while failing), so a rig
 * that was only briefly sick is back in minutes, not hours. Only the changes are audited (pause,
 * resume), so the checks of a dead rig do not bury the operator's own entries.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { audit } from './audit.js';
import type { LabConfig } from './config.js';
import type { HealthResult, HealthState } from './health-types.js';
import { healthKey, queuePrefix } from './keys.js';
import { rigQueueName } from './queues.js';
import { enqueueRecheck, recheckDelayMs } from './health-queue.js';

/** Who the automatic checks are in the audit log. */
export const HEALTH_ACTOR = 'health';

export interface RigHealth {
  state: HealthState;
  reason?: string;
  /** Passing checks in a row (0 after a failure). */
  passes: number;
  /** Failing checks in a row (0 after a pass). */
  failures: number;
  /** Epoch ms of the last check or change. */
  at?: number;
}

/** The rig's health hash, `unknown` when no check ever ran. */
export async function readHealth(redis: Redis, lab: LabConfig, rig: string): Promise<RigHealth> {
  return toHealth(await redis.hgetall(healthKey(lab.redis.prefix, rig)));
}

export function toHealth(h: Record<string, string>): RigHealth {
  const state = (['ok', 'failing', 'paused', 'unknown'] as const).find((s) => s === h.state) ?? 'unknown';
  return {
    state,
    ...(h.reason && { reason: h.reason }),
    passes: Number(h.passes ?? 0) || 0,
    failures: Number(h.failures ?? 0) || 0,
    ...(h.at && { at: Number(h.at) }),
  };
}

/** The rig's BullMQ queue on the caller's connection (closing it leaves the connection open). */
async function withRigQueue<T>(redis: Redis, lab: LabConfig, rig: string, body: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(rigQueueName(rig), { connection: redis, prefix: queuePrefix(lab.redis.prefix) });
  try {
    return await body(queue);
  } finally {
    await queue.close();
  }
}

export async function recordHealth(redis: Redis, lab: LabConfig, result: HealthResult): Promise<{ paused: boolean; resumed: boolean }> {
  const key = healthKey(lab.redis.prefix, result.rig);
  const before = await readHealth(redis, lab, result.rig);
  const at = String(result.at);
  if (!result.ok) {
    const reason = result.reason ?? 'health check failed';
    let state: HealthState = 'paused';
    try {
      await withRigQueue(redis, lab, result.rig, (q) => q.pause());
    } catch (err) {
      // The hash still says the rig is bad; status shows it failing, not paused.
      state = 'failing';
      await redis.hset(key, { state, reason: `${reason} (pausing its queue failed: ${(err as Error).message})`, passes: '0', at });
      await redis.hincrby(key, 'failures', 1);
      throw err;
    }
    await redis.multi().hset(key, { state, reason, passes: '0', at }).hincrby(key, 'failures', 1).exec();
    if (before.state !== 'paused') await audit(redis, lab, { by: HEALTH_ACTOR, action: 'pause', rig: result.rig, detail: reason });
    await enqueueRecheck(lab, result.rig, recheckDelayMs(lab, { passes: 0, failures: before.failures + 1 }), reason);
    return { paused: true, resumed: false };
  }
  const passes = before.passes + 1;
  if (before.state === 'paused' || before.state === 'failing') {
    if (passes < lab.health.passesToResume) {
      await redis.hset(key, { passes: String(passes), failures: '0', at });
      await enqueueRecheck(lab, result.rig, recheckDelayMs(lab, { passes, failures: 0 }), `${passes} of ${lab.health.passesToResume} passes`);
      return { paused: true, resumed: false };
    }
    await withRigQueue(redis, lab, result.rig, (q) => q.resume());
    await redis
      .multi()
      .hset(key, { state: 'ok', passes: String(passes), failures: '0', at })
      .hdel(key, 'reason')
      .exec();
    await audit(redis, lab, {
      by: HEALTH_ACTOR,
      action: 'resume',
      rig: result.rig,
      detail: `${passes} passing health check${passes === 1 ? '' : 's'} in a row (paused for: ${before.reason ?? 'unknown'})`,
    });
    return { paused: false, resumed: true };
  }
  await redis
    .multi()
    .hset(key, { state: 'ok', passes: String(passes), failures: '0', at })
    .hdel(key, 'reason')
    .exec();
  return { paused: false, resumed: false };
}

/**
 * `hil lab resume RIG`: the rig's queue runs again and its health starts over (`unknown`: nobody
 * checked it; the next check decides). Audited with who and where. Returns whether it was paused.
 */
export async function resumeRig(redis: Redis, lab: LabConfig, rig: string, by: string): Promise<{ wasPaused: boolean; health: RigHealth }> {
  const health = await readHealth(redis, lab, rig);
  const wasPaused = await withRigQueue(redis, lab, rig, async (q) => {
    const paused = await q.isPaused();
    await q.resume();
    return paused;
  });
  const key = healthKey(lab.redis.prefix, rig);
  await redis
    .multi()
    .hset(key, { state: 'unknown', passes: '0', failures: '0', at: String(Date.now()) })
    .hdel(key, 'reason')
    .exec();
  const was = wasPaused ? `was paused${health.reason ? ` for: ${health.reason}` : ''}` : 'was not paused';
  await audit(redis, lab, { by, action: 'resume', rig, detail: was });
  return { wasPaused, health };
}
