/**
 * The set-up of a test that drives one real `hil worker`: a redis-server with appendonly, a lab
 * file whose leases a loaded 2-core box rides out (timers there run seconds late, as in
 * lab-run.test.ts), and a fresh working directory; and its tear-down (the worker's log kept in
 * the working directory, SIGINT then SIGKILL, any process left running from it, Redis).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, type RedisProc } from '../redis-server.js';
import { makeLabWorkdir } from './lab-workdir.js';
import { killProcessesMentioning, type WorkerProc } from './worker-proc.js';

export interface WorkerLab {
  redis: RedisProc;
  labFile: string;
  workdir: string;
}

export async function startWorkerLab(): Promise<WorkerLab> {
  const redis = await startRedis({ appendonly: true });
  return { redis, labFile: redis.labFile({ lease: { ttlMs: 8000, renewMs: 2000 } }), workdir: makeLabWorkdir() };
}

export async function stopWorkerLab(lab: Partial<WorkerLab>, worker: WorkerProc | undefined): Promise<void> {
  const { workdir, redis } = lab;
  if (workdir) writeFileSync(join(workdir, 'worker.log'), `${worker?.lines.join('\n') ?? ''}\n${worker?.stderr() ?? ''}`);
  worker?.sigint();
  await Promise.race([worker?.exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
  worker?.kill9();
  if (workdir) killProcessesMentioning(workdir);
  await redis?.stop();
}
