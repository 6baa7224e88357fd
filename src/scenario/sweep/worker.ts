/**
 * A sweep worker thread: opens a session on the engine's recording (rig and images of its own,
 * the update's before/after states from the engine's thread: no second recording) and recovers
 * its share of the points, then replies once. Points go in blocks of consecutive ops (within a
 * block op k's after point and op k+1's before point share one recovery, and a double sweep's
 * points of one first cut stay together); each session claims the next block from counters the
 * sessions share (./pace.ts), so the one that opened first or drew cheap blocks takes more. Torn
 * cuts rerun their op, which only a session that recorded the update holds: the engine's thread
 * takes those blocks first, and a worker records the update itself only when torn blocks are left
 * that would keep the engine's thread longer than that recording takes (a sweep on many cores).
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { SweepOp } from '../../drivers/device/twin-sweep.js';
import type { PointResult } from './recover.js';
import type { RigConfig } from '../../config/index.js';
import { SweepSession, type SweepRequest } from './session-core.js';
import { threadCpuMs } from './thread-cpu.js';
import { recoverShare, type Share, type ShareProgress } from './share.js';
import { SweepPace } from './pace.js';
import type { SweepRecording } from './transfer.js';

export { blocksOf } from './share.js';

export interface WorkerTask extends Share {
  request: SweepRequest;
  /** The engine's recording of the request (absent: the worker records it itself). */
  recorded?: SweepRecording;
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
  /** The worker recorded the update itself (to take torn cuts). */
  recorded?: true;
  /** The worker gave up recording: the engine's thread would be done first (./pace.ts). */
  gaveUp?: true;
  /** The thread was still starting when the engine's thread had taken every block: it took no task. */
  late?: true;
}

export type WorkerReply = { ok: true; ops: readonly SweepOp[]; results: { order: number; result: PointResult }[]; timing: WorkerTiming } | { ok: false; error: string };

/** Sent while the worker runs: points of its share done so far, out of every point of the sweep (all shares). */
export type WorkerProgress = ShareProgress;

/** A pooled thread's first message: its modules are loaded, it takes tasks now. */
export interface WorkerReady {
  ready: true;
}

export type WorkerMessage = WorkerReply | WorkerProgress | WorkerReady;

/** How often a worker that records the update looks whether the engine's thread has made that pointless. */
const PACE_LOOK_MS = 10;

async function main(task: WorkerTask, report: (p: WorkerProgress) => void): Promise<WorkerReply> {
  const cpu0 = cpuMs();
  const timing: WorkerTiming = { threadId, openMs: 0, pointsMs: 0, cpuMs: 0 };
  const results: { order: number; result: PointResult }[] = [];
  const share = async (session: SweepSession, opened: number) => {
    const t1 = performance.now();
    timing.openMs += t1 - opened;
    try {
      results.push(...(await recoverShare(session, task, report, { doneBefore: results.length })));
    } finally {
      timing.pointsMs += performance.now() - t1;
      await session.close();
    }
  };
  const pace = task.claim ? new SweepPace(task.claim) : undefined;
  if (task.recorded) {
    const opened = performance.now();
    if (pace?.left()?.blocks !== 0) await share(await SweepSession.openWith(task.config, task.request, { recorded: task.recorded }), opened);
  }
  if (!task.recorded || pace?.worthRecording(task.stretches)) {
    // Recording takes a while: given up as soon as the engine's thread will be done first.
    const late = new AbortController();
    const look = pace && setInterval(() => pace.worthRecording(task.stretches) || late.abort(), PACE_LOOK_MS);
    const opened = performance.now();
    let session: SweepSession | undefined;
    try {
      session = await SweepSession.openWith(task.config, task.request, { signal: late.signal });
    } catch (err) {
      if (!late.signal.aborted) throw err;
      timing.gaveUp = true;
      timing.openMs += performance.now() - opened;
    } finally {
      clearInterval(look);
    }
    if (session) {
      timing.recorded = true;
      await share(session, opened);
    }
  }
  timing.cpuMs = cpuMs() - cpu0;
  return { ok: true, ops: [], results, timing };
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
  else {
    port.on('message', (task: WorkerTask) => void run(task));
    port.postMessage({ ready: true } satisfies WorkerReady);
  }
}
