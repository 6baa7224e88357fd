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
import { SweepPace } from './pace.js';
import { leftMs, PaceWindow, worthNewThreads, type JoinPace } from './join.js';
import type { WorkerMessage, WorkerReply, WorkerTask, WorkerTiming } from './worker.js';
import type { SweepRecording } from './transfer.js';

export interface SweepRun {
  ops: readonly SweepOp[];
  results: PointResult[];
  /** Sessions that shared the points: this thread's and the worker threads' that joined (0: this thread alone, in order, no pool). */
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
  /**
   * When the worker threads join (./join.ts): `when-worth-it` (the default) — threads this process
   * has already started at once, new ones only once this thread's pace says the points left are
   * worth a thread's start-up; `at-once` — every thread from the start; a function: new threads
   * join once it says so, asked after each progress report of this thread (tests).
   */
  join?: 'when-worth-it' | 'at-once' | ((pace: JoinPace) => boolean);
  /**
   * This thread's session, already open on the request (its recording is the sweep's, not made
   * again): used as it is and left open, the caller closes it (`hil sweep` opens one to count and
   * print the points first).
   */
  session?: SweepSession;
  /** Worker threads joined the sweep: `leftMs`, this thread's estimate of the points left (absent: threads this process had started, or `at-once`). */
  onJoin?: (join: { threads: number; leftMs?: number }) => void;
  /** How long this sweep's worker threads wait idle for a next sweep of this process before they end (default IDLE_THREAD_MS). */
  keepThreadsMs?: number;
}

/**
 * An op-exhaustive sweep: records the update once per session, builds each point's state from
 * the recording and simulates only its recovery. With `workers` > 0 the points go in blocks of ops
 * to `workers` sessions, each claiming the next block when free: this thread's, which starts at
 * once (its modules are loaded) and records the update, and `workers - 1` worker threads, which
 * start meanwhile (a thread's imports take a few tenths of a second) and open their sessions on
 * that recording once both are ready: rig and images of their own, the update's states sent
 * over (./transfer.ts), no second run of the update. Torn cuts rerun their op, which only this
 * thread's session holds, so it takes those first (see ./worker.ts). A thread still starting when
 * this one has taken every block is not waited for. Every session returns plain results.
 * Worker threads this process has not started yet join only once this thread's pace says the
 * sweep is long enough to pay for them (./join.ts); `join: 'at-once'` starts them with the sweep.
 */
