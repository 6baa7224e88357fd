/**
 * results.jsonl as the CLI summary (src/report/summary.ts, one record = one cut) counts it: a
 * `sweep` record stands for all its points, so it is spread back into one entry per point (its
 * counts by outcome; the failing ones carry the sweep's status), and `sweep-point` records, whose
 * points their sweep already counts, are left out. The table then shows cut points and outcomes
 * whether they came from replayed cuts or from the sweep engine.
 */
import type { CutRecord } from './plan.js';

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
    for (const [outcome, n] of Object.entries(r.counts)) {
      const failing = r.failingCounts?.[outcome] ?? 0;
      for (let i = 0; i < n; i++) out.push({ ...r, kind: 'cut', outcome, status: i < failing ? r.status : 'passed', counts: undefined, failingCounts: undefined });
    }
  }
  return out;
}
