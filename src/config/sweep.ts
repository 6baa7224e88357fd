/**
 * Sweeps: many cuts over one update, evenly spaced over a range of trigger values, both ends
 * included (`count: 1` is just `from`). Expanded values are rounded to microseconds, thousandths
 * of a percent and whole bytes, so that they print cleanly and round-trip through formatTrigger.
 */
import { roundTo, type Trigger } from './trigger.js';

/** `secondMs`: every cut of the sweep is followed by a second one this long after power returns. */
export type Sweep =
  | { kind: 'after'; fromMs: number; toMs: number; count: number; secondMs?: number }
  | { kind: 'progress'; unit: 'percent' | 'bytes'; from: number; to: number; count: number; secondMs?: number }
  | { kind: 'console'; pattern: string; flags: string; nth: number; fromMs: number; toMs: number; count: number; secondMs?: number }
  | { kind: 'marker'; from: number; to: number; delayMs: number; count: number; secondMs?: number };

/** `count` evenly spaced values from `from` to `to`, both included. */
export function spread(from: number, to: number, count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be an integer >= 1, got ${count}`);
  if (count === 1) return [from];
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? to : from + ((to - from) * i) / (count - 1)));
}

/** The triggers of a sweep, in order. */
export function expandSweep(sweep: Sweep): Trigger[] {
  switch (sweep.kind) {
    case 'after':
      return spread(sweep.fromMs, sweep.toMs, sweep.count).map((ms) => ({ kind: 'after', ms: roundTo(ms, 3) }));
    case 'progress':
      return spread(sweep.from, sweep.to, sweep.count).map((value) => (sweep.unit === 'percent' ? { kind: 'progress', percent: roundTo(value, 3) } : { kind: 'progress', bytes: Math.round(value) }));
    case 'marker': {
      // Edges are whole numbers: a dense sweep may name one twice, which is kept once.
      const edges = [...new Set(spread(sweep.from, sweep.to, sweep.count).map((e) => Math.round(e)))];
      return edges.map((edge) => ({ kind: 'marker', edge, delayMs: sweep.delayMs }));
    }
    case 'console':
      return spread(sweep.fromMs, sweep.toMs, sweep.count).map((delayMs) => ({
        kind: 'console',
        pattern: sweep.pattern,
        flags: sweep.flags,
        nth: sweep.nth,
        delayMs: roundTo(delayMs, 3),
      }));
  }
}

/**
 * Op sweeps (`cuts.sweeps` entries with `mode:`): cut points at the flash operations of the
 * update, run on the twin's sweep engine (src/scenario/sweep) instead of replaying the update per
 * cut. The shapes are the engine's `SweepMode` (src/scenario/sweep/modes.ts), kept here as plain
 * data because config sits below scenario; src/testing/sweep-tests.ts hands them over as they are.
 */
export type OpCutMode = 'before' | 'after' | 'torn';
export const OP_CUT_MODES: readonly OpCutMode[] = ['before', 'after', 'torn'];

export type OpSweepMode =
  /** One cut per op in each `cut` mode; `torn`: torn fractions per op (default one). */
  | { mode: 'every-op'; cut?: OpCutMode[]; torn?: number }
  /** `after`: ms from the update's start; `marker`: op edges; `progress`: percent of the update. */
  | { mode: 'range'; trigger: 'after' | 'marker' | 'progress'; from: number; to: number; step: number }
  | { mode: 'random'; count: number }
  /** For each first cut (a seeded sample, or every op), a second cut in the recovery it starts. */
  | { mode: 'double'; first: { sample?: number }; second: { sample?: number } };

export type OpSweepKind = OpSweepMode['mode'];
export const OP_SWEEP_MODES: readonly OpSweepKind[] = ['every-op', 'range', 'random', 'double'];

export interface OpSweep {
  /** Its index in the file's `cuts.sweeps` (where errors about it point). */
  index: number;
  sweep: OpSweepMode;
  /** Seeds the recording and every point's torn fraction; default: the rig's twin seed. */
  seed?: number;
}

/** `every-op/torn`, `range after 0..600 step 10`, `random 200`, `double`: how results name a sweep. */
export function opSweepName(sweep: OpSweepMode): string {
  switch (sweep.mode) {
    case 'every-op':
      return 'every-op';
    case 'range':
      return `range ${sweep.trigger} ${sweep.from}..${sweep.to} step ${sweep.step}`;
    case 'random':
      return `random ${sweep.count}`;
    case 'double':
      return 'double';
  }
}
