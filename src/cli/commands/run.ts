import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findSuites } from '../suite-files.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { checkRigForSuite, loadRig, loadSuite, loadSuiteRig, noRigsError, rigPath, suiteCutPoints, withTwinOverrides, type RigConfig, type SuiteConfig } from '../../config/index.js';
import { DEFAULT_GATE, MAX_CONFIRM, loadCampaign, type CampaignConfig } from '../../config/campaign-schema.js';
import { PACKAGE_ROOT, campaignPaths, displayPath, generateHtml, readRecords, runJest, writePlan, type CampaignPaths } from '../../report/campaign.js';
import { failureReport, summarizeRecords } from '../../report/summary.js';
import { summaryRecords } from '../../report/sweep-summary.js';
import type { CutRecord, PlanEntry } from '../../report/plan.js';
import { checkCompatibleRig, checkOpSweepRig } from '../../scenario/suite-run.js';
import { lockReports } from '../../report/reports-lock.js';
import { writeRunJUnit } from '../../report/run-finish.js';
import { boardOf, type BoardIdentity } from '../../nightly/board.js';
import { evaluateGate, formatGate } from '../../nightly/gate.js';
import { appendRuns, historyFile, readHistory, runsByBoard, writeHistory } from '../../nightly/history.js';
import { renderTrendSvg } from '../../nightly/trend.js';
import { boardChanges, formatChanges, whatChanged, type WhatChanged } from '../../nightly/changes.js';
import { inputsByReproId, readResults, stampBoardHistoryIds, writeGateResult } from '../../nightly/allure-results.js';
import { numberOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { confirmFailures, formatConfirm } from './run-confirm.js';
import { runHelp } from './run.help.js';

function defaultSuites(): string[] {
  return findSuites(/\.ya?ml$/, 'suites given and no suites/*.yaml');
}

/**
 * `--campaign NAME`: campaigns/NAME.yaml here, else in the hilrig package; a path ending in .yaml
 * must exist. A name with no file stays what it always was: a label (the Allure epic and history stream).
 */
function campaignFile(arg: string): string | undefined {
  if (/\.ya?ml$/.test(arg) || /[/\\]/.test(arg)) {
    if (!existsSync(resolve(arg))) throw new UsageError(`--campaign ${arg}: no such campaign file`);
    return resolve(arg);
  }
  return [resolve('campaigns', `${arg}.yaml`), join(PACKAGE_ROOT, 'campaigns', `${arg}.yaml`)].find((f) => existsSync(f));
}

interface Plan {
  entries: Omit<PlanEntry, 'resultsFile'>[];
  suites: number;
  cuts: number;
  opSweeps: number;
  /** Rig names as results show them (variant tags included) -> the board they ran on. */
  boards: Map<string, BoardIdentity>;
}

function addEntry(plan: Plan, campaign: string, suite: SuiteConfig, rig: RigConfig, expect: PlanEntry['expect'], twin?: PlanEntry['twin']): void {
  checkRigForSuite(rig, suite);
  checkOpSweepRig(rig, suite);
  checkCompatibleRig(rig, suite);
  plan.entries.push({ campaign, suiteFile: suite.file, rigFile: rig.file, expect, ...(twin && { twin }) });
  plan.boards.set(rig.name, boardOf(rig));
  plan.cuts += suiteCutPoints(suite).length;
  plan.opSweeps += suite.cuts.opSweeps.length;
}

/** Suites given on the command line (or suites/*.yaml), each on its own rigs or on --rig. */
async function planSuites(files: string[], campaign: string, rigArg: string | undefined): Promise<Plan> {
  const suites: SuiteConfig[] = [];
  for (const f of files) suites.push(await loadSuite(f));
  const plan: Plan = { entries: [], suites: suites.length, cuts: 0, opSweeps: 0, boards: new Map() };
  for (const suite of suites) {
    if (rigArg) {
      const path = rigPath(rigArg);
      addEntry(plan, campaign, suite, await loadRig(path), suite.rigs.find((r) => r.path === path)?.expect ?? 'recovers');
      continue;
    }
    if (!suite.rigs.length) throw noRigsError(suite);
    for (const [i, r] of suite.rigs.entries()) addEntry(plan, campaign, suite, await loadSuiteRig(suite, i), r.expect, r.twin);
  }
  return plan;
}

/** A campaign file's suites, each on its own rigs or on the rigs the campaign lists for it. */
async function planCampaign(c: CampaignConfig): Promise<Plan> {
  const suites: SuiteConfig[] = [];
  for (const s of c.suites) suites.push(await loadSuite(s.file));
  const plan: Plan = { entries: [], suites: suites.length, cuts: 0, opSweeps: 0, boards: new Map() };
  for (const [i, s] of c.suites.entries()) {
    const suite = suites[i]!;
    if (!s.rigs) {
      if (!suite.rigs.length) throw noRigsError(suite);
      for (const [j, r] of suite.rigs.entries()) addEntry(plan, c.name, suite, await loadSuiteRig(suite, j), r.expect, r.twin);
      continue;
    }
    for (const r of s.rigs) {
      const rig = withTwinOverrides(await loadRig(r.path), r.twin, c.file);
      // The suite's own word on this rig with these overrides, unless the campaign says.
      const same = suite.rigs.find((x) => x.path === r.path && (x.twin?.variant ?? '') === (r.twin?.variant ?? '') && (x.twin?.powerLoss ?? '') === (r.twin?.powerLoss ?? ''));
      addEntry(plan, c.name, suite, rig, r.expect ?? same?.expect ?? 'recovers', r.twin);
    }
  }
  return plan;
}

export const runCommand: Command = {
  ...runHelp,
  async run({ values, positionals, out, signal }) {
    const campaignArg = values.campaign as string | undefined;
    const file = campaignArg ? campaignFile(campaignArg) : undefined;
    const config = file ? await loadCampaign(file) : undefined;
    if (config && (positionals.length || values.rig))
      throw new UsageError(`--campaign ${campaignArg}: ${displayPath(config.file)} lists the suites and rigs; run it alone, or give suites and --rig without a campaign file`);
    const campaign = config?.name ?? campaignArg ?? 'default';
    const workers = numberOption(values, 'workers', 2, { integer: true, min: 1 });
    const confirm = values.confirm !== undefined ? numberOption(values, 'confirm', 0, { integer: true, min: 0, max: MAX_CONFIRM }) : (config?.confirm ?? 0);
    const keep = values.keep === undefined ? undefined : numberOption(values, 'keep', 10, { integer: true, min: 1, max: 1000 });
    const common = { campaign, workers, confirm, keep, reports: (values.reports as string | undefined) ?? 'reports', noHtml: Boolean(values['no-html']), out, signal };
    // Validate everything before any rig is touched.
    if (config) return runPlan({ ...common, plan: await planCampaign(config), config });
    return runSuites({ ...common, suites: positionals.length ? positionals.map((p) => resolve(p)) : defaultSuites(), rig: values.rig as string | undefined });
  },
};

export interface RunOptions {
  /** The campaign's name: the run folder's, the Allure epic, the history stream. */
  campaign: string;
  workers: number;
  confirm: number;
  keep?: number;
  reports: string;
  noHtml: boolean;
  out: Output;
  signal: AbortSignal;
}

/**
 * `hil run SUITE... [--rig RIG]` as a function: the lab's worker (src/lab/run-job.ts) runs its
 * jobs through this, so a suite runs on a lab rig exactly as it runs from the command line; there
 * `campaign` is only a label (the job names the suite and the rig, not a campaign file's plan).
 */
export async function runSuites(o: RunOptions & { suites: string[]; rig?: string }): Promise<number> {
  return runPlan({ ...o, plan: await planSuites(o.suites, o.campaign, o.rig), config: undefined });
}

async function runPlan(o: RunOptions & { plan: Plan; config: CampaignConfig | undefined }): Promise<number> {
  const { plan, config, campaign, out, signal } = o;
  // Each run gets its own folder, reports/runs/<time>-<campaign>/ (RUNS's run-folder.ts).
  const paths = campaignPaths(o.reports, { campaign, ...(o.keep !== undefined && { keep: o.keep }) });
  // Two runs on one folder would write into each other's results: a second one is refused.
  const lock = lockReports(paths.reports);
  try {
    if (signal.aborted) return ExitCode.interrupted;
    writePlan(paths, plan.entries);
    out.info(
      `campaign ${campaign}${config ? ` (${displayPath(config.file)})` : ''}: ${plan.suites} suite(s), ${plan.entries.length} rig run(s), ${plan.cuts} cuts${plan.opSweeps ? `, ${plan.opSweeps} op sweep(s)` : ''}${o.confirm ? `; failing cuts confirmed ${o.confirm} times` : ''}`,
    );
    return await runAndReport({ paths, plan, campaign, config, confirm: o.confirm, workers: o.workers, out, signal, noHtml: o.noHtml });
  } finally {
    lock.release();
  }
}

interface RunContext {
  paths: CampaignPaths;
  plan: Plan;
  campaign: string;
  config: CampaignConfig | undefined;
  confirm: number;
  workers: number;
  out: Output;
  signal: AbortSignal;
  noHtml: boolean;
}

async function runAndReport(c: RunContext): Promise<number> {
  const { paths, out, signal } = c;
  const started = Date.now();
  const date = new Date(started).toISOString();
  const jest = await runJest(paths, { workers: c.workers, quiet: out.level === 0 || out.json, signal });
  if (signal.aborted) {
    const finished = readRecords(paths).length;
    out.info(
      jest.published
        ? `interrupted: ${finished} finished cut(s); results in ${displayPath(paths.results)}`
        : `interrupted before any result was written; earlier runs are untouched (reports/latest: the last complete one)`,
    );
    return ExitCode.interrupted;
  }
  let records = readRecords(paths);
  // Only this run's results are touched: a run that published none left the previous run's there.
  const results = jest.published ? readResults(paths.results) : [];
  const boardOfRig = (rig: string): BoardIdentity => c.plan.boards.get(rig) ?? boardOf({ name: rig });

  let confirmText = '';
  if (c.confirm > 0 && jest.published && records.some((r) => r.status === 'failed')) {
    try {
      const confirmed = await confirmFailures(records, results, c.confirm, { out, signal });
      records = confirmed.records;
      confirmText = formatConfirm(confirmed);
      writeFileSync(paths.resultsFile, records.map((r) => JSON.stringify(r) + '\n').join(''));
      // junit.xml was written at Jest's end: again, with each failure's confirmation.
      await writeRunJUnit(paths, records);
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    if (signal.aborted) {
      out.info(`interrupted while confirming failures; results in ${displayPath(paths.results)}`);
      return ExitCode.interrupted;
    }
  }

  // History, what changed and the gate are the run's, whole: a run Jest could not start has none.
  const history = jest.crashed ? undefined : recordHistory(c, records, results, boardOfRig, date);
  // An op sweep's record stands for all its points (./sweep-summary.ts).
  const counted = summaryRecords(records);
  const summary = summarizeRecords(counted);
  const gate = evaluateGate(c.config?.gate ?? DEFAULT_GATE, counted, c.config ? [...c.plan.boards.keys()] : [], jest.exitCode);
  if (jest.published) {
    stampBoardHistoryIds(results, records, boardOfRig);
    if (c.config)
      writeGateResult(paths.results, { campaign: c.campaign, ...gate, changes: history?.text ?? '', changesJson: history?.changes ?? null, start: started, ...(history && { trend: history.trend }) });
  }

  let report: string | undefined;
  if (!c.noHtml && !jest.crashed) {
    // allurerc.mjs reads these: Allure's own history (trends per test, capped like ours) and the header's variables.
    process.env.HIL_ALLURE_HISTORY = join(paths.reports, 'history', `${c.campaign.replace(/[^\w.-]+/g, '_')}.allure.jsonl`);
    process.env.HIL_ALLURE_HISTORY_LIMIT = String(c.config?.history.keep ?? 30);
    process.env.HIL_ALLURE_VARIABLES = JSON.stringify({
      campaign: c.campaign,
      ...(c.config && { gate: gate.passed ? 'passed' : 'FAILED' }),
      ...(history && { 'new failures': String(history.changes.totals.newFailures), fixed: String(history.changes.totals.fixed), flaky: String(history.changes.totals.flaky) }),
    });
    try {
      report = await generateHtml(paths, signal);
    } catch (err) {
      out.warn((err as Error).message);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  if (out.json) {
    out.printJson({
      ok: gate.passed && !jest.crashed,
      campaign: c.campaign,
      ...(c.config && { campaignFile: c.config.file }),
      seconds,
      report: report ?? null,
      results: paths.results,
      ...summary,
      gate,
      changes: history?.changes ?? null,
      ...(history && { changesFile: history.file }),
      cuts: records,
    });
  } else {
    out.data(summary.table);
    out.info(`${records.length} tests in ${seconds.toFixed(1)} s${report ? `; report: ${displayPath(report)}` : ''}`);
    const failures = failureReport(records, paths.results);
    if (failures) out.info(failures);
    if (confirmText) out.info(confirmText);
    if (history) out.info(`${history.text}\n(written to ${displayPath(history.file)})`);
    if (c.config) out.info(formatGate(c.campaign, gate));
  }
  if (jest.crashed) {
    out.error('Jest did not run the campaign (see its output above)');
    return ExitCode.rigUnavailable;
  }
  return gate.exitCode;
}

/**
 * Adds the run to each board's history (capped) and compares it with the board's previous run;
 * the summary is written in the run's folder as what-changed.txt and .json.
 */
function recordHistory(
  c: RunContext,
  records: readonly CutRecord[],
  results: ReturnType<typeof readResults>,
  boardOfRig: (rig: string) => BoardIdentity,
  date: string,
): { changes: WhatChanged; text: string; file: string; trend: string } {
  const file = historyFile(c.paths.reports, c.campaign);
  const { history, problem } = readHistory(file, c.campaign);
  if (problem) c.out.warn(problem);
  const inputs = inputsByReproId(c.paths.results, results);
  const runs = runsByBoard(records, { date, campaign: c.campaign, boardOf: boardOfRig, inputsOf: (id) => inputs.get(id) });
  const previous = appendRuns(history, runs, c.config?.history.keep ?? 30);
  writeHistory(file, history);
  const changes = whatChanged([...runs].map(([key, { board, run }]) => boardChanges(board, run, previous.get(key))));
  // `hil repro ID` looks in reports/allure-results; another folder must be named.
  const results_ = resolve(c.paths.results) === resolve('reports/allure-results') ? '' : ` --results ${displayPath(c.paths.results)}`;
  const text = formatChanges(changes, (id) => `hil repro ${id}${results_}`);
  // In the run's own folder, beside its results and junit.xml (reports/latest/what-changed.txt after a complete run).
  // A copy at the reports folder's top is the newest run's, for a CI step that prints it (docs/ci.md).
  const full = formatChanges(changes, (id) => `hil repro ${id}${results_}`, Infinity) + '\n';
  const json = JSON.stringify(changes, null, 2) + '\n';
  for (const dir of [c.paths.reports, c.paths.run]) {
    writeFileSync(join(dir, 'what-changed.txt'), full);
    writeFileSync(join(dir, 'what-changed.json'), json);
  }
  // The trend per rig beside them: each board's kept runs as bars (src/nightly/trend.ts).
  const trend = renderTrendSvg(history);
  writeFileSync(join(c.paths.run, 'trend.svg'), trend);
  const changesFile = join(c.paths.run, 'what-changed.txt');
  return { changes, text, file: changesFile, trend };
}
