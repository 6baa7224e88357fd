import { resolve } from 'node:path';
import { findSuites } from '../suite-files.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { loadSuite, type SuiteConfig } from '../../config/index.js';
import { SCHEME_NAMES as SCHEMES } from '../../schemes/registry.js';
import { TWIN_VARIANTS } from '../../drivers/device/twin.js';
import { detectionOk, detectionRows, formatDetectionTable, type DetectionRun } from '../../report/detection.js';
import { reproCommand, reproTwin } from '../../report/cut-summary.js';
import { prepareSuiteRig, runSuiteOnRig } from '../../scenario/suite-run.js';
import type { Command } from '../command.js';
import { detectHelp } from './detect.help.js';

/** The detection suites: suites/detect-*.yaml, here or in the package. */
function detectionSuites(): string[] {
  return findSuites(/^detect-.*\.ya?ml$/, 'suites/detect-*.yaml');
}

/** The `hil cut` line of each cut of a suite on one rig, as runSuiteOnRig makes them (same specs, the rig entry's twin overrides). */
async function suiteRepros(suite: SuiteConfig, entry: SuiteConfig['rigs'][number]): Promise<string[]> {
  const { config, images, points, spec } = await prepareSuiteRig(suite, entry);
  const files = { rig: config.file, twin: reproTwin(config.twin), from: images.from.file, to: images.to.file, ...(images.previous && { previous: images.previous.file }) };
  return points.map((p, i) => reproCommand({ ...files, ...spec(p, i) }));
}

export const detectCommand: Command = {
  ...detectHelp,
  async run({ values, positionals, out, signal }) {
    const scheme = values.scheme as string | undefined;
    if (scheme !== undefined && !(SCHEMES as readonly string[]).includes(scheme)) {
      throw new UsageError(`--scheme: expected one of ${SCHEMES.join(', ')}, got ${JSON.stringify(scheme)}`);
    }
    const files = positionals.length ? positionals.map((p) => resolve(p)) : detectionSuites();
    const suites: SuiteConfig[] = [];
    for (const f of files) {
      const s = await loadSuite(f);
      if (!scheme || s.scheme === scheme) suites.push(s);
    }
    if (!suites.length) throw new UsageError(`no detection suite for scheme ${scheme}`);
    const total = suites.reduce((n, s) => n + s.rigs.length, 0);
    const runs: DetectionRun[] = [];
    const started = Date.now();
    for (const suite of suites) {
      for (const entry of suite.rigs) {
        const label = `${suite.name} / ${entry.twin?.variant ?? entry.rig}`;
        const run = await runSuiteOnRig(suite, entry, {
          signal,
          onCut: (_r, i, n) => out.progress(`[${runs.length + 1}/${total}] ${label}: cut ${i + 1}/${n}`),
        });
        runs.push({ ...run, repros: await suiteRepros(suite, entry) });
      }
    }
    out.endProgress();
    const safe = new Map(suites.map((s) => [s.name, s.expect.safe as readonly string[]]));
    const rows = detectionRows(
      runs,
      (name) => safe.get(name) ?? ['updated', 'rolled-back'],
      (sch, v) => TWIN_VARIANTS[sch]?.[v]?.buggy ?? v !== 'correct',
    );
    const ok = detectionOk(rows);
    if (out.json) {
      out.printJson(rows.map(({ scheme: s, variant, buggy, cuts, outcomes, caught }) => ({ scheme: s, variant, buggy, cuts, outcomes, caught })));
    } else {
      out.data(formatDetectionTable(rows));
      const buggy = rows.filter((r) => r.buggy);
      out.info(
        `${buggy.filter((r) => r.caught).length}/${buggy.length} seeded bugs caught, ${rows.filter((r) => !r.buggy && r.caught).length} correct bootloader(s) failing; ` +
          `${rows.reduce((n, r) => n + r.cuts, 0)} cuts in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const r of rows.filter((x) => x.example && x.caught)) {
        const e = r.example!;
        out.verbose(`${r.scheme}/${r.variant}: caught by ${e.suite} (${e.trigger} -> ${e.outcome}); replay it with:\n  ${e.repro ?? '(no repro line)'}`);
      }
    }
    return ok ? ExitCode.ok : ExitCode.testFailures;
  },
};
