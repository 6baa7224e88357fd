/**
 * Sweep modes: which cut points a sweep tries, as plain data (a suite's `cuts.sweeps` entry, `hil
 * sweep --mode`), and the points each gives on a recording.
 *
 * - every-op: each op in each `cut` mode, with `torn` seeded fractions per op (spread: one per
 *   slice of the op, so they differ; one fraction is the sweep's historical point, seed included).
 * - range: a host trigger swept from..to by step, each value mapped to the state its cut leaves:
 *   `after` (ms after the update started), `progress` (percent or bytes of the update acknowledged),
 *   `marker` (edge e: the op that edge starts, in each `cut` mode).
 * - random: `count` seeded points, each a seeded (op, mode, fraction).
 * - double: first cuts as every-op gives them (or a seeded `sample` of their ops); for each, second
 *   cuts at the ops of the recovery it starts (or a seeded sample): see ./double.ts.
 *
 * How a host trigger maps onto the op log. A runCut replay arms the trigger when the update starts
 * and cuts the moment it is met; the twin's flash op in flight then lands per its power-loss mode.
 * With the torn physics (what a sweep models inside an op), the cut at time t leaves:
 *   - inside op k (started before t, not complete before t): op k torn at (t - start) / duration;
 *   - between ops (the last started op complete before t): the state after the last finished op,
 *     which is the state before the next one (the same flash: they share one recovery);
 *   - before the first op: the state before op 0.
 * A trigger's timer is armed at the update's start, before any op of the update is started, so at
 * an instant where a timer of the device's also falls (an op starting or ending exactly at t) the
 * cut comes first: an op starting at t has not started, an op ending at t is torn at fraction 1.
 * A progress trigger cuts inside the updater's report, so it lands where the recording saw that
 * report among the ops (the op then in flight, if any, is torn at the report's time).
 * Whether the host had seen the update finish before the cut (a later rollback is then a lost
 * update) is the cut's time against the update's end; between ops the point is written as "after
 * op k" before the update's end and "before op k+1" after it, so its op gives the same answer
 * (`committedAt`); where no op can (no op yet), the point carries its time (`atMs`).
 */
import type { SweepOp } from '../../drivers/device/twin-sweep.js';
import { everyOpPoints, mulberry32, pointSeed, SWEEP_CUT_MODES, seedFor, tornPoint, type SweepCutMode, type SweepCutPoint } from './points.js';
import type { ProgressMark, Recording } from './recording.js';
import { committedAt } from './recover.js';

export type RangeTrigger = 'after' | 'marker' | 'progress';
export const RANGE_TRIGGERS: readonly RangeTrigger[] = ['after', 'marker', 'progress'];

export type SweepMode =
  | { mode: 'every-op'; cut?: SweepCutMode[]; torn?: number }
  | {
      mode: 'range';
      trigger: RangeTrigger;
      /** after: ms after the update started; marker: edges; progress: percent (or bytes with unit: 'bytes'). */
      from: number;
      to: number;
      step: number;
      /** progress only: the values are a percentage of the update (default) or bytes of it. */
      unit?: 'percent' | 'bytes';
      /** marker only: the modes a cut at the edge's op is tried in (default all three). */
      cut?: SweepCutMode[];
    }
  | { mode: 'random'; count: number; cut?: SweepCutMode[] }
  | { mode: 'double'; first: { sample?: number }; second: { sample?: number }; cut?: SweepCutMode[]; torn?: number };

export type SweepModeName = SweepMode['mode'];
export const SWEEP_MODE_NAMES: readonly SweepModeName[] = ['every-op', 'range', 'random', 'double'];

/** Bounds: a typo (step 0.0001 over an hour) is refused, not turned into a night of points. */
export const MAX_MODE_POINTS = 1_000_000;
export const MAX_TORN_FRACTIONS = 64;

/** What is wrong with a mode, naming the field (the CLI names its option after it), or undefined. */
export interface ModeProblem {
  field: 'mode' | 'cut' | 'torn' | 'trigger' | 'from' | 'to' | 'step' | 'unit' | 'count' | 'first.sample' | 'second.sample';
  message: string;
}

function positiveInt(v: unknown, max: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= max;
}

