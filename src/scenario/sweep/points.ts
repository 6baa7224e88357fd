import type { SweepCutMode, SweepCutPoint, SweepOp } from '../../drivers/device/twin-sweep.js';

export type { SweepCutMode, SweepCutPoint };
export const SWEEP_CUT_MODES: readonly SweepCutMode[] = ['before', 'after', 'torn'];

/** Where a torn point may land: kept off the very ends (0 and 1 are the before and after points). */
const TORN_LOW = 0.05;
const TORN_SPAN = 0.9;

/** Same generator as the twin's (mulberry32), so a torn point's fraction is reproducible from the sweep seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of one point: the sweep's seed mixed with the op and the mode, so points do not share torn bits. */
export function pointSeed(sweepSeed: number, op: number, mode: SweepCutMode): number {
  return (Math.imul(sweepSeed ^ 0x5bd1e995, 0x01000193) + Math.imul(op + 1, 0x9e3779b1) + SWEEP_CUT_MODES.indexOf(mode)) >>> 0;
}

/** The one torn fraction an op gets when a sweep asks for one per op (every recorded seed depends on it). */
export function defaultFraction(sweepSeed: number, op: number): number {
  return TORN_LOW + TORN_SPAN * mulberry32(pointSeed(sweepSeed, op, 'torn'))();
}

/**
 * The seed of a point at (op, mode, fraction): a function of those and the sweep's seed alone, so
 * `hil sweep --point OP:torn:F --seed S` rebuilds the very point whichever mode made it (every-op
 * with several fractions, range, random). A torn point at the op's default fraction, and every
 * before/after point, keeps the seed sweeps have always given it; any other fraction mixes its
 * bits in, so points at different fractions of one op draw different torn bits.
 */
export function seedFor(sweepSeed: number, op: number, mode: SweepCutMode, fraction?: number): number {
  const base = pointSeed(sweepSeed, op, mode);
  if (mode !== 'torn' || fraction === undefined || fraction === defaultFraction(sweepSeed, op)) return base;
  const bits = new DataView(new Float64Array([fraction]).buffer);
  let h = base ^ 0x27d4eb2f;
  for (const word of [bits.getUint32(0, true), bits.getUint32(4, true)]) h = Math.imul(h ^ word, 0x85ebca6b) ^ (h >>> 13);
  return h >>> 0;
}

/**
 * `n` torn fractions for one op, seeded and spread: one in each of n equal slices of the torn span,
 * so no two coincide and together they cross the whole op. n = 1 is the default fraction.
 */
export function tornFractions(sweepSeed: number, op: number, n: number): number[] {
  if (n === 1) return [defaultFraction(sweepSeed, op)];
  const next = mulberry32(pointSeed(sweepSeed, op, 'torn') ^ 0x6a09e667);
  return Array.from({ length: n }, (_, i) => TORN_LOW + TORN_SPAN * ((i + next()) / n));
}

/** A torn point at `fraction` of `op`, seeded as seedFor says. */
export function tornPoint(sweepSeed: number, op: number, fraction: number): SweepCutPoint {
  return { op, mode: 'torn', fraction, seed: seedFor(sweepSeed, op, 'torn', fraction) };
}

/**
 * Every op in each requested mode (`every-op`), with `torn` fractions per op (default one). An op
 * that never completed in the recording has no `after` point.
 */
export function everyOpPoints(ops: readonly SweepOp[], modes: readonly SweepCutMode[], seed: number, torn = 1): SweepCutPoint[] {
  const points: SweepCutPoint[] = [];
  for (const op of ops) {
    for (const mode of modes) {
      if (mode === 'after' && op.endMs === undefined) continue;
      if (mode === 'torn') for (const f of tornFractions(seed, op.index, torn)) points.push(tornPoint(seed, op.index, f));
      else points.push({ op: op.index, mode, seed: pointSeed(seed, op.index, mode) });
    }
  }
  return points;
}
