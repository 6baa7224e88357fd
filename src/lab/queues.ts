/**
 * One BullMQ queue per rig, and one health queue per rig. A rig's queue has a global concurrency
 * of 1: however many workers listen on it (a misconfiguration), BullMQ hands out one job at a
 * time; the rig lease (./lease.ts) is what makes that true for the hardware too.
 */
import { Queue } from 'bullmq';
import type { LabConfig } from './config.js';
import { redisOptions } from './connection.js';
import { queuePrefix } from './keys.js';

/** BullMQ queue names may not contain ':' (its key separator); rig names never do (jobs.ts NAME). */
export function rigQueueName(rig: string): string {
  return `rig.${rig}`;
}

export function healthQueueName(rig: string): string {
  return `health.${rig}`;
}

/** The rig's queue, concurrency 1 across every worker. Close it when done. */
export async function openRigQueue(lab: LabConfig, rig: string): Promise<Queue> {
  const queue = new Queue(rigQueueName(rig), { connection: redisOptions(lab, 'queue'), prefix: queuePrefix(lab.redis.prefix) });
  await queue.setGlobalConcurrency(1);
  return queue;
}

export async function openHealthQueue(lab: LabConfig, rig: string): Promise<Queue> {
  const queue = new Queue(healthQueueName(rig), { connection: redisOptions(lab, 'queue'), prefix: queuePrefix(lab.redis.prefix) });
  await queue.setGlobalConcurrency(1);
  return queue;
}
