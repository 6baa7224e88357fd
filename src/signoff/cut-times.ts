/**
 * The cut instants of the time-based modes, as triggers: what a bench can do (it has no op log),
 * and what a twin replays to cross-check its sweep engine.
 */
import { roundTo, type Trigger } from '../config/trigger.js';
import type { SignoffCutMode } from '../config/signoff-schema.js';
import { mulberry32 } from '../scenario/sweep/points.js';
import { rangeValues } from '../scenario/sweep/modes.js';

/**
 * `count` seeded times in [fromMs, toMs], in time order. Seeded (the same file gives the same cuts
 * on every run: a failing cut can be made again) and rounded to a microsecond so each prints and
 * replays exactly as `after:T`.
 */
export function randomTimes(count: number, fromMs: number, toMs: number, seed: number): number[] {
  // A stream of its own (not the op sweep's): the same seed must not correlate ops and times.
  const next = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  return Array.from({ length: count }, () => roundTo(fromMs + next() * (toMs - fromMs), 3)).sort((a, b) => a - b);
}

/** The triggers a time-based mode gives (range: every value; random with a window: seeded times). Throws on an op-based mode. */
export function modeTriggers(mode: SignoffCutMode, seed: number): Trigger[] {
  if (mode.mode === 'range') {
    const values = rangeValues(mode.from, mode.to, mode.step);
    if (mode.trigger === 'after') return values.map((ms) => ({ kind: 'after', ms }));
    if (mode.trigger === 'progress') return values.map((percent) => ({ kind: 'progress', percent }));
    return values.map((edge) => ({ kind: 'marker', edge, delayMs: 0 }));
  }
  if (mode.mode === 'random' && mode.window) return randomTimes(mode.count, mode.window.fromMs, mode.window.toMs, seed).map((ms) => ({ kind: 'after', ms }));
  throw new RangeError(`sign-off: ${mode.mode}${mode.mode === 'random' ? ' without from/to' : ''} is not a time-based mode`);
}
