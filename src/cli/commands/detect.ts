import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { findSuites } from '../suite-files.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { issueAt, loadSuite, type SuiteConfig } from '../../config/index.js';
import { SCHEME_NAMES as SCHEMES } from '../../schemes/registry.js';
import { detectionOk, detectionRows, formatDetectionTable, formatFirstCatch, formatKnown, formatPercent, unseenKnown, type DetectionRow } from '../../report/detection.js';
import { knownLabel } from '../../config/suite-schema.js';
import { detectPlan } from '../../scenario/detect/plan.js';
import { runDetect, type DetectProgress } from '../../scenario/detect/run-detect.js';
import { defaultWorkers } from '../../scenario/sweep/engine.js';
import { numberOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { detectRepros } from './detect-repro.js';
import { detectHelp } from './detect.help.js';

const MAX_WORKERS = 64;

const DETECTION_SUITE = /^detect-.*\.ya?ml$/;

/** The default set: suites/detect-*.yaml, here or in the package. */
function detectionSuites(): string[] {
  return findSuites(DETECTION_SUITE, 'suites/detect-*.yaml');
}

/**
 * Detection suites kept out of the default set, in subfolders of the default set's folder
 * (suites/product/: the two-processor product's, whose exhaustive sweeps double the default run's time):
 * run by `--all`, by `--scheme S` for their scheme, or by name.
 */
function sideSuites(defaults: readonly string[]): string[] {
  const dir = defaults.length ? dirname(defaults[0]!) : resolve('suites');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) =>
      readdirSync(join(dir, e.name))
        .filter((f) => DETECTION_SUITE.test(f))
        .sort()
        .map((f) => join(dir, e.name, f)),
    );
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
    double: r.double,
    secondCuts: r.secondCuts,
    outcomes: r.outcomes,
    known: {
      points: r.known.points,
      hits: r.known.hits.map((h) => ({ suite: h.suite, entry: h.known.index, reason: h.known.reason, ...(h.known.ref && { ref: h.known.ref }), points: h.points, first: h.first })),
    },
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
    const all = !!values.all;
    if (all && positionals.length) throw new UsageError('--all runs every detection suite: give suites by name or --all, not both');
    const defaults = positionals.length ? [] : detectionSuites();
    const side = positionals.length ? [] : sideSuites(defaults);
    const files = positionals.length ? positionals.map((p) => resolve(p)) : all || scheme ? [...defaults, ...side] : defaults;
    const suites: SuiteConfig[] = [];
    for (const f of files) {
      const s = await loadSuite(f);
      if (!scheme || s.scheme === scheme) suites.push(s);
    }
    if (!suites.length) throw new UsageError(`no detection suite for scheme ${scheme}`);
    // The default run names what it left out, and how to run it.
    const leftOut = new Map<string, string[]>();
    if (!positionals.length && !all && !scheme) {
      for (const f of side) {
        const s = await loadSuite(f);
        const name = s.scheme ?? '(no scheme)';
        leftOut.set(name, [...(leftOut.get(name) ?? []), relative(process.cwd(), f)]);
      }
    }
    const started = Date.now();
    const plan = await detectPlan(suites);
    out.info(`${plan.uses.length} rig entries, ${plan.sweeps.length} distinct sweeps, on ${workers || 'no'} worker thread(s)`);
    const run = await runDetect(plan, { workers, ...(signal && { signal }), onProgress: progressLine(out, started) });
    out.endProgress();
    const seconds = (Date.now() - started) / 1000;
    const rows = detectionRows(plan, run, await detectRepros(plan));
    const ok = detectionOk(rows);
    // A known weakness that matched nothing: its fix may have landed (a warning, never a failure).
    const unseen = unseenKnown(plan, rows).map((u) => {
      const suite = suites.find((x) => x.file === u.suiteFile);
      const at = suite ? issueAt(suite, ['expect', 'known', u.known.index], '') : undefined;
      const where = at?.line !== undefined ? `${at.file}:${at.line}:${at.col}: ` : `${u.suiteFile}: `;
      return `${where}known weakness not seen: ${knownLabel(u.known)} matched no point of this run (the fix may have landed; remove the entry once it has)`;
    });
    if (out.json) {
      for (const w of unseen) out.warn(w);
      out.printJson(rows.map(jsonRow));
      return ok ? ExitCode.ok : ExitCode.testFailures;
    }
    out.data(formatDetectionTable(rows));
    const buggy = rows.filter((r) => r.buggy);
    const points = rows.reduce((n, r) => n + r.points, 0);
    out.info(
      `${buggy.filter((r) => r.caught).length}/${buggy.length} seeded bugs caught, ${rows.filter((r) => !r.buggy && r.caught).length} correct bootloader(s) failing; ` +
        `${points} op states and ${rows.reduce((n, r) => n + r.secondCuts.cuts, 0)} second-cut replays in ${seconds.toFixed(1)} s; ${rows.reduce((n, r) => n + r.known.points, 0)} known point(s)`,
    );
    // Known points are not failures, but always shown: with their reason, and the line that replays them.
    // (a buggy variant's known points only with -v: its catch is what matters there).
    for (const r of rows) for (const block of formatKnown(r)) (r.buggy ? out.verbose : out.info).call(out, block);
    for (const w of unseen) out.warn(w);
    for (const [name, left] of leftOut) {
      out.info(`${name}: ${left.length} detection suite${left.length === 1 ? '' : 's'} not in the default set (${left.join(', ')}: tens of CPU-s): hil detect --scheme ${name}`);
    }
    for (const r of rows.filter((x) => x.rigErrors)) out.info(`${r.scheme}/${r.variant}: rig error: ${r.errors.join('; ')}`);
    // A correct bootloader failing is a finding: always shown with its point, not only with -v.
    for (const r of rows.filter((x) => x.first && !x.buggy)) out.info(firstCatchBlock(r));
    for (const r of rows.filter((x) => x.first && x.buggy)) out.verbose(firstCatchBlock(r));
    return ok ? ExitCode.ok : ExitCode.testFailures;
  },
};
