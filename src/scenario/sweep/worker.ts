/**
 * A sweep worker thread: opens its own session (rig, images, recording) from the request and the
 * rig config the engine loaded, and recovers its share of the points, then replies once. Points go in blocks of consecutive ops
 * (within a block op k's after point and op k+1's before point share one recovery, and a double
 * sweep's points of one first cut stay together). Each worker claims the next block from a
 * counter the workers share, so the one that opened first or drew cheap blocks takes more:
 * cost varies along an update (an early cut in a swap recovers the longest).
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { SweepOp } from '../../drivers/device/twin-sweep.js';
import type { PointResult } from './recover.js';
import type { RigConfig } from '../../config/index.js';
import { SweepSession, type SweepRequest } from './session-core.js';
import { threadCpuMs } from './thread-cpu.js';
import { recoverShare, type Share, type ShareProgress } from './share.js';

export { blocksOf } from './share.js';

export interface WorkerTask extends Share {
  request: SweepRequest;
  /** The request's rig as the engine loaded it for a sweep (sweepRigConfig): the worker never reads the rig file (no zod or yaml in its start-up). */
  config: RigConfig;
}

/** Where a worker's time went: opening (rig, images, the recording) and the points; CPU ms of the thread (of the process where the system cannot tell a thread's). */
export interface WorkerTiming {
  /** The thread that ran it (pooled threads serve several sweeps of one process). */
  threadId: number;
  openMs: number;
  pointsMs: number;
  cpuMs: number;
}

export type WorkerReply = { ok: true; ops: readonly SweepOp[]; results: { order: number; result: PointResult }[]; timing: WorkerTiming } | { ok: false; error: string };

/** Sent while the worker runs: points of its share done so far, out of every point of the sweep (all shares). */
export type WorkerProgress = ShareProgress;

export type WorkerMessage = WorkerReply | WorkerProgress;

async function main(task: WorkerTask, report: (p: WorkerProgress) => void): Promise<WorkerReply> {
  const t0 = performance.now();
  const cpu0 = cpuMs();
  const session = await SweepSession.openWith(task.config, task.request);
  const t1 = performance.now();
  try {
    const results = await recoverShare(session, task, report);
    return { ok: true, ops: session.recording.ops, results, timing: { threadId, openMs: t1 - t0, pointsMs: performance.now() - t1, cpuMs: cpuMs() - cpu0 } };
  } finally {
    await session.close();
  }
}

function cpuMs(): number {
  const thread = threadCpuMs();
  if (thread !== undefined) return thread;
  const all = process.cpuUsage();
  return (all.user + all.system) / 1000;
}

if (parentPort) {
  const port = parentPort;
  const run = (task: WorkerTask) =>
    main(task, (p) => port.postMessage(p)).then(
      (reply) => port.postMessage(reply),
      (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
    );
  // One task in workerData: run it and end. Otherwise a pooled thread (engine.ts): a task per
  // message, kept between the sweeps of one process so only the first pays the thread's start-up.
  if (workerData) void run(workerData as WorkerTask);
  else port.on('message', (task: WorkerTask) => void run(task));
}
