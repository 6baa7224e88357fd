import type { SweepCutMode, SweepCutPoint, SweepOp } from '../../drivers/device/twin-sweep.js';

export type { SweepCutMode, SweepCutPoint };
export const SWEEP_CUT_MODES: readonly SweepCutMode[] = ['before', 'after', 'torn'];

/** Same generator as the twin's (mulberry32), so a torn point's fraction is reproducible from the sweep seed. */
function mulberry32(seed: number): () => number {
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

/**
 * Every op in each requested mode (`every-op`). An op that never completed in the recording has
 * no `after` point. A torn point lands a seeded fraction through its op, kept off the very ends
 * (0 and 1 are the before and after points).
 */
export function everyOpPoints(ops: readonly SweepOp[], modes: readonly SweepCutMode[], seed: number): SweepCutPoint[] {
  const points: SweepCutPoint[] = [];
  for (const op of ops) {
    for (const mode of modes) {
      if (mode === 'after' && op.endMs === undefined) continue;
      const s = pointSeed(seed, op.index, mode);
      points.push({ op: op.index, mode, seed: s, ...(mode === 'torn' && { fraction: 0.05 + 0.9 * mulberry32(s)() }) });
    }
  }
  return points;
}