export async function runSweep(request: SweepRequest, opts: SweepOptions = {}): Promise<SweepRun> {
  request = withMode(request, opts.mode);
  const modes = opts.modes ?? ['before', 'after', 'torn'];
  const workers = opts.workers ?? defaultWorkers();
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  if (workers <= 0) {
    const session = opts.session ?? (await SweepSession.open(request, { ...(signal && { signal }) }));
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
      if (!opts.session) await session.close();
    }
  }
  // Loaded here once: every session opens on it, and the threads never read the rig file themselves.
  const config = opts.session ? opts.session.rig.config : sweepRigConfig(await loadRig(request.rig), request);
  // Points done per session, summed for onProgress.
  const done = new Array<number>(workers).fill(0);
  const progress = (index: number, n: number, total: number) => {
    done[index] = n;
    onProgress?.(
      done.reduce((a, b) => a + b, 0),
      total,
    );
  };
  // The sessions' shared block counter (each takes the next block when it is free, see worker.ts) and this thread's pace.
  const claim = new SweepPace().buffer;
  // A board of several processors shares played-back tails within one session only: each session
  // takes stretches of consecutive ops, every mode (Share.stretches), and so records the update itself.
  const stretches = config.mcus !== undefined;
  const share = (index: number) => ({ modes, ...(opts.points && { points: [...opts.points] }), share: { index, of: workers }, claim, ...(stretches && { stretches }) });
  // One failing session ends the others (a thread left running would keep the process alive until its share is done).
  const failed = new AbortController();
  const stop = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const fail = (err: unknown): never => {
    failed.abort(err);
    throw err;
  };
  // This thread's recording, for the workers' sessions: they are given their tasks once it is there.
  // If this thread's session never opens, the threads waiting for it are let go (else a thread
  // waiting for its task stayed busy, and ref'd, and the process never exited). It is exported only
  // when a thread joins that takes it (a product's threads record the update themselves): a
  // product's export copies 800 states of 1,536 sector references.
  let recorded!: (r: () => SweepRecording) => void;
  let unrecorded!: (err: unknown) => void;
  const recording = new Promise<() => SweepRecording>((resolve, reject) => {
    recorded = resolve;
    unrecorded = reject;
  });
  recording.catch(() => undefined);
  const pool = new WorkerPool(workers - 1, (i, n, total) => progress(i + 1, n, total), opts.keepThreadsMs ?? IDLE_THREAD_MS);
  // The worker threads' share, once they join (./join.ts); none if this thread is done first.
  let theirs: Promise<Reply[]> | undefined;
  let mineDone = false;
  const join = (leftMs?: number) => {
    if (theirs || mineDone) return;
    theirs = pool.run(async (i) => ({ request, config, ...(!stretches && { recorded: (await recording)() }), ...share(i + 1) }), stop).catch(fail);
    opts.onJoin?.({ threads: workers - 1, ...(leftMs !== undefined && { leftMs }) });
  };
  const worth = typeof opts.join === 'function' ? opts.join : (pace: JoinPace) => worthNewThreads(pace, stretches);
  if (opts.join === 'at-once' || idleThreads() > 0) join();
  let window: PaceWindow | undefined;
  const here = (n: number, total: number) => {
    progress(0, n, total);
    if (!theirs && window) {
      const pace = { ...window.add(n, performance.now()), left: total - done.reduce((a, b) => a + b, 0) };
      if (worth(pace)) join(leftMs(pace));
    }
  };
  const mine = recoverHere(
    request,
    opts.session ?? config,
    share(0),
    here,
    stop,
    recorded,
    () => (window = new PaceWindow(performance.now())),
    () => theirs !== undefined && !stretches,
  )
    .catch((err: unknown) => {
      unrecorded(err);
      throw err;
    })
    .finally(() => {
      mineDone = true;
      pool.release();
    })
    .catch(fail);
  const [hereDone, there] = await Promise.allSettled([
    mine,
    mine.then(
      () => theirs ?? [],
      () => theirs ?? [],
    ),
  ]);
  if (signal?.aborted) throw signal.reason;
  if (hereDone.status === 'rejected') throw hereDone.reason;
  if (there.status === 'rejected') throw there.reason;
  const replies = [hereDone.value, ...there.value];
  const results = replies
    .flatMap((r) => r.results)
    .sort((a, b) => a.order - b.order)
    .map((r) => r.result);
  return { ops: hereDone.value.ops, results, workers: replies.length, timing: replies.map((r) => r.timing) };
}

