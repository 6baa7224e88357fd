import { resolve } from 'node:path';
import { findSuites } from '../suite-files.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { loadSuite, type SuiteConfig } from '../../config/index.js';
import { SCHEME_NAMES as SCHEMES } from '../../schemes/registry.js';
import { detectionOk, detectionRows, formatDetectionTable, formatFirstCatch, formatPercent, type DetectionRow } from '../../report/detection.js';
import { detectPlan } from '../../scenario/detect/plan.js';
import { runDetect, type DetectProgress } from '../../scenario/detect/run-detect.js';
import { defaultWorkers } from '../../scenario/sweep/engine.js';
import { numberOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { detectRepros } from './detect-repro.js';
import { detectHelp } from './detect.help.js';

const MAX_WORKERS = 64;

/** The detection suites: suites/detect-*.yaml, here or in the package. */
function detectionSuites(): string[] {
  return findSuites(/^detect-.*\.ya?ml$/, 'suites/detect-*.yaml');
}

function progressLine(out: Output, started: number): (p: DetectProgress) => void {
  return (p) => {
    const s = (Date.now() - started) / 1000;
    const rate = s > 0 ? `, ${Math.round(p.points / s)}/s` : '';
    out.progress(`detect: ${p.sweepsDone}/${p.sweeps} sweeps, ${p.points} points${rate}${p.current.length ? ` (${p.current.join('; ')})` : ''}`);
  };
}

/** The --json row: the table's figures, the window, the first catch with its replay line(s). */
function jsonRow(r: DetectionRow) {
  return {
    scheme: r.scheme,
    variant: r.variant,
    buggy: r.buggy,
    points: r.points,
    catching: r.catching,
    windowPercent: r.windowPercent,
    decision: r.decision,
    secondCuts: r.secondCuts,
    outcomes: r.outcomes,
    caught: r.caught,
    rigErrors: r.rigErrors,
    ...(r.errors.length && { errors: r.errors }),
    ...(r.first && { first: r.first }),
  };
}

/** A row's first catch, its window, and the lines that replay it (the engine's point, then the full cut). */
function firstCatchBlock(r: DetectionRow): string {
  const f = r.first!;
  return [
    `${formatFirstCatch(r)}; window ${r.catching}/${r.points} (${formatPercent(r.windowPercent)})`,
    `  replay it with: ${f.repro ?? '(no repro line)'}`,
    ...(f.cut ? [`  full replay: ${f.cut}`] : []),
  ].join('\n');
}

export const detectCommand: Command = {
  ...detectHelp,
  async run({ values, positionals, out, signal }) {
    const scheme = values.scheme as string | undefined;
    if (scheme !== undefined && !(SCHEMES as readonly string[]).includes(scheme)) {
      throw new UsageError(`--scheme: expected one of ${SCHEMES.join(', ')}, got ${JSON.stringify(scheme)}`);
    }
    const workers = numberOption(values, 'workers', defaultWorkers(), { integer: true, min: 0, max: MAX_WORKERS });
    const files = positionals.length ? positionals.map((p) => resolve(p)) : detectionSuites();
    const suites: SuiteConfig[] = [];
    for (const f of files) {
      const s = await loadSuite(f);
      if (!scheme || s.scheme === scheme) suites.push(s);
    }
    if (!suites.length) throw new UsageError(`no detection suite for scheme ${scheme}`);
    const started = Date.now();
    const plan = await detectPlan(suites);
    out.info(`${plan.uses.length} rig entries, ${plan.sweeps.length} distinct sweeps, on ${workers || 'no'} worker thread(s)`);
    const run = await runDetect(plan, { workers, ...(signal && { signal }), onProgress: progressLine(out, started) });
    out.endProgress();
    const seconds = (Date.now() - started) / 1000;
    const rows = detectionRows(plan, run, await detectRepros(plan));
    const ok = detectionOk(rows);
    if (out.json) {
      out.printJson(rows.map(jsonRow));
      return ok ? ExitCode.ok : ExitCode.testFailures;
    }
    out.data(formatDetectionTable(rows));
    const buggy = rows.filter((r) => r.buggy);
    const points = rows.reduce((n, r) => n + r.points, 0);
    out.info(
      `${buggy.filter((r) => r.caught).length}/${buggy.length} seeded bugs caught, ${rows.filter((r) => !r.buggy && r.caught).length} correct bootloader(s) failing; ` +
        `${points} op states and ${rows.reduce((n, r) => n + r.secondCuts.cuts, 0)} second-cut replays in ${seconds.toFixed(1)} s`,
    );
    for (const r of rows.filter((x) => x.rigErrors)) out.info(`${r.scheme}/${r.variant}: rig error: ${r.errors.join('; ')}`);
    // A correct bootloader failing is a finding: always shown with its point, not only with -v.
    for (const r of rows.filter((x) => x.first && !x.buggy)) out.info(firstCatchBlock(r));
    for (const r of rows.filter((x) => x.first && x.buggy)) out.verbose(firstCatchBlock(r));
    return ok ? ExitCode.ok : ExitCode.testFailures;
  },
};