export function modeProblem(mode: SweepMode): ModeProblem | undefined {
  if (!(SWEEP_MODE_NAMES as readonly string[]).includes(mode.mode)) return { field: 'mode', message: `expected one of ${SWEEP_MODE_NAMES.join(', ')}, got ${JSON.stringify(mode.mode)}` };
  if ('cut' in mode && mode.cut !== undefined) {
    if (!mode.cut.length || mode.cut.some((c) => !SWEEP_CUT_MODES.includes(c))) return { field: 'cut', message: `expected some of ${SWEEP_CUT_MODES.join(', ')}, got ${JSON.stringify(mode.cut)}` };
  }
  if ('torn' in mode && mode.torn !== undefined && !positiveInt(mode.torn, MAX_TORN_FRACTIONS))
    return { field: 'torn', message: `expected an integer from 1 to ${MAX_TORN_FRACTIONS}, got ${String(mode.torn)}` };
  switch (mode.mode) {
    case 'every-op':
      return undefined;
    case 'random':
      return positiveInt(mode.count, MAX_MODE_POINTS) ? undefined : { field: 'count', message: `expected an integer from 1 to ${MAX_MODE_POINTS}, got ${String(mode.count)}` };
    case 'double':
      if (mode.first.sample !== undefined && !positiveInt(mode.first.sample, MAX_MODE_POINTS)) return { field: 'first.sample', message: `expected an integer >= 1, got ${String(mode.first.sample)}` };
      if (mode.second.sample !== undefined && !positiveInt(mode.second.sample, MAX_MODE_POINTS))
        return { field: 'second.sample', message: `expected an integer >= 1, got ${String(mode.second.sample)}` };
      return undefined;
    case 'range': {
      if (!RANGE_TRIGGERS.includes(mode.trigger)) return { field: 'trigger', message: `expected one of ${RANGE_TRIGGERS.join(', ')}, got ${JSON.stringify(mode.trigger)}` };
      if (mode.unit !== undefined && mode.unit !== 'percent' && mode.unit !== 'bytes') return { field: 'unit', message: `expected percent or bytes, got ${JSON.stringify(mode.unit)}` };
      for (const f of ['from', 'to', 'step'] as const) {
        if (typeof mode[f] !== 'number' || !Number.isFinite(mode[f]) || mode[f] < 0) return { field: f, message: `expected a number >= 0, got ${String(mode[f])}` };
      }
      if (mode.step <= 0) return { field: 'step', message: `expected a step > 0, got ${mode.step}` };
      if (mode.from > mode.to) return { field: 'from', message: `from (${mode.from}) is after to (${mode.to})` };
      if (mode.trigger === 'marker' && ![mode.from, mode.to, mode.step].every(Number.isInteger))
        return { field: 'step', message: 'marker edges are whole numbers: from, to and step must be integers' };
      if (mode.trigger === 'marker' && mode.from < 1) return { field: 'from', message: 'marker edges count from 1' };
      if (mode.trigger === 'progress' && (mode.unit ?? 'percent') === 'percent' && mode.to > 100) return { field: 'to', message: `a percentage is at most 100, got ${mode.to}` };
      const n = Math.floor((mode.to - mode.from) / mode.step + 1e-9) + 1;
      if (n > MAX_MODE_POINTS) return { field: 'step', message: `${n} values from ${mode.from} to ${mode.to}: at most ${MAX_MODE_POINTS}` };
      return undefined;
    }
  }
}

/** from, from + step, … up to `to` (computed from the index: no drift from repeated addition). */
export function rangeValues(from: number, to: number, step: number): number[] {
  const n = Math.floor((to - from) / step + 1e-9) + 1;
  return Array.from({ length: n }, (_, i) => Number((from + i * step).toPrecision(12)));
}

/**
 * The points a mode gives on a recording, seeded by the sweep's seed. A `double` mode gives its
 * first cuts (the second cuts depend on each first cut's recovery). Throws a RangeError on a
 * mode `modeProblem` refuses.
 */
export function pointsFor(mode: SweepMode, rec: Recording, seed: number): SweepCutPoint[] {
  const problem = modeProblem(mode);
  if (problem) throw new RangeError(`sweep mode ${mode.mode}: ${problem.field}: ${problem.message}`);
  const cut = ('cut' in mode && mode.cut) || SWEEP_CUT_MODES;
  switch (mode.mode) {
    case 'every-op':
      return everyOpPoints(rec.ops, cut, seed, mode.torn ?? 1);
    case 'double':
      return everyOpPoints(sampleOps(rec.ops, mode.first.sample, seed), cut, seed, mode.torn ?? 1);
    case 'random':
      return randomPoints(rec.ops, cut, mode.count, seed);
    case 'range': {
      const values = rangeValues(mode.from, mode.to, mode.step);
      if (mode.trigger === 'marker') return values.flatMap((edge) => markerPoints(rec, edge, cut, seed));
      if (mode.trigger === 'after') return values.map((ms) => pointAtTime(rec, ms, seed));
      return values.flatMap((v) => {
        const p = pointAtProgress(rec, mode.unit === 'bytes' ? { bytes: v } : { percent: v }, seed);
        return p ? [p] : [];
      });
    }
  }
}

/** A seeded sample of `n` ops (all of them when n is absent or not smaller), in op order. */
export function sampleOps<T>(ops: readonly T[], n: number | undefined, seed: number): T[] {
  if (n === undefined || n >= ops.length) return [...ops];
  // A partial Fisher-Yates over the indices: n distinct ops, every op equally likely.
  const next = mulberry32(seed ^ 0x3c6ef372);
  const idx = ops.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(next() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => ops[i]!);
}

