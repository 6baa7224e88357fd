/**
 * Runs a detection plan: every sweep's first pass (each op before, after and torn once), then its
 * decision ops torn at every write unit (torn-rule.ts) and, where wanted, its double cuts
 * (double-rule.ts), plus the suites' second-cut replays, on a
 * pool of worker threads that all share one queue. Each sweep's first pass is split across the
 * threads (blocks of ops, as the engine deals them): the costliest sweep (a MCUboot revert, two
 * swaps per recovery) would otherwise keep one core busy alone at the end. A thread records a
 * sweep once and keeps the session for its later tasks.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Recording } from '../sweep/recording.js';
import type { DetectPlan, DetectSweep } from './plan.js';
import { DetectRunner, type DetectPointOutcome, type DetectTask, type DetectTaskResult, type ReplayOutcome } from './tasks.js';
import { decisionOps, decisionPoints, writeUnitOf } from './torn-rule.js';
import type { DetectWorkerMessage } from './worker.js';

/** Second-pass points per task: a long one is split so both threads share it. */
const POINTS_PER_TASK = 128;

export interface DetectSweepOutcome {
  sweep: DetectSweep;
  recording?: Recording;
  /** Every point tried, in time order (op, then before < torn < after), the settled point last. */
  results: DetectPointOutcome[];
  /** Ops whose before and after points ended differently (torn at every unit). */
  decisionOps: number[];
  /** The sweep could not run (its recording failed): a rig error for every entry that uses it. */
  error?: string;
}

export interface DetectReplays {
  /** Index into the plan's uses. */
  use: number;
  results: ReplayOutcome[];
  error?: string;
}

export interface DetectRunResult {
  sweeps: Map<string, DetectSweepOutcome>;
  replays: DetectReplays[];
  /** Threads used (0: this thread). */
  workers: number;
}

export interface DetectProgress {
  points: number;
  sweepsDone: number;
  sweeps: number;
  /** The sweeps being worked on now. */
  current: string[];
}

export interface DetectRunOptions {
  workers: number;
  signal?: AbortSignal;
  onProgress?: (p: DetectProgress) => void;
}

const MODE_ORDER = { before: 0, torn: 1, after: 2 } as const;

type Cut = { op: number; mode: keyof typeof MODE_ORDER; fraction?: number };
const cutOrder = (a: Cut, b: Cut) => a.op - b.op || MODE_ORDER[a.mode] - MODE_ORDER[b.mode] || (a.fraction ?? 0) - (b.fraction ?? 0);

/** Time order of two points of one sweep (a double point after its first cut alone, by its second cut). */
export function pointOrder(a: DetectPointOutcome, b: DetectPointOutcome): number {
  if (!!a.settled !== !!b.settled) return a.settled ? 1 : -1;
  const first = cutOrder(a.point, b.point);
  if (first || (!a.point.second && !b.point.second)) return first;
  if (!a.point.second || !b.point.second) return a.point.second ? 1 : -1;
  return cutOrder(a.point.second, b.point.second);
}

