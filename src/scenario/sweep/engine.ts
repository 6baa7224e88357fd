import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SweepOp } from '../../drivers/device/twin-sweep.js';
import type { SweepCutMode, SweepCutPoint } from './points.js';
import type { PointResult } from './recover.js';
import { SweepSession, type SweepRequest } from './session.js';
import type { WorkerReply, WorkerTask, WorkerTiming } from './worker.js';

export interface SweepRun {
  ops: readonly SweepOp[];
  results: PointResult[];
  /** Worker threads used (0: in this thread). */
  workers: number;
  /** Per worker: time to open its session (rig, images, the recording) and to run its points. */
  timing?: WorkerTiming[];
}

/**
 * An op-exhaustive sweep: records the update once per session, builds each point's state from
 * the recording and simulates only its recovery. With `workers` > 0 the points are dealt round
 * robin to worker threads, each of which rebuilds the rig, images and recording from the request
 * (deterministic: the same recording in every thread) and returns plain results.
 */
export async function runSweep(request: SweepRequest, opts: { modes?: readonly SweepCutMode[]; points?: readonly SweepCutPoint[]; workers?: number } = {}): Promise<SweepRun> {
  const modes = opts.modes ?? ['before', 'after', 'torn'];
  const workers = opts.workers ?? defaultWorkers();
  if (workers <= 0) {
    const session = await SweepSession.open(request);
    try {
      const points = opts.points ?? session.everyOp(modes);
      const results: PointResult[] = [];
      for (const p of points) results.push(await session.recover(p));
      return { ops: session.recording.ops, results, workers: 0 };
    } finally {
      await session.close();
    }
  }
  const replies = await Promise.all(Array.from({ length: workers }, (_, i) => runWorker({ request, modes, ...(opts.points && { points: [...opts.points] }), share: { index: i, of: workers } })));
  const results = replies
    .flatMap((r) => r.results)
    .sort((a, b) => a.order - b.order)
    .map((r) => r.result);
  return { ops: replies[0]!.ops, results, workers, timing: replies.map((r) => r.timing) };
}

/** Both cores by default (this project's target is a 2-core Pi-class machine). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/**
 * The worker's compiled file. From dist/ it sits beside this module; from the TypeScript sources
 * (Jest, tsx) the worker still runs the compiled copy, since a worker thread has no TS loader.
 */
export function workerFile(): URL {
  const here = fileURLToPath(import.meta.url);
  const beside = here.replace(/engine\.(ts|js)$/, 'worker.js');
  if (here.endsWith('.js') && existsSync(beside)) return pathToFileURL(beside);
  const compiled = beside.replace(/([/\\])src([/\\])scenario([/\\])sweep([/\\])worker\.js$/, '$1dist$2scenario$3sweep$4worker.js');
  if (!existsSync(compiled)) throw new Error(`sweep workers need the compiled ${compiled} (run npm run build)`);
  return pathToFileURL(compiled);
}

function runWorker(task: WorkerTask): Promise<Extract<WorkerReply, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile(), { workerData: task });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply);
      else reject(new Error(`sweep worker ${task.share.index}: ${reply.error}`));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`sweep worker ${task.share.index} exited with code ${code} before replying`));
    });
  });
}
