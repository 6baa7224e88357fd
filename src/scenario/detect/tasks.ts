/**
 * The work items of `hil detect` and how a thread runs them. A thread keeps the last few sweep
 * sessions it opened (rig, images, the recording), so the shares and the second pass of one
 * sweep pay for its recording once per thread.
 */
import type { Outcome } from '../../config/vocabulary.js';
import { loadSuite } from '../../config/index.js';
import { openRig } from '../../rig/open-rig.js';
import { runCut } from '../cut.js';
import { prepareSuiteRig } from '../suite-run.js';
import type { SweepCutPoint } from '../sweep/points.js';
import type { Recording } from '../sweep/recording.js';
import { committedAt, recordRecovery, stopPointsOn, summarize } from '../sweep/recover.js';
import { secondPoints } from '../sweep/double.js';
import { DETECT_DOUBLE_MODE, DOUBLE_FIRSTS, doubleCandidates } from './double-rule.js';
import { SweepSession, type SweepRequest } from '../sweep/session.js';
import { opPoints } from './torn-rule.js';

/** Ops per block when a sweep's first pass is shared out (as the engine's workers deal them). */
const SHARE_BLOCK_OPS = 16;
/** Sessions a thread keeps open. */
const MAX_SESSIONS = 3;
/** How long after everything the settled point's replay cuts (nothing writes flash then). */
const SETTLED_MARGIN_MS = 1000;

export type DetectTask =
  /** The first pass (every op before, after, one seeded torn) over the blocks of ops of one share. */
  | { kind: 'ops'; id: number; sweep: string; request: SweepRequest; share: { index: number; of: number } }
  /** Given points (the second pass: decision ops torn at every unit). */
  | { kind: 'points'; id: number; sweep: string; request: SweepRequest; points: SweepCutPoint[] }
  /** The double cuts of one sweep (double-rule.ts). */
  | { kind: 'double'; id: number; sweep: string; request: SweepRequest }
  /** A suite's second-cut points replayed in full on one rig entry. */
  | { kind: 'replay'; id: number; suiteFile: string; entry: number; points: number[] };

export interface DetectPointOutcome {
  point: SweepCutPoint;
  outcome: Outcome;
  reasons: string[];
  /** The state long after the update, the host having seen it done (see settledPoint). */
  settled?: true;
  /** A second-pass point: a decision op torn at one of its write units. */
  decision?: true;
  /** A double cut (point.second: the cut in the recovery the first cut starts). */
  double?: true;
}

export interface ReplayOutcome {
  /** Index of the suite's cut point. */
  index: number;
  outcome: Outcome;
  agree: boolean;
  trigger: string;
  reasons: string[];
}

export type DetectTaskResult =
  { kind: 'ops' | 'points' | 'double'; id: number; sweep: string; recording: Recording; results: DetectPointOutcome[] } | { kind: 'replay'; id: number; results: ReplayOutcome[] };

/** Called with each point (or replayed cut) done. */
export type OnPoint = () => void;

export class DetectRunner {
  private readonly sessions = new Map<string, Promise<SweepSession>>();

  async run(task: DetectTask, onPoint: OnPoint, signal?: AbortSignal): Promise<DetectTaskResult> {
    if (task.kind === 'replay') return { kind: 'replay', id: task.id, results: await replay(task, onPoint, signal) };
    const session = await this.session(task.sweep, task.request, signal);
    // Ctrl-C reaches inside a point (a product's recovery can be seconds of CPU), not only between points.
    stopPointsOn(session.rig, signal);
    const rec = session.recording;
    if (task.kind === 'double') return { kind: 'double', id: task.id, sweep: task.sweep, recording: rec, results: await doubleCuts(session, onPoint, signal) };
    const points = task.kind === 'points' ? task.points : opPoints(rec.ops, task.request.seed).filter((p) => Math.floor(p.op / SHARE_BLOCK_OPS) % task.share.of === task.share.index);
    const results: DetectPointOutcome[] = [];
    for (const point of points) {
      signal?.throwIfAborted();
      const r = await session.recover(point);
      results.push({ point, outcome: r.outcome, reasons: r.reasons, ...(task.kind === 'points' && { decision: true as const }) });
      onPoint();
    }
    if (task.kind === 'ops' && task.share.index === 0) {
      const settled = await settledPoint(session);
      if (settled) {
        results.push(settled);
        onPoint();
      }
    }
    return { kind: task.kind, id: task.id, sweep: task.sweep, recording: rec, results };
  }

