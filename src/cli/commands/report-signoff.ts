/**
 * A sign-off run over a lab: each job ran part of the matrix (some cells, on its rig) and sent its
 * signoff.json and maps home; here they become one sign-off page, as `hil signoff` makes it on one
 * Pi, and one Allure result for it in the merged report. A cell sent twice (a re-run after an
 * interruption) counts once: its latest attempt.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ExitCode } from '../../core/errors.js';
import type { MergedRun } from '../../lab/lab-report.js';
import type { ResultFile } from '../../nightly/allure-results.js';
import { writeSignoffAllure } from '../../signoff/allure.js';
import { renderSignoffPage } from '../../signoff/page.js';
import { signoffTotals, type CellResult, type SignoffReport } from '../../signoff/report.js';

export interface LabSignoff {
  report: SignoffReport;
  page: string;
}

function unionBy<T>(lists: T[][], key: (x: T) => string): T[] {
  const out = new Map<string, T>();
  for (const list of lists) for (const x of list) out.set(key(x), x);
  return [...out.values()];
}

/** The run's sign-offs (one per sign-off name its jobs ran), merged; undefined entries are not sign-offs. */
export function mergeSignoffs(merged: MergedRun, warn: (text: string) => void): Map<string, { parts: { report: SignoffReport; dir: string; attempt: number }[] }> {
  const byName = new Map<string, { parts: { report: SignoffReport; dir: string; attempt: number }[] }>();
  for (const s of merged.signoffs) {
    let report: SignoffReport;
    try {
      report = JSON.parse(readFileSync(s.file, 'utf8')) as SignoffReport;
      if (!report?.signoff?.name || !Array.isArray(report.cells)) throw new Error('not a sign-off report (signoff.name, cells)');
    } catch (err) {
      warn(`${s.file}: ${(err as Error).message}; job ${s.job.meta.jobId} left out of the sign-off page`);
      continue;
    }
    const entry = byName.get(report.signoff.name) ?? { parts: [] };
    entry.parts.push({ report, dir: s.dir, attempt: s.job.meta.attempt });
    byName.set(report.signoff.name, entry);
  }
  return byName;
}

/** One page from the jobs' parts: cells, inventory, images and modes united; totals and verdict judged again. */
export function combineSignoff(parts: { report: SignoffReport; dir: string; attempt: number }[], out: { page: string; json: string }): { report: SignoffReport; maps: Map<string, string> } {
  const ordered = [...parts].sort((a, b) => a.attempt - b.attempt);
  const first = ordered[0]!.report;
  // Each job numbered the cells of its own share (c1, c2, …): a cell is known by what it is.
  const cells = new Map<string, { cell: CellResult; svg?: string }>();
  for (const { report, dir } of ordered) {
    for (const c of report.cells) {
      const key = [c.rig, c.runner, c.path, c.mode].join('\u0000');
      // A job's plan lists the cells it did not run as not-run: a real result elsewhere wins.
      const had = cells.get(key);
      if (had && c.status === 'not-run' && had.cell.status !== 'not-run') continue;
      const file = c.map ? join(dir, 'maps', basename(c.map)) : undefined;
      cells.set(key, { cell: c, ...(file && existsSync(file) && { svg: readFileSync(file, 'utf8') }) });
    }
  }
  const maps = new Map<string, string>();
  const all = [...cells.values()].map(({ cell, svg }, i) => {
    const id = `c${i + 1}`;
    if (svg) maps.set(id, svg);
    const { map: _map, ...rest } = cell;
    return { ...rest, id, ...(svg && { map: `maps/${id}.svg` }) };
  });
  const totals = signoffTotals(all);
  const interrupted = ordered.some((p) => p.report.verdict === 'interrupted') && totals.notRun > 0;
  const verdict: SignoffReport['verdict'] = interrupted ? 'interrupted' : totals.failed ? 'fail' : totals.incomplete || totals.notRun ? 'incomplete' : 'pass';
  const exitCode = { pass: ExitCode.ok, fail: ExitCode.testFailures, incomplete: ExitCode.rigUnavailable, interrupted: ExitCode.interrupted }[verdict];
  const modes = [...new Set(ordered.flatMap((p) => p.report.modes))];
  const report: SignoffReport = {
    ...first,
    verdict,
    exitCode,
    date: ordered.map((p) => p.report.date).sort()[0]!,
    inventory: unionBy(
      ordered.map((p) => p.report.inventory),
      (r) => `${r.key}\u0000${r.runner}`,
    ),
    images: unionBy(
      ordered.map((p) => p.report.images),
      (i) => `${i.path}\u0000${i.role}\u0000${i.sha256}`,
    ),
    paths: unionBy(
      ordered.map((p) => p.report.paths),
      (p) => p.name,
    ),
    modes,
    cells: all,
    totals,
    files: { page: out.page, json: out.json },
    seconds: ordered.reduce((a, p) => a + p.report.seconds, 0),
  };
  return { report, maps };
}

/**
 * Writes each sign-off's page (`<run>/signoff/<name>/index.html`, `signoff.json`) and its Allure
 * result into the merged results, in place of the jobs' own partial ones.
 */
export function writeLabSignoffs(merged: MergedRun, results: ResultFile[], warn: (text: string) => void): LabSignoff[] {
  const byName = mergeSignoffs(merged, warn);
  if (!byName.size) return [];
  // The jobs' own sign-off results each judged part of the matrix: the merged one replaces them.
  for (const { file, result } of results)
    if (result.labels?.some((l) => l.name === 'tag' && l.value === 'signoff') && result.labels.some((l) => l.name === 'parentSuite' && l.value === 'sign-off')) rmSync(file, { force: true });
  const out: LabSignoff[] = [];
  for (const [name, { parts }] of byName) {
    const dir = join(merged.dir, 'signoff', name.replace(/[^\w.-]+/g, '_'));
    mkdirSync(dir, { recursive: true });
    const page = join(dir, 'index.html');
    const json = join(dir, 'signoff.json');
    const { report, maps } = combineSignoff(parts, { page, json });
    const html = renderSignoffPage(report, maps);
    writeFileSync(page, html);
    rmSync(join(dir, 'maps'), { recursive: true, force: true });
    mkdirSync(join(dir, 'maps'), { recursive: true });
    for (const [id, svg] of maps) writeFileSync(join(dir, 'maps', `${id}.svg`), svg);
    writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
    const allure = join(dir, 'allure-results');
    writeSignoffAllure(allure, report, html, maps, Date.parse(report.date) || Date.now());
    for (const f of readdirSync(allure)) writeFileSync(join(merged.results, f), readFileSync(join(allure, f)));
    out.push({ report, page });
  }
  return out;
}
