import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ExitCode, UsageError } from '../../core/errors.js';
import { loadLab } from '../../lab/config.js';
import { connectRedis } from '../../lab/connection.js';
import { dropPreviousHistoryEntry, labRunsDir, listLabRuns, mergeRun, rememberHistoryEntry, type MergedRun } from '../../lab/lab-report.js';
import { drainResults, runDir, type JobResultsMeta } from '../../lab/results.js';
import { displayPath, generateHtml } from '../../report/campaign.js';
import { pointAt } from '../../report/run-folder.js';
import { readResults, stampBoardHistoryIds } from '../../nightly/allure-results.js';
import type { Command } from '../command.js';
import type { Output } from '../output.js';
import { labBoardOf, recordLabHistory, type LabHistory } from './report-history.js';
import { writeLabSignoffs, type LabSignoff } from './report-signoff.js';
import { reportHelp } from './report.help.js';

interface BuiltRun {
  merged: MergedRun;
  history: LabHistory;
  signoffs: LabSignoff[];
  report?: string;
}

const OUTCOMES: JobResultsMeta['outcome'][] = ['passed', 'failed', 'broken', 'interrupted'];

/** Per rig: its jobs' outcomes, one line each (`lab-twin-a  2 jobs: 1 passed, 1 interrupted`). */
function rigLines(merged: MergedRun): string[] {
  const byRig = new Map<string, JobResultsMeta[]>();
  for (const j of merged.jobs) byRig.set(j.meta.rig, [...(byRig.get(j.meta.rig) ?? []), j.meta]);
  const width = Math.max(0, ...[...byRig.keys()].map((r) => r.length));
  return [...byRig]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rig, metas]) => {
      const counts = OUTCOMES.map((o) => [o, metas.filter((m) => m.outcome === o).length] as const).filter(([, n]) => n);
      const hosts = [...new Set(metas.map((m) => m.host))].join(', ');
      return `  ${rig.padEnd(width)}  ${metas.length} job${metas.length === 1 ? '' : 's'}: ${counts.map(([o, n]) => `${n} ${o}`).join(', ')} (${hosts})`;
    });
}

async function buildRun(reports: string, runsDir: string, runId: string, opts: { html: boolean; out: Output; signal: AbortSignal }): Promise<BuiltRun> {
  const merged = mergeRun(runDir(runsDir, runId), runId);
  if (!merged.jobs.length) throw new UsageError(`--run ${runId}: no job of this run in Redis nor in ${displayPath(runsDir)}`);
  const warn = (t: string) => opts.out.warn(t);
  const results = readResults(merged.results);
  const history = recordLabHistory(reports, merged, results, warn);
  stampBoardHistoryIds(results, merged.records, labBoardOf(merged));
  const signoffs = writeLabSignoffs(merged, results, warn);
  pointAt(join(reports, 'lab', 'latest'), relative(join(reports, 'lab'), merged.dir));
  if (!opts.html) return { merged, history, signoffs };
  // allurerc.mjs reads these, as for `hil run`: Allure's history per campaign (ids keyed by board) and the header.
  const allureHistory = join(reports, 'history', `${merged.campaign.replace(/[^\w.-]+/g, '_')}.allure.jsonl`);
  process.env.HIL_ALLURE_HISTORY = allureHistory;
  process.env.HIL_ALLURE_HISTORY_LIMIT = String(30);
  const interrupted = merged.jobs.filter((j) => j.meta.outcome === 'interrupted').length;
  process.env.HIL_ALLURE_VARIABLES = JSON.stringify({
    campaign: merged.campaign,
    'lab run': merged.runId,
    jobs: `${merged.jobs.length}${interrupted ? ` (${interrupted} interrupted)` : ''}`,
    hosts: [...new Set(merged.jobs.map((j) => j.meta.host))].sort().join(', '),
    'new failures': String(history.changes.totals.newFailures),
    fixed: String(history.changes.totals.fixed),
    ...(signoffs.length && { 'sign-off': signoffs.map((s) => `${s.report.signoff.name}: ${s.report.verdict}`).join(', ') }),
  });
  dropPreviousHistoryEntry(merged.dir, allureHistory);
  const report = await generateHtml(merged, opts.signal);
  rememberHistoryEntry(merged.dir, allureHistory);
  return { merged, history, signoffs, report };
}

