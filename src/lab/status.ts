/**
 * `hil lab status`: every registered rig with its worker, lease, queue, health and last result,
 * read from Redis alone (no worker is asked: a dead Pi shows as a rig without a worker), as rows
 * for --json or a table that fits a terminal (./status-table.ts).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { LabConfig } from './config.js';
import { readHealth, type RigHealth } from './health-record.js';
import { queuePrefix, rigsKey } from './keys.js';
import { readOwner } from './owner.js';
import { RigLeases } from './lease.js';
import { rigQueueName } from './queues.js';
import { lastResult } from './results.js';

export { formatAudit, formatStatus } from './status-table.js';

export interface RigStatus {
  rig: string;
  /** The worker that owns the rig now (its heartbeat is alive); absent: no live worker. */
  worker?: { id: string; host: string; pid: number; since: number; scheme: string; target: string };
  /** Who holds the rig's lease, with its fencing token and when it expires (epoch ms). */
  lease?: { workerId: string; host: string; pid: number; jobId?: string; token: number; expiresAt: number };
  queue: { waiting: number; active: number; delayed: number; paused: boolean };
  health: RigHealth;
  /** The rig's last job (LREPORT's JobResultsMeta, as stored under lastKey). */
  last?: { outcome: string; summary: string; finishedAt: number; jobId: string; kind: string; suite?: string };
}

async function queueOf(redis: Redis, lab: LabConfig, rig: string): Promise<RigStatus['queue']> {
  const queue = new Queue(rigQueueName(rig), { connection: redis, prefix: queuePrefix(lab.redis.prefix) });
  try {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'waiting-children', 'active', 'delayed');
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      paused: await queue.isPaused(),
    };
  } finally {
    await queue.close();
  }
}

/** One rig's row. */
export async function rigStatus(redis: Redis, lab: LabConfig, rig: string, leases = new RigLeases(redis, lab)): Promise<RigStatus> {
  const now = Date.now();
  const [owner, lease, queue, health, last] = await Promise.all([readOwner(redis, lab, rig), leases.current(rig), queueOf(redis, lab, rig), readHealth(redis, lab, rig), lastResult(redis, lab, rig)]);
  return {
    rig,
    ...(owner && { worker: { id: owner.workerId, host: owner.host, pid: owner.pid, since: owner.since, scheme: owner.scheme, target: owner.target } }),
    ...(lease && {
      lease: {
        workerId: lease.holder.workerId,
        host: lease.holder.host,
        pid: lease.holder.pid,
        ...(lease.holder.jobId !== undefined && { jobId: lease.holder.jobId }),
        token: lease.token,
        expiresAt: now + lease.expiresInMs,
      },
    }),
    queue,
    health,
    ...(last && {
      last: { outcome: last.outcome, summary: last.summary, finishedAt: last.finishedAt, jobId: last.jobId, kind: last.kind, ...(last.suite !== undefined && { suite: last.suite }) },
    }),
  };
}

/** Every rig a worker ever registered (rigsKey), by name. */
export async function labStatus(redis: Redis, lab: LabConfig): Promise<RigStatus[]> {
  const rigs = (await redis.smembers(rigsKey(lab.redis.prefix))).sort();
  const leases = new RigLeases(redis, lab);
  return Promise.all(rigs.map((rig) => rigStatus(redis, lab, rig, leases)));
}