/** This thread's share of a sweep (it takes blocks as the worker threads do): stops between points once `stop` aborts. */
async function recoverHere(
  request: SweepRequest,
  /** The rig to open this thread's session on, or the session itself (left open). */
  on: Awaited<ReturnType<typeof loadRig>> | SweepSession,
  share: Share,
  onProgress: (done: number, total: number) => void,
  stop: AbortSignal,
  recorded: (exported: () => SweepRecording) => void,
  opened: () => void,
  /** Threads that take the recording have joined: it is exported before the session closes, if none has yet. */
  exportWanted: () => boolean,
): Promise<Reply> {
  const t0 = performance.now();
  const cpu0 = threadCpuMs();
  // A session (opened by the base class's openWith: not an instance of ./session.ts's subclass) has a recording; a rig config has none.
  const given = 'recording' in on ? on : undefined;
  const session = given ?? (await SweepSession.openWith(on as Awaited<ReturnType<typeof loadRig>>, request, { signal: stop }));
  const t1 = performance.now();
  let exported: SweepRecording | undefined;
  const exportOnce = () => (exported ??= session.exportRecording());
  try {
    recorded(exportOnce);
    opened();
    const results = await recoverShare(session, share, (p) => onProgress(p.progress.done, p.progress.total), { stop: () => stop.throwIfAborted(), lead: { openMs: t1 - t0 } });
    const cpu = threadCpuMs();
    return {
      ok: true,
      ops: session.recording.ops,
      results,
      timing: { threadId: 0, openMs: t1 - t0, pointsMs: performance.now() - t1, cpuMs: cpu0 === undefined || cpu === undefined ? 0 : cpu - cpu0 },
    };
  } finally {
    if (exportWanted()) exportOnce();
    if (!given) await session.close();
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
    /** ms a thread this pool gives back stays idle for another sweep. */
    private readonly keepMs = IDLE_THREAD_MS,
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

  /**
   * Takes a thread at once (a new one starts importing) and gives it the task once both are
   * ready, unless the sweep no longer needs it by then (release): then it goes back idle unused.
   */
  private start(index: number, taskFor: (index: number) => Promise<WorkerTask>): Promise<Reply> {
    const worker = takeIdle() ?? newPooledWorker();
    this.busy.add(worker);
    const both = Promise.all([readyOf(worker), taskFor(index)]);
    return Promise.race([both, this.released]).then((got) => {
      if (got) return this.serve(worker, got[1], index);
      void both.then(
        () => this.unused(worker),
        () => this.unused(worker),
      );
      return { ok: true, ops: [], results: [], timing: { threadId: worker.threadId, openMs: 0, pointsMs: 0, cpuMs: 0, late: true } };
    });
  }

  private readonly release$ = withResolvers<undefined>();
  private readonly released = this.release$.promise;

  /** The engine's thread has taken every block: threads not given their task yet are not waited for. */
  release(): void {
    this.release$.resolve(undefined);
  }

  private unused(worker: Worker): void {
    if (!this.busy.delete(worker)) return;
    giveBack(worker, this.keepMs);
  }

  private serve(worker: Worker, task: WorkerTask, index: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const detach = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (msg: WorkerMessage) => {
        if ('ready' in msg) return;
        if ('progress' in msg) return this.onProgress?.(index, msg.progress.done, msg.progress.total);
        detach();
        if (msg.ok) {
          this.busy.delete(worker);
          giveBack(worker, this.keepMs);
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
/**
 * An idle thread ends after this long unused. It holds a V8 isolate (tens of MB), and a process
 * ends only once each of its threads has been torn down (about 30 ms each here); a process that
 * loads this module many times (a Jest worker running many sweep files, each with its own copy
 * and so its own idle threads) kept them all. Long enough for the sweeps of one run (hil
 * detect's, a suite's) to share their threads.
 */
export const IDLE_THREAD_MS = 10_000;
/** When each idle thread ends unless a sweep takes it first. */
const expiry = new WeakMap<Worker, NodeJS.Timeout>();

/** Resolves once the thread's modules are loaded (its first message); at once for a thread that has served before. */
const ready = new WeakMap<Worker, Promise<void>>();

function readyOf(worker: Worker): Promise<void> {
  return ready.get(worker) ?? Promise.resolve();
}

function withResolvers<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function newPooledWorker(): Worker {
  const worker = new Worker(workerFile(), { execArgv: workerExecArgv() });
  ready.set(
    worker,
    new Promise((resolve, reject) => {
      const onMessage = (msg: WorkerMessage) => {
        if (!('ready' in msg)) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number) => reject(new Error(`sweep worker exited with code ${code} while starting`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    }),
  );
  // A thread that dies while idle (it should not) leaves the pool.
  worker.once('exit', () => {
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
  });
  return worker;
}

/**
 * This process's Node options without its module loaders (`--import tsx`, a test runner's hooks):
 * a sweep thread runs the compiled JavaScript, and a loader's resolve and load hooks made its
 * start-up a third slower (every import a round trip to the hooks' thread). Nor the options of a
 * process started on a script string (`node --input-type=module -e CODE`): a thread started with
 * them runs that string instead of its file, or refuses `--input-type` for a file. Other options
 * (heap limits, profiling) carry over as a worker's default would.
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^(--import|--require|-r|--loader|--experimental-loader|--input-type|--eval|-e|--print|-p)(=.*)?$/.exec(argv[i]!);
    if (!m) kept.push(argv[i]!);
    else if (m[2] === undefined) i++;
  }
  return kept;
}

/** Threads of this process started by an earlier sweep and idle now (their code compiled: they join a sweep at once). */
function idleThreads(): number {
  return idle.length;
}

function takeIdle(): Worker | undefined {
  const worker = idle.pop();
  if (!worker) return undefined;
  clearTimeout(expiry.get(worker));
  worker.ref();
  return worker;
}

function giveBack(worker: Worker, keepMs: number): void {
  if (idle.length >= MAX_IDLE) {
    void worker.terminate();
    return;
  }
  worker.unref();
  idle.push(worker);
  const end = setTimeout(() => {
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
    void worker.terminate();
  }, keepMs);
  end.unref();
  expiry.set(worker, end);
}
