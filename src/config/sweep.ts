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