export async function runDetect(plan: DetectPlan, opts: DetectRunOptions): Promise<DetectRunResult> {
  opts.signal?.throwIfAborted();
  const shares = Math.max(1, opts.workers);
  const queue: DetectTask[] = [];
  let nextId = 0;
  const outcomes = new Map<string, DetectSweepOutcome>();
  /** Tasks of a sweep not finished yet; a sweep is done at 0 once its second pass is queued. */
  const open = new Map<string, number>();
  const firstPassLeft = new Map<string, number>();
  const taskSweep = new Map<number, string>();
  const taskUse = new Map<number, number>();
  const replays: DetectReplays[] = [];
  let points = 0;
  let sweepsDone = 0;

  for (const sweep of plan.sweeps) {
    outcomes.set(sweep.key, { sweep, results: [], decisionOps: [] });
    open.set(sweep.key, shares);
    firstPassLeft.set(sweep.key, shares);
    for (let index = 0; index < shares; index++) {
      const id = nextId++;
      taskSweep.set(id, sweep.key);
      queue.push({ kind: 'ops', id, sweep: sweep.key, request: sweep.request, share: { index, of: shares } });
    }
  }
  for (const [use, u] of plan.uses.entries()) {
    if (!u.secondCuts.length) continue;
    const id = nextId++;
    taskUse.set(id, use);
    queue.push({ kind: 'replay', id, suiteFile: u.suiteFile, entry: u.entry, points: u.secondCuts });
  }

  const current = new Set<string>();
  const progress = () => opts.onProgress?.({ points, sweepsDone, sweeps: plan.sweeps.length, current: [...current] });

  const finishSweepTask = (key: string) => {
    const left = open.get(key)! - 1;
    open.set(key, left);
    if (left === 0) {
      sweepsDone++;
      outcomes.get(key)!.results.sort(pointOrder);
    }
  };

  const onResult = (result: DetectTaskResult) => {
    if (result.kind === 'replay') {
      replays.push({ use: taskUse.get(result.id)!, results: result.results });
      return;
    }
    const out = outcomes.get(result.sweep)!;
    out.recording ??= result.recording;
    out.results.push(...result.results);
    if (result.kind === 'ops') {
      const left = firstPassLeft.get(result.sweep)! - 1;
      firstPassLeft.set(result.sweep, left);
      if (left === 0) queueSecondPass(out);
    }
    finishSweepTask(result.sweep);
  };

  const queueSecondPass = (out: DetectSweepOutcome) => {
    if (out.error || !out.recording) return;
    // One-cut points only: a double point (maybe done already) carries its first cut's op and mode.
    const byPoint = new Map(out.results.filter((r) => !r.settled && !r.double && r.point.mode !== 'torn').map((r) => [`${r.point.op}:${r.point.mode}`, r.outcome]));
    const ops = decisionOps(out.recording.ops, (op, mode) => byPoint.get(`${op}:${mode}`));
    out.decisionOps = ops.map((o) => o.index);
    const extra = decisionPoints(ops, out.sweep.request.seed, writeUnitOf(out.sweep.scheme));
    const key = out.sweep.key;
    const tasks: DetectTask[] = [];
    for (let i = 0; i < extra.length; i += POINTS_PER_TASK) {
      const id = nextId++;
      taskSweep.set(id, key);
      tasks.push({ kind: 'points', id, sweep: key, request: out.sweep.request, points: extra.slice(i, i + POINTS_PER_TASK) });
    }
    if (wantsDouble(plan, out)) {
      const id = nextId++;
      taskSweep.set(id, key);
      tasks.push({ kind: 'double', id, sweep: key, request: out.sweep.request });
    }
    open.set(key, open.get(key)! + tasks.length);
    // First in line: the threads still hold this sweep's session.
    queue.unshift(...tasks);
  };

  const onError = (task: DetectTask, error: string) => {
    if (task.kind === 'replay') {
      replays.push({ use: taskUse.get(task.id)!, results: [], error });
      return;
    }
    const out = outcomes.get(task.sweep)!;
    out.error ??= error;
    if (task.kind === 'ops') firstPassLeft.set(task.sweep, firstPassLeft.get(task.sweep)! - 1);
    finishSweepTask(task.sweep);
  };

  const label = (task: DetectTask) => (task.kind === 'replay' ? `${plan.uses[taskUse.get(task.id)!]!.suite} second cuts` : outcomes.get(task.sweep)!.sweep.label);
  const onPoint = (n = 1) => {
    points += n;
    progress();
  };

  if (opts.workers <= 0) {
    const runner = new DetectRunner();
    try {
      for (let task = queue.shift(); task; task = queue.shift()) {
        current.clear();
        current.add(label(task));
        try {
          onResult(await runner.run(task, () => onPoint(), opts.signal));
        } catch (err) {
          opts.signal?.throwIfAborted();
          onError(task, err instanceof Error ? err.message : String(err));
        }
        progress();
      }
    } finally {
      await runner.close();
    }
    return { sweeps: outcomes, replays, workers: 0 };
  }

  await new ThreadPool(opts.workers).drain(
    () => queue.shift(),
    {
      started: (task) => {
        current.add(label(task));
        progress();
      },
      progress: (n) => onPoint(n),
      done: (task, msg) => {
        current.delete(label(task));
        if (msg.ok) onResult(msg.result);
        else onError(task, msg.error);
        progress();
      },
    },
    opts.signal,
  );
  return { sweeps: outcomes, replays, workers: opts.workers };
}

