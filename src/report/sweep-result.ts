/**
 * How one op sweep of a suite reads in the report: a sweep of thousands of points is ONE Allure
 * result per (sweep, mode) with its counts and the list of failing points, and only a capped few
 * failing points get results of their own (src/testing/sweep-tests.ts declares them). The failing
 * list is folded into windows (consecutive ops failing the same way), which is what a lab engineer
 * looks for, so a seeded bug failing at half the ops still makes a short attachment.
 * Pure formatting: types only from scenario/.
 */
import type { SweepRun } from '../scenario/sweep/engine.js';
import type { SweepCutPoint } from '../scenario/sweep/points.js';
import type { PointResult } from '../scenario/sweep/recover.js';
import { retryChain } from './retry-chain.js';

type SweepOp = SweepRun['ops'][number];

/** Failing points that get an Allure result of their own, per (sweep, mode): the first of each window, then in op order. */
export const MAX_POINT_RESULTS = 10;
/** Failing points listed one per line in the attachment (windows are always listed in full). */
export const MAX_LISTED_POINTS = 200;

/** `op 123 torn 43.12%`, `op 7 after`, plus a double point's second cut. */
export function pointLabel(point: SweepCutPoint & { second?: { op: number; mode: string; fraction?: number } }): string {
  const one = (p: { op: number; mode: string; fraction?: number }) => `op ${p.op} ${p.mode}${p.mode === 'torn' && p.fraction !== undefined ? ` ${(p.fraction * 100).toFixed(2)}%` : ''}`;
  return point.second ? `${one(point)}, then ${one(point.second)} of its recovery` : one(point);
}

/**
 * `OP:MODE[:FRACTION][@MS][/OP2:MODE2[:F2]]` as `hil sweep --point` takes it (the fraction in full:
 * the point's seed depends on it); the same text as the engine's formatPoint (scenario/sweep/point-text.ts),
 * which report/ may not call.
 */
export function pointArgument(point: SweepCutPoint): string {
  const cut = (c: { op: number; mode: string; fraction?: number }) => `${c.op}:${c.mode}${c.fraction !== undefined ? `:${String(c.fraction)}` : ''}`;
  return `${cut(point)}${point.atMs !== undefined ? `@${String(point.atMs)}` : ''}${point.second ? `/${cut(point.second)}` : ''}`;
}

/** The op's stage and device phase, where the recording has them. */
export function opContext(op: SweepOp | undefined): string {
  if (!op) return '';
  return [op.stage, op.phase ?? `${op.kind}`].filter(Boolean).join(', ');
}

export function countByOutcome(results: readonly PointResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

/** Retried points by how their outcome came about (`waiting → retry 1 → updated`: 320). */
export function countByRetryChain(results: readonly PointResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const chain = retryChain(r);
    if (chain) counts[chain] = (counts[chain] ?? 0) + 1;
  }
  return counts;
}

export function countsText(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'no points'
  );
}

/** A run of failing points at consecutive ops (in one cut mode) that all ended the same way. */
export interface FailingWindow {
  mode: string;
  outcome: string;
  first: PointResult;
  last: PointResult;
  points: number;
}

/** Failing points (in the sweep's order) folded into windows. */
export function failingWindows(failing: readonly PointResult[]): FailingWindow[] {
  const sorted = [...failing].sort((a, b) => (a.point.mode < b.point.mode ? -1 : a.point.mode > b.point.mode ? 1 : a.point.op - b.point.op));
  const windows: FailingWindow[] = [];
  for (const r of sorted) {
    const w = windows.at(-1);
    if (w && w.mode === r.point.mode && w.outcome === r.outcome && r.point.op - w.last.point.op <= 1) {
      w.last = r;
      w.points++;
    } else windows.push({ mode: r.point.mode, outcome: r.outcome, first: r, last: r, points: 1 });
  }
  return windows;
}

/** The failing points that get results of their own: the first of each window, then the rest in order, at most `max`. */
export function pointsWithResults(failing: readonly PointResult[], max = MAX_POINT_RESULTS): PointResult[] {
  const firsts = failingWindows(failing).map((w) => w.first);
  const chosen = new Set(firsts.slice(0, max));
  for (const r of failing) {
    if (chosen.size >= max) break;
    chosen.add(r);
  }
  return failing.filter((r) => chosen.has(r));
}

export interface SweepListing {
  title: string;
  ops: readonly SweepOp[];
  results: readonly PointResult[];
  failing: readonly PointResult[];
  /** What a point had to end as not to fail. */
  expected: readonly string[];
  /** Failing points that got results of their own. */
  withResults: number;
  /** Replays one point: the command with `--point` left for the reader to fill. */
  pointCommand: string;
  /** Points listed one per line (default MAX_LISTED_POINTS). */
  maxListed?: number;
}

/** The `failing points` attachment: counts, windows, then the points one per line (capped, said so). */
export function failingPointsText(l: SweepListing): string {
  const lines = [
    `${l.title}: ${l.results.length} points, ${l.failing.length} failing (expected: ${l.expected.join(', ')})`,
    `outcomes: ${countsText(countByOutcome(l.results))}`,
    `replay a point: ${l.pointCommand} --point OP:MODE[:FRACTION]`,
  ];
  if (!l.failing.length) return lines.join('\n') + '\n';
  const windows = failingWindows(l.failing);
  lines.push('', `failing windows (${windows.length}: consecutive ops, same cut mode and outcome):`);
  for (const w of windows) {
    const span = w.first.point.op === w.last.point.op ? `op ${w.first.point.op}` : `ops ${w.first.point.op}-${w.last.point.op}`;
    const phases = [opContext(l.ops[w.first.point.op]), opContext(l.ops[w.last.point.op])].filter((p, i, a) => p && a.indexOf(p) === i).join(' .. ');
    lines.push(`  ${w.mode.padEnd(6)} ${span.padEnd(14)} ${`(${w.points})`.padEnd(7)} ${w.outcome.padEnd(12)} ${phases}`);
  }
  const shown = l.failing.slice(0, l.maxListed ?? MAX_LISTED_POINTS);
  lines.push('', `failing points${shown.length < l.failing.length ? ` (first ${shown.length} of ${l.failing.length})` : ''}: --point, outcome, op, first reason`);
  for (const r of shown) {
    const reason = r.reasons[0] ?? '';
    lines.push(`  ${pointArgument(r.point).padEnd(28)} ${r.outcome.padEnd(12)} ${opContext(l.ops[r.point.op]).padEnd(28)} ${reason.length > 100 ? `${reason.slice(0, 99)}…` : reason}`);
  }
  if (l.withResults < l.failing.length)
    lines.push('', `${l.withResults} of the ${l.failing.length} failing points have a result of their own (the first of each window first); the rest are listed above.`);
  return lines.join('\n') + '\n';
}
