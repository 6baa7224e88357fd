/**
 * The detection table: per scheme and bootloader variant, what a cut sweep saw, and whether the
 * rig caught it. A correct bootloader is "caught" when any cut ended outside the safe outcomes
 * (or console and flash disagreed): that is a false alarm or a real bug in the reference design,
 * and either way the campaign fails.
 */
import type { SuiteRigRun } from '../scenario/suite-run.js';
import { textTable } from '../core/text-table.js';

export interface DetectionRow {
  scheme: string;
  variant: string;
  buggy: boolean;
  cuts: number;
  outcomes: Record<string, number>;
  caught: boolean;
  /** Rig errors (the rig itself failed): never a detection either way. */
  rigErrors: number;
  /** The first cut that caught it: its suite, outcome and the `hil cut` line that replays it. */
  example?: { suite: string; outcome: string; trigger: string; repro?: string };
}

/** A suite's run on one rig, with the repro line of each of its cuts (same order as results). */
export type DetectionRun = SuiteRigRun & { repros?: readonly string[] };

export function detectionRows(runs: readonly DetectionRun[], safe: (suite: string) => readonly string[], buggy: (scheme: string, variant: string) => boolean): DetectionRow[] {
  const rows = new Map<string, DetectionRow>();
  for (const run of runs) {
    const scheme = run.rig.scheme;
    const variant = run.rig.twin?.variant ?? 'correct';
    const key = `${scheme}/${variant}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { scheme, variant, buggy: buggy(scheme, variant), cuts: 0, outcomes: {}, caught: false, rigErrors: 0 }));
    for (const [i, r] of run.results.entries()) {
      row.cuts++;
      row.outcomes[r.outcome] = (row.outcomes[r.outcome] ?? 0) + 1;
      if (r.outcome === 'rig-error') {
        row.rigErrors++;
        continue;
      }
      const bad = !safe(run.suite).includes(r.outcome) || r.verdict?.agree === false;
      if (bad) {
        row.caught = true;
        const repro = run.repros?.[i];
        row.example ??= { suite: run.suite, outcome: r.outcome, trigger: `${r.trigger}${r.secondCut ? ` + second cut ${r.secondCut.afterMs}ms` : ''}`, ...(repro !== undefined && { repro }) };
      }
    }
  }
  return [...rows.values()];
}

/** Every buggy variant caught, no correct one flagged, no rig error. */
export function detectionOk(rows: readonly DetectionRow[]): boolean {
  return rows.every((r) => r.rigErrors === 0 && r.caught === r.buggy);
}

export function formatDetectionTable(rows: readonly DetectionRow[]): string {
  const head = ['scheme', 'variant', 'kind', 'cuts', 'outcomes', 'caught', 'verdict'];
  const body = rows.map((r) => [
    r.scheme,
    r.variant,
    r.buggy ? 'buggy' : 'correct',
    String(r.cuts),
    Object.entries(r.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${o}:${n}`)
      .join(' '),
    r.caught ? 'yes' : 'no',
    r.rigErrors ? 'RIG ERROR' : r.caught === r.buggy ? 'ok' : r.buggy ? 'MISSED' : 'FALSE ALARM / FAILS',
  ]);
  return textTable(head, body, { rule: true }).join('\n');
}