/**
 * Whether a sweep gets double cuts (double-rule.ts), once its first pass is in: when a suite using
 * it has second-cut points, and its bootloader is correct (it must stay clean under them too) or
 * no one-cut point caught it (the resume bugs, caught only there). A seeded bug the one-cut points
 * already caught gains nothing from them but time (hil detect must stay a per-commit check).
 */
export function wantsDouble(plan: DetectPlan, out: DetectSweepOutcome): boolean {
  if (!out.sweep.double) return false;
  const uses = plan.uses.filter((u) => u.sweep === out.sweep.key);
  if (!uses.some((u) => u.buggy)) return true;
  return !uses.some((u) => out.results.some((r) => !u.safe.includes(r.outcome)));
}

/** The worker's compiled file: beside this module in dist/, or dist/'s copy when run from the sources (Jest). */
export function detectWorkerFile(): URL {
  const here = fileURLToPath(import.meta.url);
  const beside = here.replace(/run-detect\.(ts|js)$/, 'worker.js');
  if (here.endsWith('.js') && existsSync(beside)) return pathToFileURL(beside);
  const compiled = beside.replace(/([/\\])src([/\\])scenario([/\\])detect([/\\])worker\.js$/, '$1dist$2scenario$3detect$4worker.js');
  if (!existsSync(compiled)) throw new Error(`detect workers need the compiled ${compiled} (run npm run build)`);
  return pathToFileURL(compiled);
}

interface PoolEvents {
  started(task: DetectTask): void;
  progress(points: number): void;
  done(task: DetectTask, msg: Extract<DetectWorkerMessage, { ok: boolean }>): void;
}

/**
 * Long-lived worker threads fed one task at a time from a shared queue (the queue grows as first
 * passes finish, so a thread asks for its next task only when free). An abort, or a thread that
 * dies, terminates every thread at once.
 */
class ThreadPool {
  private readonly threads: Worker[] = [];

  constructor(private readonly size: number) {}

  async drain(next: () => DetectTask | undefined, events: PoolEvents, signal?: AbortSignal): Promise<void> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (!signal) return;
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const file = detectWorkerFile();
      const all = Promise.all(Array.from({ length: this.size }, () => this.serve(new Worker(file), next, events)));
      await Promise.race([all, aborted]);
    } finally {
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      await Promise.all(this.threads.map((w) => w.terminate()));
    }
  }

  /**
   * One thread's loop: a task, its reply, the next task. The thread idles when the queue is empty
   * but another thread's first pass may still add a second pass: it polls on each event of the
   * pool (any reply), so it waits on the others, not on a timer.
   */
  private serve(worker: Worker, next: () => DetectTask | undefined, events: PoolEvents): Promise<void> {
    this.threads.push(worker);
    return new Promise((resolve, reject) => {
      let task: DetectTask | undefined;
      const give = () => {
        task = next();
        if (!task) {
          if (this.busy === 0) {
            this.wake();
            return resolve();
          }
          this.waiting.push(give);
          return;
        }
        this.busy++;
        events.started(task);
        worker.postMessage(task);
      };
      worker.on('message', (msg: DetectWorkerMessage) => {
        if ('progress' in msg) return events.progress(msg.progress);
        const t = task!;
        task = undefined;
        this.busy--;
        events.done(t, msg);
        this.wake();
        give();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (task) reject(new Error(`detect worker exited with code ${code} during a task`));
      });
      give();
    });
  }

  private busy = 0;
  private waiting: (() => void)[] = [];

  /** Gives every idle thread another look at the queue. */
  private wake(): void {
    const idle = this.waiting.splice(0);
    for (const give of idle) give();
  }
}
