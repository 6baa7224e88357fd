import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SweepOp } from '../../drivers/device/twin-sweep.js';
import type { SweepCutMode, SweepCutPoint } from './points.js';
import type { PointResult } from './recover.js';
import type { SweepMode } from './modes.js';
import { loadRig } from '../../config/index.js';
import { SweepSession, sweepRigConfig, withMode, type SweepRequest } from './session.js';
import { threadCpuMs } from './thread-cpu.js';
import { recoverShare, type Share } from './share.js';
import type { WorkerMessage, WorkerReply, WorkerTask, WorkerTiming } from './worker.js';

export interface SweepRun {
  ops: readonly SweepOp[];
  results: PointResult[];
  /** Sessions that shared the points: this thread's and `workers - 1` worker threads' (0: this thread alone, in order). */
  workers: number;
  /** Per session (this thread's first, threadId 0): time to open it (rig, images, the recording) and to run its points. */
  timing?: WorkerTiming[];
}

export interface SweepOptions {
  /** Which points (./modes.ts) when `points` is not given; absent: every op in `modes`. It rides in the request, so each worker builds its points from its own recording. */
  mode?: SweepMode;
  modes?: readonly SweepCutMode[];
  points?: readonly SweepCutPoint[];
  /** Sessions sharing the points: this thread and `workers - 1` worker threads; 0: this thread alone, points in order. */
  workers?: number;
  /** Points done so far out of all of them: after each point in this thread, per block of points from workers. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the sweep: worker threads are terminated at once, an in-thread run stops between points; rejects with the abort's reason. */
  signal?: AbortSignal;
}

/**
 * An op-exhaustive sweep: records the update once per session, builds each point's state from
 * the recording and simulates only its recovery. With `workers` > 0 the points go in blocks of ops
 * to `workers` sessions, each claiming the next block when free: this thread's, which starts at
 * once (its modules are loaded), and `workers - 1` worker threads, which join once they have
 * started (a thread's imports take a few tenths of a second: a small sweep is done before they
 * help). Each session rebuilds the rig, images and recording from the request (deterministic: the
 * same recording in every thread) and returns plain results.
 */
export async function runSweep(request: SweepRequest, opts: SweepOptions = {}): Promise<SweepRun> {
  request = withMode(request, opts.mode);
  const modes = opts.modes ?? ['before', 'after', 'torn'];
  const workers = opts.workers ?? defaultWorkers();
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  if (workers <= 0) {
    const session = await SweepSession.open(request, { ...(signal && { signal }) });
    try {
      const points = opts.points ?? session.everyOp(modes);
      const results: PointResult[] = [];
      for (const p of points) {
        signal?.throwIfAborted();
        results.push(await session.recover(p));
        onProgress?.(results.length, points.length);
      }
      return { ops: session.recording.ops, results, workers: 0 };
    } finally {
      await session.close();
    }
  }
  // Loaded here once: every session opens on it, and the threads never read the rig file themselves.
  const config = loadRig(request.rig).then((c) => sweepRigConfig(c, request));
  // Points done per session, summed for onProgress.
  const done = new Array<number>(workers).fill(0);
  const progress = (index: number, n: number, total: number) => {
    done[index] = n;
    onProgress?.(
      done.reduce((a, b) => a + b, 0),
      total,
    );
  };
  // The sessions' shared block counter: each takes the next block when it is free (see worker.ts).
  const claim = new SharedArrayBuffer(4);
  const share = (index: number) => ({ modes, ...(opts.points && { points: [...opts.points] }), share: { index, of: workers }, claim });
  // One failing session ends the others (a thread left running would keep the process alive until its share is done).
  const failed = new AbortController();
  const stop = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const fail = (err: unknown): never => {
    failed.abort(err);
    throw err;
  };
  const pool = new WorkerPool(workers - 1, (i, n, total) => progress(i + 1, n, total));
  const theirs = pool.run(async (i) => ({ request, config: await config, ...share(i + 1) }), stop).catch(fail);
  const mine = recoverHere(request, await config, share(0), (n, total) => progress(0, n, total), stop).catch(fail);
  const [here, there] = await Promise.allSettled([mine, theirs]);
  if (signal?.aborted) throw signal.reason;
  if (here.status === 'rejected') throw here.reason;
  if (there.status === 'rejected') throw there.reason;
  const replies = [here.value, ...there.value];
  const results = replies
    .flatMap((r) => r.results)
    .sort((a, b) => a.order - b.order)
    .map((r) => r.result);
  return { ops: here.value.ops, results, workers, timing: replies.map((r) => r.timing) };
}

