/**
 * `hil worker`: one Pi serving its rigs to the lab. Per rig: a file lock on this host, a claim in
 * Redis (one worker per rig in the whole lab), a BullMQ worker on the rig's queue and one on its
 * health queue, each with concurrency 1. Per job (./worker-job.ts): a lease with a fencing token,
 * kept alive while the job runs, checked by every hardware action; phase records so that a job
 * whose worker died is reported and health-checked before it runs again.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ExitCode, HilError } from '../core/errors.js';
import type { RigConfig } from '../config/index.js';
import type { LabConfig } from './config.js';
import { connectRedis, redisOptions } from './connection.js';
import { queuePrefix } from './keys.js';
import { RigLeases } from './lease.js';
import { claimRigs } from './owner.js';
import { scheduleHealth } from './health.js';
import { healthQueueName, rigQueueName } from './queues.js';
import { lockRigFile, type RigFileLock } from './rig-lock.js';
import { loadWorkerRigs } from './worker-rigs.js';
import { processLabJob, type WorkerContext } from './worker-job.js';

export interface WorkerOptions {
  rigsGlob: string;
  lab: LabConfig;
  id?: string;
  /** Where jobs' runs are written before they are sent (default: reports/lab). */
  reports?: string;
  /** One line per event, for the operator and for tests that wait on them. */
  log: (line: string) => void;
  signal: AbortSignal;
}

/** BullMQ's job lock: at least the lease's TTL, so a stall is declared no sooner than a lease lapses. */
function lockDurationOf(lab: LabConfig): number {
  return Math.max(lab.lease.ttlMs, 2000);
}

/**
 * Serves the rigs until `signal` aborts; then stops taking jobs, interrupts the running ones
 * (their rigs safe), releases leases, claims and locks, and returns 0.
 */
export async function runWorker(o: WorkerOptions): Promise<number> {
  const rigs = await loadWorkerRigs(o.rigsGlob);
  const host = hostname();
  const workerId = o.id ?? `${host}-${process.pid}`;
  const locks: RigFileLock[] = [];
  const workers: Worker[] = [];
  let redis: Redis | undefined;
  let store: Redis | undefined;
  let release: (() => Promise<void>) | undefined;
  // Jobs in flight get this signal: a stop interrupts them (rig safe) before the queues close.
  const stopping = new AbortController();
  const onAbort = () => stopping.abort();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    // This host first (cheap, no network): a second worker here on the same rig is refused.
    for (const rig of rigs) {
      const lock = lockRigFile(o.lab.state, rig.name);
      locks.push(lock);
      if (lock.tookOver) o.log(`rig ${rig.name}: took over the lock of dead pid ${lock.tookOver.pid} (${lock.file})`);
    }
    // Leases on a connection that gives up fast (a partition must be noticed within a renewal);
    // phases, results and audit on one that waits for Redis to come back (a restart loses none).
    redis = await connectRedis(o.lab, 'client');
    store = await connectRedis(o.lab, 'queue');
    const claim = await claimRigs(redis, o.lab, workerId, rigs);
    release = () => claim.stop();
    claim.on('lost', (rig, reason) => o.log(`rig ${rig}: claim lost (${reason})`));
    const ctx: WorkerContext = {
      lab: o.lab,
      redis: store,
      leases: new RigLeases(redis, o.lab),
      workerId,
      host,
      reports: resolve(o.reports ?? 'reports/lab'),
      stopping: stopping.signal,
      log: o.log,
    };
    for (const rig of rigs) workers.push(...startRigWorkers(ctx, rig));
    // Health checks on a schedule (lab.yaml health.everyMs), one scheduler per rig however often workers restart.
    for (const rig of rigs) await scheduleHealth(o.lab, rig.name).catch((err: Error) => o.log(`rig ${rig.name}: health schedule not installed: ${err.message}`));
    o.log(`worker ${workerId} ready: ${rigs.length} rig(s): ${rigs.map((r) => r.name).join(', ')}`);
    if (!o.signal.aborted) await new Promise<void>((r) => o.signal.addEventListener('abort', () => r(), { once: true }));
    o.log(`worker ${workerId} stopping: interrupting running jobs, rigs to their safe state`);
    return ExitCode.ok;
  } finally {
    stopping.abort();
    o.signal.removeEventListener('abort', onAbort);
    // close() waits for the running processors: they end on `stopping` (rig safe, lease released).
    await Promise.allSettled(workers.map((w) => w.close()));
    await release?.().catch(() => undefined);
    await redis?.quit().catch(() => undefined);
    await store?.quit().catch(() => undefined);
    for (const l of locks) l.release();
    if (workers.length) o.log(`worker ${workerId} stopped: leases, claims and locks released`);
  }
}

function startRigWorkers(ctx: WorkerContext, rig: RigConfig): Worker[] {
  const common = {
    connection: redisOptions(ctx.lab, 'worker'),
    prefix: queuePrefix(ctx.lab.redis.prefix),
    concurrency: 1,
    lockDuration: lockDurationOf(ctx.lab),
    stalledInterval: lockDurationOf(ctx.lab),
    // A stall is handled by the job itself (its phase record), not by failing it after one.
    maxStalledCount: 100,
    autorun: true,
  };
  const processor = (job: Job, token?: string) => processLabJob(ctx, rig, job, token);
  const made = [new Worker(rigQueueName(rig.name), processor, common), new Worker(healthQueueName(rig.name), processor, common)];
  for (const w of made) {
    // BullMQ retries its connection by itself (a Redis restart); say so once per error kind.
    let last = '';
    w.on('error', (err) => {
      const text = err.message;
      if (text !== last) ctx.log(`rig ${rig.name}: queue connection: ${text}`);
      last = text;
    });
    w.on('stalled', (jobId) => ctx.log(`rig ${rig.name}: job ${jobId} stalled (its worker stopped answering): it will be reported interrupted and health-checked before it runs again`));
  }
  return made;
}

/** A refusal at start (a lock, a claim) that names who holds the rig: exit 3. */
export function isRefusal(err: unknown): err is HilError {
  return err instanceof HilError && err.exitCode === ExitCode.rigUnavailable;
}
