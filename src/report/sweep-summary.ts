/**
 * results.jsonl as the CLI summary (src/report/summary.ts, one record = one cut) counts it: a
 * `sweep` record stands for all its points, so it is spread back into one entry per point (its
 * counts by outcome; the failing ones carry the sweep's status), and `sweep-point` records, whose
 * points their sweep already counts, are left out. The table then shows cut points and outcomes
 * whether they came from replayed cuts or from the sweep engine.
 */
import type { CutRecord } from './plan.js';
import type { KnownWeakness } from '../config/suite-schema.js';
import type { PointResult } from '../scenario/sweep/recover.js';
import type { SweepRun } from '../scenario/sweep/engine.js';
import { opContext, pointArgument } from './sweep-result.js';

/**
 * A sweep record with its known points (a suite's `expect.known`): how many, and their outcomes.
 * Those points are in `counts` but not in `failing`. (Kept beside CutRecord until plan.ts carries
 * the two fields itself; results.jsonl has them either way.)
 */
export type SweepRecordWithKnown = CutRecord & { known?: number; knownCounts?: Record<string, number> };

/** Outcome under which the summary counts a known point: its own, apart from passing and failing ones. */
export function knownOutcome(outcome: string): string {
  return `known ${outcome}`;
}

/** The `known points` attachment of a sweep result: each point with what explains it and the line that replays it. */
export function knownPointsText(points: readonly { result: PointResult; known: KnownWeakness }[], ops: SweepRun['ops'], pointCommand: string): string {
  const lines = [`${points.length} known point(s): accepted weaknesses (expect.known), reported apart, never failing.`, `replay a point: ${pointCommand} --point OP:MODE[:FRACTION]`, ''];
  const byEntry = new Map<KnownWeakness, PointResult[]>();
  for (const p of points) byEntry.set(p.known, [...(byEntry.get(p.known) ?? []), p.result]);
  for (const [k, rs] of byEntry) {
    lines.push(`expect.known[${k.index}]: ${k.reason}${k.ref ? ` [${k.ref}]` : ''}`);
    for (const r of rs) lines.push(`  ${pointArgument(r.point).padEnd(28)} ${r.outcome.padEnd(12)} ${opContext(ops[r.point.op])}`);
  }
  return lines.join('\n') + '\n';
}

export function summaryRecords(records: readonly CutRecord[]): CutRecord[] {
  const out: CutRecord[] = [];
  for (const r of records) {
    if (r.kind === 'sweep-point') continue;
    if (r.kind !== 'sweep' || !r.counts) {
      out.push(r);
      continue;
    }
    // A sweep that could not run has no points: it stays one (broken) entry; one with no points to try adds none.
    if (!r.points) {
      if (r.status === 'broken') out.push({ ...r, kind: 'cut' });
      continue;
    }
    const knownCounts = (r as SweepRecordWithKnown).knownCounts ?? {};
    // The retried points' chains ride on the sweep's first entry (the table counts them per rig).
    let retried = r.retried;
    for (const [outcome, n] of Object.entries(r.counts)) {
      const failing = r.failingCounts?.[outcome] ?? 0;
      const known = knownCounts[outcome] ?? 0;
      for (let i = 0; i < n; i++) {
        // Failing first, then the known ones (their own outcome in the table), the rest passed.
        const own = i < failing ? { outcome, status: r.status } : i < failing + known ? { outcome: knownOutcome(outcome), status: 'passed' as const } : { outcome, status: 'passed' as const };
        out.push({ ...r, kind: 'cut', ...own, counts: undefined, failingCounts: undefined, retried });
        retried = undefined;
      }
    }
  }
  return out;
}