/** Worst of the jobs: a failure is 1, rig errors and interruptions 3 (as `hil run`), else 0. */
function exitCodeOf(built: BuiltRun[]): number {
  const metas = built.flatMap((b) => b.merged.jobs.map((j) => j.meta));
  const failedTests = built.some((b) => b.merged.records.some((r) => r.status === 'failed'));
  if (failedTests || metas.some((m) => m.outcome === 'failed') || built.some((b) => b.signoffs.some((s) => s.report.verdict === 'fail'))) return ExitCode.testFailures;
  if (metas.some((m) => m.outcome === 'broken' || m.outcome === 'interrupted')) return ExitCode.rigUnavailable;
  return ExitCode.ok;
}

export const reportCommand: Command = {
  ...reportHelp,
  async run({ values, positionals, out, signal }) {
    if (values.lab !== true) throw new UsageError(`hil report reports a lab's results: hil report --lab [FILE] (a local run's report is hil run's, in reports/latest/html)\nusage: ${this.usage}`);
    if (positionals.length > 1) throw new UsageError(`one lab file, got ${positionals.length}: ${positionals.join(' ')}\nusage: ${this.usage}`);
    const runId = values.run as string | undefined;
    if (runId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(runId)) throw new UsageError(`--run ${JSON.stringify(runId)}: not a run id (letters, digits, . _ : -)`);
    const lab = loadLab(positionals[0]);
    const reports = resolve((values.reports as string | undefined) || 'reports');
    const runsDir = labRunsDir(reports);

    // No command timeout (a 'client' connection has one): a batch of large entries may take a while on a Pi's link.
    const redis = await connectRedis(lab, 'queue');
    let drained;
    try {
      drained = await drainResults(redis, lab, runsDir, { ...(runId !== undefined && { runId }), keep: values['keep-in-redis'] === true, onProblem: (m) => out.warn(`${m}; left in Redis`) });
    } finally {
      redis.disconnect();
    }
    out.info(`${drained.length} job result(s) ${values['keep-in-redis'] ? 'copied' : 'drained'} from Redis into ${displayPath(runsDir)}`);

    let runs = [...new Set(drained.map((j) => j.meta.runId))];
    if (runId !== undefined) runs = [runId];
    if (!runs.length) {
      const latest = listLabRuns(runsDir)[0];
      if (!latest) {
        out.info('no lab results yet: nothing in Redis, nothing drained before');
        if (out.json) out.printJson({ drained: 0, runs: [] });
        return ExitCode.ok;
      }
      runs = [latest.runId];
    }
    const built: BuiltRun[] = [];
    for (const id of runs) {
      if (signal.aborted) return ExitCode.interrupted;
      const b = await buildRun(reports, runsDir, id, { html: values['no-html'] !== true, out, signal });
      built.push(b);
      if (!out.json) {
        out.data(`lab run ${id} (campaign ${b.merged.campaign}): ${b.merged.jobs.length} job(s), ${b.merged.records.length} test(s)\n${rigLines(b.merged).join('\n')}`);
        if (b.report) out.info(`report: ${displayPath(b.report)}`);
        for (const s of b.signoffs) out.info(`sign-off ${s.report.signoff.name}: ${s.report.verdict.toUpperCase()}; page: ${displayPath(s.page)}`);
        out.info(`${b.history.text}\n(history: ${displayPath(b.history.file)})`);
      }
    }
    if (out.json)
      out.printJson({
        drained: drained.length,
        runs: built.map((b) => ({
          runId: b.merged.runId,
          campaign: b.merged.campaign,
          dir: b.merged.dir,
          report: b.report ?? null,
          results: b.merged.results,
          jobs: b.merged.jobs.map((j) => ({ ...j.meta, dropped: j.dropped })),
          tests: b.merged.records.length,
          changes: b.history.changes,
          signoffs: b.signoffs.map((s) => ({ name: s.report.signoff.name, verdict: s.report.verdict, page: s.page })),
        })),
      });
    if (built.some((b) => !existsSync(b.merged.results))) return ExitCode.rigUnavailable;
    return exitCodeOf(built);
  },
};
