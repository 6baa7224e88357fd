import type { CutRecord } from './plan.js';
import { textTable } from '../core/text-table.js';

export interface RigSummary {
  suite: string;
  rig: string;
  variant?: string;
  expect: 'recovers' | 'caught';
  cuts: number;
  outcomes: Record<string, number>;
  passed: number;
  failed: number;
  broken: number;
  /** Seeded-bug rigs: whether some cut ended in a `caughtWhen` outcome. */
  caught?: boolean;
}

/** Per (suite, rig): cuts, outcomes, statuses; and a plain table for stdout. */
export function summarizeRecords(records: CutRecord[]): { rigs: RigSummary[]; totals: { passed: number; failed: number; broken: number }; table: string } {
  const byKey = new Map<string, RigSummary>();
  for (const r of records) {
    const key = `${r.suite}\u0000${r.rig}`;
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = { suite: r.suite, rig: r.rig, ...(r.variant && { variant: r.variant }), expect: r.expect, cuts: 0, outcomes: {}, passed: 0, failed: 0, broken: 0 }));
    s[r.status]++;
    if (r.kind === 'detection') {
      s.caught = r.outcome === 'caught';
      continue;
    }
    s.cuts++;
    s.outcomes[r.outcome] = (s.outcomes[r.outcome] ?? 0) + 1;
  }
  const rigs = [...byKey.values()];
  const totals = { passed: 0, failed: 0, broken: 0 };
  for (const s of rigs) {
    totals.passed += s.passed;
    totals.failed += s.failed;
    totals.broken += s.broken;
  }
  const rows = rigs.map((s) => [
    s.suite,
    s.rig,
    s.expect === 'caught' ? `caught:${s.caught ? 'yes' : 'NO'}` : 'recovers',
    String(s.cuts),
    Object.entries(s.outcomes)
      .map(([k, v]) => `${k}:${v}`)
      .join(' '),
    `${s.passed}/${s.failed}/${s.broken}`,
  ]);
  const head = ['suite', 'rig', 'expect', 'cuts', 'outcomes', 'pass/fail/broken'];
  const table = textTable(head, rows).join('\n');
  return { rigs, totals, table };
}
