import { resolve } from 'node:path';
import type { CutRecord } from './plan.js';
import { textTable } from '../core/text-table.js';
import { ConfigError } from '../core/errors.js';
import { displayFile } from '../config/errors.js';
import { consoleTail, failureLines } from './cut-summary.js';
import { retryChain } from './retry-chain.js';
import { attachmentText, findReproIds, readAllureResult, reproFromFile } from './repro-find.js';
import type { ReproRecord } from './repro-record.js';

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
  /** Retried cuts by how their outcome came about (`waiting → retry 1 → updated`). */
  retried?: Record<string, number>;
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
    const chain = retryChain(r);
    if (chain) (s.retried ??= {})[chain] = (s.retried[chain] ?? 0) + 1;
    for (const [c, n] of Object.entries(r.retried ?? {})) (s.retried ??= {})[c] = (s.retried[c] ?? 0) + n;
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
    [...Object.entries(s.outcomes).map(([k, v]) => `${k}:${v}`), ...Object.entries(s.retried ?? {}).map(([chain, n]) => `(${n}× ${chain})`)].join(' '),
    `${s.passed}/${s.failed}/${s.broken}`,
  ]);
  const head = ['suite', 'rig', 'expect', 'cuts', 'outcomes', 'pass/fail/broken'];
  const table = textTable(head, rows).join('\n');
  return { rigs, totals, table };
}

/** How many failing results the terminal details; the report has the rest. */
export const MAX_DETAILED_FAILURES = 10;

/**
 * The failing and broken results of a run, for the terminal: per failing cut the outcomes wanted
 * and seen, why, the device's last console lines, its result file and the commands that replay it
 * (`hil repro ID`, then the full `hil cut` line). The details come from the Allure results (the
 * cut's repro.json and console transcript), found by the repro id results.jsonl carries; a record
 * without one (a sweep's verdict, a rig that never opened) keeps its one-line form.
 */
export function failureReport(records: readonly CutRecord[], resultsDir: string, opts: { max?: number; defaultResults?: string } = {}): string {
  const failing = records.filter((r) => r.status !== 'passed');
  if (!failing.length) return '';
  const max = opts.max ?? MAX_DETAILED_FAILURES;
  const shown = failing.slice(0, max);
  const ids = shown.flatMap((r) => (r.reproId ? [r.reproId] : []));
  let files = new Map<string, string>();
  try {
    if (ids.length) files = findReproIds(resolve(resultsDir), ids, 'failed cuts').files;
  } catch (err) {
    // No results folder (Jest wrote none): the records alone still say what failed.
    if (!(err instanceof ConfigError)) throw err;
  }
  // `hil repro ID` looks in reports/allure-results; another folder must be named.
  const reproArgs = resolve(resultsDir) === resolve(opts.defaultResults ?? 'reports/allure-results') ? undefined : `--results ${shellWord(displayFile(resolve(resultsDir)))}`;
  const lines: string[] = [];
  for (const r of shown) {
    // A sweep point's test name already ends in its outcome.
    const chain = retryChain(r);
    const outcome = r.test.endsWith(`-> ${r.outcome}`) ? '' : ` -> ${chain ?? r.outcome}`;
    // --confirm's replays say whether the failure comes back every time (hil run --confirm N).
    const confirmed = r.confirm ? ` [${r.confirm.label} ${r.confirm.reproduced}/${r.confirm.times}]` : '';
    lines.push(`${r.status.toUpperCase()}${confirmed}: ${r.suite} on ${r.rig}: ${r.test}${outcome}${r.message ? `: ${r.message}` : ''}`);
    const file = r.reproId ? files.get(r.reproId) : undefined;
    const detail = file ? resultDetail(file) : undefined;
    if (!detail) {
      if (r.repro) lines.push(`  repro: ${r.repro}`);
      continue;
    }
    lines.push(
      ...failureLines({
        expected: detail.record.expected,
        seen: r.outcome,
        ...(r.agree !== undefined && { agree: r.agree }),
        reasons: detail.reasons,
        console: detail.console,
        resultFile: file!,
        reproId: r.reproId!,
        ...(reproArgs && { reproArgs }),
        cutLine: r.repro,
        indent: '  ',
      }),
    );
  }
  if (failing.length > shown.length) lines.push(`… and ${failing.length - shown.length} more failed or broken result(s): see the report`);
  return lines.join('\n');
}

/** A failing result's record, reasons (its summary attachment's "  - " lines) and console tail; undefined if unreadable. */
function resultDetail(file: string): { record: ReproRecord; reasons: string[]; console: string[] } | undefined {
  try {
    const { record } = reproFromFile(file);
    const result = readAllureResult(file);
    // A cut's summary lists its reasons as "  - " lines; a sweep point attaches them alone.
    const summary = attachmentText(file, result, 'summary');
    const reasons =
      summary !== undefined
        ? summary
            .split('\n')
            .filter((l) => l.startsWith('  - '))
            .map((l) => l.slice(4))
        : (attachmentText(file, result, 'reasons') ?? '').split('\n').filter((l) => l !== '' && l !== '(none)');
    return { record, reasons, console: consoleTail(attachmentText(file, result, 'console transcript') ?? '') };
  } catch (err) {
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
}

function shellWord(s: string): string {
  return /^[\w./:%@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