/** This thread's share of a sweep (it takes blocks as the worker threads do): stops between points once `stop` aborts. */
async function recoverHere(request: SweepRequest, config: Awaited<ReturnType<typeof loadRig>>, share: Share, onProgress: (done: number, total: number) => void, stop: AbortSignal): Promise<Reply> {
  const t0 = performance.now();
  const cpu0 = threadCpuMs();
  const session = await SweepSession.openWith(config, request, { signal: stop });
  const t1 = performance.now();
  try {
    const results = await recoverShare(
      session,
      share,
      (p) => onProgress(p.progress.done, p.progress.total),
      () => stop.throwIfAborted(),
    );
    const cpu = threadCpuMs();
    return {
      ok: true,
      ops: session.recording.ops,
      results,
      timing: { threadId: 0, openMs: t1 - t0, pointsMs: performance.now() - t1, cpuMs: cpu0 === undefined || cpu === undefined ? 0 : cpu - cpu0 },
    };
  } finally {
    await session.close();
  }
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

type Reply = Extract<WorkerReply, { ok: true }>;

/**
 * One sweep's worker threads: sums their progress, and ends every one of them when the sweep is
 * aborted or one fails (a worker left running would keep the process alive until its share is done).
 */
class WorkerPool {
  /** Threads running one of this sweep's tasks (an abort or a failure ends them; finished ones go back idle). */
  private readonly busy = new Set<Worker>();

  constructor(
    private readonly size: number,
    /** Points done so far by the thread of share `index` (0-based among the pool's threads). */
    private readonly onProgress?: (index: number, done: number, total: number) => void,
  ) {}

  async run(taskFor: (index: number) => Promise<WorkerTask>, signal?: AbortSignal): Promise<Reply[]> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (!signal) return;
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const all = Promise.all(Array.from({ length: this.size }, (_, i) => this.start(i, taskFor)));
      return await Promise.race([all, aborted]);
    } catch (err) {
      await this.terminate();
      throw err;
    } finally {
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }
  }

  private async terminate(): Promise<void> {
    const threads = [...this.busy];
    this.busy.clear();
    await Promise.all(threads.map((w) => w.terminate()));
  }

  /** Takes a thread at once (a new one starts importing) and gives it the task once it is ready. */
  private start(index: number, taskFor: (index: number) => Promise<WorkerTask>): Promise<Reply> {
    const worker = takeIdle() ?? newPooledWorker();
    this.busy.add(worker);
    return taskFor(index).then((task) => this.serve(worker, task, index));
  }

  private serve(worker: Worker, task: WorkerTask, index: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const detach = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (msg: WorkerMessage) => {
        if ('progress' in msg) return this.onProgress?.(index, msg.progress.done, msg.progress.total);
        detach();
        if (msg.ok) {
          this.busy.delete(worker);
          giveBack(worker);
          resolve(msg);
        } else reject(new Error(`sweep worker ${task.share.index}: ${msg.error}`));
      };
      const onError = (err: Error) => {
        detach();
        reject(err);
      };
      const onExit = (code: number) => {
        detach();
        this.busy.delete(worker);
        reject(new Error(`sweep worker ${task.share.index} exited with code ${code} before replying`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(task);
    });
  }
}

/**
 * Idle sweep threads of this process. A thread's start-up (a new V8 isolate importing the twin
 * and the schemes) costs a few tenths of a second; kept between sweeps, only
 * a process's first sweep pays it (hil run with several op sweeps, a bench over three schemes).
 * Idle threads are unref'd: they never keep the process alive.
 */
const idle: Worker[] = [];
const MAX_IDLE = 8;

function newPooledWorker(): Worker {
  const worker = new Worker(workerFile());
  // A thread that dies while idle (it should not) leaves the pool.
  worker.once('exit', () => {
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
  });
  return worker;
}

function takeIdle(): Worker | undefined {
  const worker = idle.pop();
  worker?.ref();
  return worker;
}

function giveBack(worker: Worker): void {
  if (idle.length >= MAX_IDLE) {
    void worker.terminate();
    return;
  }
  worker.unref();
  idle.push(worker);
}
