import { OUTCOMES, type Outcome } from '../../config/vocabulary.js';
import type { MapResult } from './map-types.js';
import { isFailing } from './outcome-style.js';

/** A run of ops where cuts fail: what a lab engineer looks for first. */
export interface VulnerableWindow {
  from: number;
  to: number;
  points: number;
  outcomes: Partial<Record<Outcome, number>>;
}

/**
 * Failing points grouped into windows of consecutive ops, whatever their row (`after k` and
 * `before k+1` are the same state: a window seen in one row and continued in another is one window).
 * `failing` says which points fail (by default: outcome outside updated/rolled-back; a map passes
 * its own safe set and leaves known points out); `opOf` picks the axis: the first cut's op, or the second's.
 */
export function vulnerableWindows(
  results: readonly MapResult[],
  failing: (r: MapResult) => boolean = (r) => isFailing(r.outcome),
  opOf: (r: MapResult) => number = (r) => r.point.op,
): VulnerableWindow[] {
  const byOp = new Map<number, MapResult[]>();
  for (const r of results) {
    if (!failing(r)) continue;
    const op = opOf(r);
    const list = byOp.get(op);
    if (list) list.push(r);
    else byOp.set(op, [r]);
  }
  const windows: VulnerableWindow[] = [];
  for (const op of [...byOp.keys()].sort((a, b) => a - b)) {
    let w = windows.at(-1);
    if (!w || op > w.to + 1) windows.push((w = { from: op, to: op, points: 0, outcomes: {} }));
    w.to = op;
    for (const r of byOp.get(op)!) {
      w.points++;
      w.outcomes[r.outcome] = (w.outcomes[r.outcome] ?? 0) + 1;
    }
  }
  return windows;
}

/** `waiting x1, bricked x2`, in the vocabulary's order */
export function describeOutcomes(outcomes: Partial<Record<Outcome, number>>): string {
  return OUTCOMES.filter((o) => outcomes[o])
    .map((o) => `${o} x${outcomes[o]}`)
    .join(', ');
}
