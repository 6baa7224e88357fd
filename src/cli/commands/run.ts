import { resolve } from 'node:path';
import { findSuites } from '../suite-files.js';
import { ExitCode } from '../../core/errors.js';
import { checkRigForSuite, loadRig, loadSuite, loadSuiteRig, noRigsError, rigPath, suiteCutPoints, type SuiteConfig } from '../../config/index.js';
import { campaignPaths, displayPath, generateHtml, readRecords, runJest, writePlan } from '../../report/campaign.js';
import { failureReport, summarizeRecords } from '../../report/summary.js';
import { summaryRecords } from '../../report/sweep-summary.js';
import type { PlanEntry } from '../../report/plan.js';
import { checkOpSweepRig } from '../../scenario/suite-run.js';
import { lockReports } from '../../report/reports-lock.js';
import { numberOption, type Command } from '../command.js';
import { runHelp } from './run.help.js';

function defaultSuites(): string[] {
  return findSuites(/\.ya?ml$/, 'suites given and no suites/*.yaml');
}

export const runCommand: Command = {
  ...runHelp,
  async run({ values, positionals, out, signal }) {
    const suiteFiles = positionals.length ? positionals.map((p) => resolve(p)) : defaultSuites();
    const campaign = (values.campaign as string | undefined) ?? 'default';
    const workers = numberOption(values, 'workers', 2, { integer: true, min: 1 });
    // Validate everything before any rig is touched.
    const suites: SuiteConfig[] = [];
    for (const f of suiteFiles) suites.push(await loadSuite(f));
    const entries: Omit<PlanEntry, 'resultsFile'>[] = [];
    let cuts = 0;
    let opSweeps = 0;
    for (const suite of suites) {
      const rigs = values.rig ? [{ path: rigPath(values.rig as string), expect: suite.rigs.find((r) => r.path === rigPath(values.rig as string))?.expect ?? ('recovers' as const) }] : suite.rigs;
      if (!rigs.length) throw noRigsError(suite);
      for (const [i, r] of rigs.entries()) {
        const twin = values.rig ? undefined : suite.rigs[i]!.twin;
        const rig = values.rig ? await loadRig(r.path) : await loadSuiteRig(suite, i);
        checkRigForSuite(rig, suite);
        checkOpSweepRig(rig, suite);
        entries.push({ campaign, suiteFile: suite.file, rigFile: rig.file, expect: r.expect, ...(twin && { twin }) });
        cuts += suiteCutPoints(suite).length;
        opSweeps += suite.cuts.opSweeps.length;
      }
    }
    const paths = campaignPaths((values.reports as string | undefined) ?? 'reports');
    // Two runs on one folder would write into each other's results: a second one is refused.
    const lock = lockReports(paths.reports);
    try {
      if (signal.aborted) return ExitCode.interrupted;
      writePlan(paths, entries);
      out.info(`campaign ${campaign}: ${suites.length} suite(s), ${entries.length} rig run(s), ${cuts} cuts${opSweeps ? `, ${opSweeps} op sweep(s)` : ''}`);
      return await runAndReport();
    } finally {
      lock.release();
    }

    async function runAndReport(): Promise<number> {
      const started = Date.now();
      const jest = await runJest(paths, { workers, quiet: out.level === 0 || out.json, signal });
      if (signal.aborted) {
        const finished = readRecords(paths).length;
        out.info(
          jest.published
            ? `interrupted: ${finished} finished cut(s); results in ${displayPath(paths.results)}`
            : `interrupted before any result was written; ${displayPath(paths.results)} still holds the previous run's`,
        );
        return ExitCode.interrupted;
      }
      const records = readRecords(paths);
      let report: string | undefined;
      if (!values['no-html'] && !jest.crashed) {
        try {
          report = await generateHtml(paths, signal);
        } catch (err) {
          out.warn((err as Error).message);
        }
      }
      // An op sweep's record stands for all its points (./sweep-summary.ts).
      const summary = summarizeRecords(summaryRecords(records));
      const seconds = (Date.now() - started) / 1000;
      const failed = summary.totals.failed + summary.totals.broken > 0 || jest.exitCode !== 0;
      if (out.json) {
        out.printJson({ ok: !failed, campaign, seconds, report: report ?? null, results: paths.results, ...summary, cuts: records });
      } else {
        out.data(summary.table);
        out.info(`${records.length} tests in ${seconds.toFixed(1)} s${report ? `; report: ${displayPath(report)}` : ''}`);
        const failures = failureReport(records, paths.results);
        if (failures) out.info(failures);
      }
      if (jest.crashed) {
        out.error('Jest did not run the campaign (see its output above)');
        return ExitCode.rigUnavailable;
      }
      // A failed cut is the device's; only broken ones (the rig itself) mean the rig is unavailable.
      if (summary.totals.failed > 0) return ExitCode.testFailures;
      return summary.totals.broken > 0 ? ExitCode.rigUnavailable : failed ? ExitCode.testFailures : ExitCode.ok;
    }
  },
};