  private session(key: string, request: SweepRequest, signal?: AbortSignal): Promise<SweepSession> {
    let s = this.sessions.get(key);
    if (s) {
      // Most recently used last.
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    s = SweepSession.open(request, signal ? { signal } : {});
    this.sessions.set(key, s);
    s.catch(() => this.sessions.delete(key));
    while (this.sessions.size > MAX_SESSIONS) {
      const [oldest, open] = this.sessions.entries().next().value as [string, Promise<SweepSession>];
      this.sessions.delete(oldest);
      void open.then(
        (x) => x.close(),
        () => undefined,
      );
    }
    return s;
  }

  async close(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(open.map((s) => s.then((x) => x.close()).catch(() => undefined)));
  }
}

/**
 * The double cuts of one sweep (double-rule.ts): the candidates looked at in their seeded order,
 * each one's recovery logged (a plain recovery run: most write nothing); the first DOUBLE_FIRSTS
 * with a writing recovery get their second cuts, run right after that recovery is recorded again
 * in the session (which keeps the last one recorded). One task per sweep, so the points taken do
 * not depend on the number of threads.
 */
async function doubleCuts(session: SweepSession, onPoint: OnPoint, signal?: AbortSignal): Promise<DetectPointOutcome[]> {
  const offMs = session.request.offMs ?? session.rig.config.power.offMs;
  const results: DetectPointOutcome[] = [];
  let taken = 0;
  for (const first of doubleCandidates(session.recording.ops, session.request.seed)) {
    if (taken >= DOUBLE_FIRSTS) break;
    signal?.throwIfAborted();
    const recorded = await recordRecovery(session.rig, first, { offMs });
    if (!recorded.ops.length) continue;
    taken++;
    const recovery = await session.recoveryOf(first, recorded);
    for (const point of secondPoints(first, summarize(recovery), DETECT_DOUBLE_MODE)) {
      signal?.throwIfAborted();
      const r = await session.recover(point);
      results.push({ point, outcome: r.outcome, reasons: r.reasons, double: true });
      onPoint();
    }
  }
  return results;
}

/**
 * The state the update leaves once the host has seen it done. When every op came before the
 * host's `update-done` (SFU: the bootloader writes nothing after the reset), the last op's after
 * point is judged as a cut before the commit was seen (rolled-back is then fine); the same flash
 * after the commit was seen is a cut long after the update, where only `updated` is (a lost
 * update, e.g. generation-not-incremented, shows only there). Undefined when the last op's after
 * point is already judged so (its op ran after update-done) or never completed.
 */
async function settledPoint(session: SweepSession): Promise<DetectPointOutcome | undefined> {
  const rec = session.recording;
  const last = rec.ops[rec.ops.length - 1];
  if (!last || last.endMs === undefined || !rec.committed || rec.updateDoneMs === undefined) return undefined;
  if (committedAt(rec, { op: last.index, mode: 'after', seed: 0 })) return undefined;
  const point: SweepCutPoint = { op: last.index, mode: 'after', seed: session.request.seed, atMs: settledAtMs(rec) };
  const r = await session.recover(point);
  return { point, outcome: r.outcome, reasons: r.reasons, settled: true };
}

/** A time after the last op and after the host saw the update done (ms after the update started): where a full replay of the settled point cuts. */
export function settledAtMs(rec: Recording): number {
  const last = rec.ops[rec.ops.length - 1];
  const end = Math.max(last?.endMs ?? 0, rec.updateDoneMs ?? 0) - rec.updateStartMs;
  return Math.ceil(end / 100) * 100 + SETTLED_MARGIN_MS;
}

async function replay(task: Extract<DetectTask, { kind: 'replay' }>, onPoint: OnPoint, signal?: AbortSignal): Promise<ReplayOutcome[]> {
  const suite = await loadSuite(task.suiteFile);
  const entry = suite.rigs[task.entry];
  if (!entry) throw new Error(`${task.suiteFile}: no rig entry ${task.entry}`);
  const { config, scheme, images, points, spec } = await prepareSuiteRig(suite, entry);
  const rig = await openRig(config);
  const out: ReplayOutcome[] = [];
  try {
    for (const i of task.points) {
      signal?.throwIfAborted();
      const r = await runCut(rig, scheme, images, spec(points[i]!, i), { ...(signal && { signal }) });
      out.push({
        index: i,
        outcome: r.outcome,
        agree: r.verdict?.agree !== false,
        trigger: `${r.trigger}${r.secondCut ? ` + second cut ${r.secondCut.afterMs}ms` : ''}`,
        reasons: r.verdict?.reasons ?? (r.rigError ? [r.rigError] : []),
      });
      onPoint();
    }
  } finally {
    await rig.close();
  }
  return out;
}