function randomPoints(ops: readonly SweepOp[], cut: readonly SweepCutMode[], count: number, seed: number): SweepCutPoint[] {
  if (!ops.length) return [];
  const next = mulberry32(seed ^ 0x510e527f);
  const points: SweepCutPoint[] = [];
  while (points.length < count) {
    const op = ops[Math.floor(next() * ops.length)]!;
    const mode = cut[Math.floor(next() * cut.length)]!;
    const fraction = 0.05 + 0.9 * next();
    if (mode === 'after' && op.endMs === undefined) {
      // No after state for an op that never completed: draw again (another op or mode).
      if (cut.length === 1 && ops.every((o) => o.endMs === undefined)) break;
      continue;
    }
    points.push(mode === 'torn' ? tornPoint(seed, op.index, fraction) : { op: op.index, mode, seed: seedFor(seed, op.index, mode) });
  }
  // In op order (a report reads along the update; worker shares go by op).
  return points.sort((a, b) => a.op - b.op || SWEEP_CUT_MODES.indexOf(a.mode) - SWEEP_CUT_MODES.indexOf(b.mode) || (a.fraction ?? 0) - (b.fraction ?? 0));
}

function markerPoints(rec: Recording, edge: number, cut: readonly SweepCutMode[], seed: number): SweepCutPoint[] {
  const op = rec.ops.find((o) => o.marker === edge);
  if (!op) return [];
  return everyOpPoints([op], cut, seed);
}

/** The host had seen the update finish (committed) before a cut at this time (ms after the update started). */
function committedBy(rec: Recording, ms: number): boolean {
  return rec.committed && rec.updateDoneMs !== undefined && rec.updateDoneMs < rec.updateStartMs + ms;
}

/**
 * The state between ops: after the last finished op `k` (-1: none yet), written so that its op
 * tells whether the host had seen the update finish; a point whose op cannot tell carries its time.
 */
function between(rec: Recording, k: number, ms: number, seed: number): SweepCutPoint {
  const committed = committedBy(rec, ms);
  const next = rec.ops[k + 1];
  let point: SweepCutPoint;
  if (k < 0 || (committed && next)) point = { op: k + 1, mode: 'before', seed: pointSeed(seed, k + 1, 'before') };
  else point = { op: k, mode: 'after', seed: pointSeed(seed, k, 'after') };
  return committedAt(rec, point) === committed ? point : { ...point, atMs: ms };
}

/** Op `k` torn at time `ms`, with the time kept where its op cannot tell the commit (see above). */
function tornAt(rec: Recording, k: number, ms: number, seed: number): SweepCutPoint {
  const op = rec.ops[k]!;
  const t = rec.updateStartMs + ms;
  const fraction = op.durationMs > 0 ? Math.min(1, Math.max(0, (t - op.startMs) / op.durationMs)) : 1;
  const point = tornPoint(seed, k, fraction);
  return committedAt(rec, point) === committedBy(rec, ms) ? point : { ...point, atMs: ms };
}

/** The cut a time trigger (`after:ms`) makes, as the state it leaves (see the mapping above). */
export function pointAtTime(rec: Recording, ms: number, seed: number): SweepCutPoint {
  const t = rec.updateStartMs + ms;
  const ops = rec.ops;
  if (!ops.length) throw new RangeError('the recording has no ops: no cut state to build');
  // The last op started strictly before t (ops are logged in start order).
  let lo = 0;
  let hi = ops.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ops[mid]!.startMs < t) lo = mid + 1;
    else hi = mid;
  }
  const k = lo - 1;
  if (k < 0) return between(rec, -1, ms, seed);
  const op = ops[k]!;
  if (op.endMs === undefined || op.endMs >= t) return tornAt(rec, k, ms, seed);
  return between(rec, k, ms, seed);
}

/**
 * The cut a progress trigger makes: at the first report with at least that much acknowledged (as
 * TriggerWatch.onProgress), placed among the ops as the recording saw it. Undefined when no report
 * of the update reaches it (the replayed trigger would never fire during the update).
 */
export function pointAtProgress(rec: Recording, amount: { percent: number } | { bytes: number }, seed: number): SweepCutPoint | undefined {
  const mark = rec.progress.find((m) => m.total > 0 && m.acked >= need(amount, m));
  if (!mark) return undefined;
  if (mark.inFlight !== undefined) return tornAt(rec, mark.inFlight, mark.ms, seed);
  return between(rec, mark.opsStarted - 1, mark.ms, seed);
}

function need(amount: { percent: number } | { bytes: number }, mark: ProgressMark): number {
  return 'bytes' in amount ? amount.bytes : Math.ceil((amount.percent / 100) * mark.total);
}

/** The trigger text a range value is (`after:1500ms`, `progress:37%`, `marker:12`), for labels and replays. */
export function rangeTriggerText(mode: Extract<SweepMode, { mode: 'range' }>, value: number): string {
  if (mode.trigger === 'after') return `after:${value}ms`;
  if (mode.trigger === 'marker') return `marker:${value}`;
  return mode.unit === 'bytes' ? `progress:${value}` : `progress:${value}%`;
}
