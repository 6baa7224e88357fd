/**
 * Double sweeps: for each first cut, a second cut at the ops of the recovery it starts (a power cut
 * in the resumed swap, the repair, the first boot's housekeeping), each judged as runCut judges a
 * cut with `second:`.
 *
 * Two passes over the engine. The first recovers every first cut with its recovery's op log
 * recorded (a second recorder on the twin: the update's log stays loadable), and returns, per first
 * cut, its own outcome and how many ops its recovery ran. The second pass is the double points
 * themselves, explicit (`second` on each point), dealt to workers in chunks: a worker records each
 * first cut's recovery once more (one recovery among the dozens or hundreds of its second cuts) and
 * cuts it at each second point. Points stay plain data, so the memory a double sweep holds is its
 * results: they are compacted (shared empty reasons, one string per state hash) and bounded by
 * MAX_DOUBLE_POINTS, past which a sweep must be sampled.
 */
import type { Outcome } from '../../config/vocabulary.js';
import { runSweep, type SweepOptions, type SweepRun } from './engine.js';
import { sampleOps, type SweepMode } from './modes.js';
import { SWEEP_CUT_MODES, tornFractions, type SweepCutMode, type SweepCutPoint } from './points.js';
import type { PointResult, RecoverySummary } from './recover.js';
import { withMode, type SweepRequest } from './session.js';

export type DoubleMode = Extract<SweepMode, { mode: 'double' }>;

/** Beyond this many double points a sweep holds too much (a Pi has a GB or two): sample it. */
export const MAX_DOUBLE_POINTS = 250_000;
/** Double points per engine call: bounds the points and replies in flight at once. */
const CHUNK_POINTS = 20_000;

export interface DoubleSweepRun extends SweepRun {
  /** Every first cut alone, with the size of the recovery it starts. */
  firsts: PointResult[];
  /** The longest recovery's op count: the second axis of the 2-D map. */
  secondOps: number;
}

export class DoubleSweepTooLarge extends RangeError {}

/**
 * The second cuts of one first cut: every op of its recovery (or a seeded sample of them) in each
 * cut mode, torn ones at `torn` seeded fractions. One seed per double point, the first cut's: a
 * replay seeds the twin once and both tears draw from it.
 */
export function secondPoints(first: SweepCutPoint, recovery: RecoverySummary, mode: DoubleMode): SweepCutPoint[] {
  const cut: readonly SweepCutMode[] = mode.cut ?? SWEEP_CUT_MODES;
  const unfinished = new Set(recovery.unfinished ?? []);
  const indices = Array.from({ length: recovery.ops }, (_, i) => i);
  const points: SweepCutPoint[] = [];
  for (const index of sampleOps(indices, mode.second.sample, first.seed ^ 0x1f83d9ab)) {
    for (const m of cut) {
      if (m === 'after' && unfinished.has(index)) continue;
      const base = { op: first.op, mode: first.mode, ...(first.fraction !== undefined && { fraction: first.fraction }), seed: first.seed, ...(first.atMs !== undefined && { atMs: first.atMs }) };
      if (m === 'torn') for (const f of tornFractions(first.seed, index, mode.torn ?? 1)) points.push({ ...base, second: { op: index, mode: 'torn', fraction: f, seed: first.seed } });
      else points.push({ ...base, second: { op: index, mode: m, seed: first.seed } });
    }
  }
  return points;
}

/** How many double points a sweep's first cuts give, without building them. */
export function countDoublePoints(firsts: readonly PointResult[], mode: DoubleMode): number {
  const cut = mode.cut ?? SWEEP_CUT_MODES;
  const per = cut.reduce((a, m) => a + (m === 'torn' ? (mode.torn ?? 1) : 1), 0);
  let n = 0;
  for (const f of firsts) {
    const ops = f.recovery?.ops ?? 0;
    n += Math.min(ops, mode.second.sample ?? ops) * per;
  }
  return n;
}

const NO_REASONS: string[] = [];

/** Results as a double sweep keeps them: no per-point copies of what thousands of points share. */
class Compactor {
  private readonly hashes = new Map<string, string>();
  keep(r: PointResult): PointResult {
    let h = this.hashes.get(r.stateHash);
    if (h === undefined) this.hashes.set(r.stateHash, (h = r.stateHash));
    return { point: r.point, outcome: r.outcome, reasons: r.reasons.length ? r.reasons : NO_REASONS, stateHash: h, ...(r.shared && { shared: true }) };
  }
}

/**
 * A double sweep: first cuts as the mode gives them (every op, or a seeded sample), then second
 * cuts in each one's recovery. Results are the double points, in first-cut order; `firsts` holds the
 * first cuts' own outcomes. Progress counts first cuts, then double points once they are known.
 */
export async function runDoubleSweep(request: SweepRequest, mode: DoubleMode, opts: Omit<SweepOptions, 'points' | 'modes'> = {}): Promise<DoubleSweepRun> {
  const { onProgress, ...engine } = opts;
  const first = await runSweep(withMode(request, mode), { ...engine, ...(onProgress && { onProgress }) });
  const firsts = first.results;
  const total = countDoublePoints(firsts, mode);
  if (total > MAX_DOUBLE_POINTS) {
    throw new DoubleSweepTooLarge(
      `a double sweep of ${firsts.length} first cuts gives ${total} points, more than ${MAX_DOUBLE_POINTS}: sample the first cuts or the second (first.sample / second.sample, hil sweep --sample)`,
    );
  }
  const compact = new Compactor();
  const results: PointResult[] = [];
  let chunk: SweepCutPoint[] = [];
  let timing = first.timing ? [...first.timing] : undefined;
  const flush = async () => {
    if (!chunk.length) return;
    const base = results.length;
    const run = await runSweep(request, { ...engine, points: chunk, ...(onProgress && { onProgress: (done: number) => onProgress(firsts.length + base + done, firsts.length + total) }) });
    for (const r of run.results) results.push(compact.keep(r));
    if (run.timing) timing = [...(timing ?? []), ...run.timing];
    chunk = [];
  };
  for (const f of firsts) {
    if (!f.recovery?.ops) continue;
    chunk.push(...secondPoints(f.point, f.recovery, mode));
    if (chunk.length >= CHUNK_POINTS) await flush();
  }
  await flush();
  const secondOps = Math.max(0, ...firsts.map((f) => f.recovery?.ops ?? 0));
  return { ops: first.ops, results, workers: first.workers, ...(timing && { timing }), firsts, secondOps };
}

/** Outcome counts of a double sweep, per first-cut mode and second-cut mode (`torn/before`). */
export function doubleCounts(results: readonly PointResult[]): Record<string, Partial<Record<Outcome, number>>> {
  const out: Record<string, Partial<Record<Outcome, number>>> = {};
  for (const r of results) {
    const k = `${r.point.mode}/${r.point.second?.mode ?? '-'}`;
    const c = (out[k] ??= {});
    c[r.outcome] = (c[r.outcome] ?? 0) + 1;
  }
  return out;
}
