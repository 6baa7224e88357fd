import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UsageError } from '../core/errors.js';
import type { CutRecord, PlanEntry } from './plan.js';
import { removeTrackingScripts } from './offline-html.js';
import { shareDuplicateData } from './shared-report-data.js';
import { stopProcessGroup, watchProcessGroup } from './process-group.js';
import { PLAN_FILE, createRunFolder, keepRuns, markAbandonedRuns, migrateOldLayout, pointCurrent, readPlanFile, runId, writeRunInfo, type RunState } from './run-folder.js';
import { finishRun } from './run-finish.js';
import { workerHoldsHardware } from './worker-marks.js';
import { loadRig } from '../config/index.js';

export { writeRunJUnit } from './run-finish.js';

/** The package root (where jest, allure and src/ live), wherever `hil` is run from. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * What `hil run`'s Jest loads, compiled (`npm run build`): plain JavaScript needs no transform, so
 * a campaign runs with production dependencies only (`npm ci --omit=dev`). Always dist/, also when
 * hil itself runs from the sources (tests): `npm test` builds first.
 */
export const CAMPAIGN_MODULES = {
  // The YAML runner is built on useRig() (DESIGN.md, "Two ways to write a test").
  suite: join(PACKAGE_ROOT, 'dist/testing/suite.js'),
  environment: join(PACKAGE_ROOT, 'dist/report/worker-environment.js'),
} as const;

/** A missing build is the installer's to fix, before any rig is touched. */
export function checkCampaignModules(): void {
  const missing = Object.values(CAMPAIGN_MODULES).filter((f) => !existsSync(f));
  if (missing.length) throw new UsageError(`hil is not built: ${missing.join(', ')} missing; run \`npm run build\` in ${PACKAGE_ROOT}`);
}

export interface CampaignPaths {
  /** The reports folder (`--reports`): the lock, `runs/`, `latest` and the links in it. */
  reports: string;
  /** `reports/runs`: one folder per run. */
  runs: string;
  /** This run's name, `<UTC time>-<campaign>` (./run-folder.ts); fixed by writePlan. */
  id: string;
  campaign: string;
  /** This run's folder and what is in it. */
  run: string;
  results: string;
  html: string;
  resultsFile: string;
  junit: string;
  /** The generated Jest test files. */
  tests: string;
  /** One file per Jest worker running a test file: whether its rig drives hardware (worker-environment.ts). */
  workers: string;
  /** How many runs the reports folder keeps (the latest complete one always). */
  keep: number;
}

export interface CampaignOptions {
  /** Names the run's folder (else the plan entries' campaign). */
  campaign?: string;
  /** Runs to keep: `hil run`'s option; else $HIL_KEEP_RUNS, else 10. */
  keep?: number;
  now?: Date;
}

export function campaignPaths(reportsDir: string, opts: CampaignOptions = {}): CampaignPaths {
  const reports = resolve(reportsDir);
  const campaign = opts.campaign ?? 'default';
  const paths = { reports, runs: join(reports, 'runs'), campaign, keep: keepRuns(opts.keep) } as CampaignPaths;
  return setRun(paths, runId(opts.now ?? new Date(), campaign));
}

function setRun(paths: CampaignPaths, id: string): CampaignPaths {
  const run = join(paths.runs, id);
  return Object.assign(paths, {
    id,
    run,
    results: join(run, 'allure-results'),
    html: join(run, 'html'),
    resultsFile: join(run, 'results.jsonl'),
    junit: join(run, 'junit.xml'),
    tests: join(run, 'tests'),
    workers: join(run, 'workers'),
  });
}

/**
 * Opens this run's folder (under the reports lock) and writes one Jest test file per (suite, rig)
 * pair in it: Jest parallelises by file, so each rig gets its own worker and its own rig
 * lifecycle. Nothing of an earlier run is touched (an old-layout folder is moved into runs/ first).
 */
export function writePlan(paths: CampaignPaths, entries: Omit<PlanEntry, 'resultsFile'>[]): string[] {
  checkCampaignModules();
  migrateOldLayout(paths.reports);
  markAbandonedRuns(paths.reports);
  const campaign = entries[0]?.campaign ?? paths.campaign;
  const wanted = campaign === paths.campaign ? paths.id : runId(idTime(paths.id), campaign);
  setRun(paths, createRunFolder(paths.runs, wanted));
  paths.campaign = campaign;
  mkdirSync(paths.results, { recursive: true });
  mkdirSync(paths.tests, { recursive: true });
  writeFileSync(paths.resultsFile, '');
  writeRunInfo(paths.run, { id: paths.id, campaign, state: 'running', started: new Date().toISOString(), host: hostname(), pid: process.pid });
  writeFileSync(join(paths.run, PLAN_FILE), JSON.stringify(entries, null, 2) + '\n');
  // Workers append through reports/.run (this run): a reader of .run/results.jsonl follows the run
  // in progress, and what sits beside the results file (the sweeps' reports/maps/) stays where it was.
  const resultsFile = pointCurrent(paths.reports, paths.run) ? join(paths.reports, '.run', 'results.jsonl') : paths.resultsFile;
  // .mjs: ESM wherever the reports folder is (no package.json with "type": "module" needed there).
  return entries.map((e, i) => {
    const file = testFile(paths, e, i);
    const entry: PlanEntry = { ...e, resultsFile };
    writeFileSync(
      file,
      `// Generated by \`hil run\`; safe to delete.\nimport { defineRigSuite } from ${JSON.stringify(CAMPAIGN_MODULES.suite)};\nawait defineRigSuite(${JSON.stringify(entry, null, 2)});\n`,
    );
    return file;
  });
}

function idTime(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : new Date();
}

export interface JestRun {
  exitCode: number;
  /** Jest itself failed to run (not a test failing). */
  crashed: boolean;
  /** The run has Allure results of its own (in its own folder; earlier runs are untouched either way). */
  published: boolean;
  /** How the run ended: only a complete one becomes `reports/latest`. */
  state: RunState;
}

/** Runs the generated tests with the allure-jest environment; Jest's report goes to stderr. */
export async function runJest(paths: CampaignPaths, opts: { workers: number; quiet: boolean; signal?: AbortSignal }): Promise<JestRun> {
  const config = {
    rootDir: PACKAGE_ROOT,
    roots: [paths.tests],
    testMatch: ['**/*.test.mjs'],
    // allure-jest's environment plus a lifeline: a worker stops (rig safe) when hil is gone.
    testEnvironment: CAMPAIGN_MODULES.environment,
    testEnvironmentOptions: { resultsDir: paths.results, hilPid: process.pid, workersDir: paths.workers },
    // Everything is JavaScript already (dist/ and packages): no transform, no dev dependency.
    transform: {},
    testTimeout: 30 * 60_000,
    maxWorkers: opts.workers,
  };
  mkdirSync(paths.workers, { recursive: true });
  await writeRigHints(paths);
  const jestBin = join(PACKAGE_ROOT, 'node_modules/jest/bin/jest.js');
  const args = [jestBin, '--config', JSON.stringify(config), '--ci', ...(opts.quiet ? ['--silent'] : [])];
  const child = execa(process.execPath, args, {
    cwd: PACKAGE_ROOT,
    // Its own process group (Jest, its workers and what they spawn): a signal reaches all of
    // them at once, and hil can wait until none is left.
    detached: true,
    env: { NODE_OPTIONS: '--experimental-vm-modules --disable-warning=ExperimentalWarning', FORCE_COLOR: process.stderr.isTTY && !process.env.NO_COLOR ? '1' : '0' },
    stdin: 'ignore',
    stdout: opts.quiet ? 'ignore' : ['inherit'],
    stderr: opts.quiet ? 'ignore' : ['inherit'],
    reject: false,
  });
  // Jest writes its report to stderr; keep our stdout for data only.
  if (!opts.quiet) child.stdout?.pipe(process.stderr);
  const group = watchProcessGroup(child.pid!);
  const stop = { holdsNoHardware: (pid: number) => !workerHoldsHardware(paths.workers, pid) };
  const onAbort = () => void stopProcessGroup(group, stop);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let exitCode: number;
  try {
    const r = await child;
    exitCode = r.exitCode ?? 1;
    // Jest is gone; its workers may not be yet (a worker still making its rig safe).
    await stopProcessGroup(group, stop);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    group.dispose();
  }
  removePartialResults(paths.results);
  // Marks of workers killed before their teardown: no worker is left to hold anything.
  rmSync(paths.workers, { recursive: true, force: true });
  const records = readRecords(paths);
  const crashed = exitCode !== 0 && records.length === 0;
  const state: RunState = opts.signal?.aborted ? 'interrupted' : crashed ? 'crashed' : 'complete';
  await finishRun(paths, { state, records, plan: readPlan(paths) });
  const published = existsSync(paths.results) && readdirSync(paths.results).some((f) => f.endsWith('-result.json'));
  return { exitCode, crashed, published, state };
}

function testFile(paths: Pick<CampaignPaths, 'tests'>, e: Pick<PlanEntry, 'suiteFile' | 'rigFile'>, i: number): string {
  return join(paths.tests, `${String(i + 1).padStart(2, '0')}-${basename(e.suiteFile, '.yaml')}--${basename(e.rigFile, '.yaml')}.test.mjs`);
}

/**
 * Beside each test file, whether its rig drives hardware (a relay, pins, a serial port, a probe) or
 * is a twin in every part: the worker environment publishes it while it runs that file, and a stop
 * kills a worker that holds no hardware at once instead of waiting for its event loop (see
 * NO_HARDWARE_GRACE_MS). A rig that does not load counts as hardware.
 */
async function writeRigHints(paths: CampaignPaths): Promise<void> {
  for (const [i, e] of readPlan(paths).entries()) {
    const rig = await loadRig(e.rigFile).catch(() => undefined);
    const twinOnly = !!rig && rig.power.driver === 'twin' && rig.console.driver === 'twin' && (!rig.probe || rig.probe.driver === 'twin') && !rig.gpio && !rig.reset && !rig.marker;
    writeFileSync(rigHintFile(testFile(paths, e, i)), JSON.stringify({ rig: e.rigFile, hardware: !twinOnly }) + '\n');
  }
}

/** Where a worker finds the hint for a test file it runs. */
export function rigHintFile(testPath: string): string {
  return testPath.replace(/\.test\.mjs$/, '.rig.json');
}

/** The plan entries writePlan stored in the run folder. */
export function readPlan(paths: Pick<CampaignPaths, 'run'>): Omit<PlanEntry, 'resultsFile'>[] {
  return readPlanFile(paths.run);
}

/**
 * Allure writes each file to `.allure-write-*.tmp` and renames it; a worker killed in between
 * leaves the temporary file, which is no result. Finished results are whole (the rename is atomic).
 */
export function removePartialResults(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith('.allure-write-') && f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
}

/** results.jsonl, one line per finished cut; a line cut short by a kill is not a result. */
export function readRecords(paths: CampaignPaths): CutRecord[] {
  if (!existsSync(paths.resultsFile)) return [];
  const records: CutRecord[] = [];
  for (const line of readFileSync(paths.resultsFile, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as CutRecord);
    } catch {
      // a partial last line of a worker killed mid-write
    }
  }
  return records;
}

/** Allure 3 single-file HTML (opens from file://, no network). */
export async function generateHtml(paths: Pick<CampaignPaths, 'results' | 'html'>, signal?: AbortSignal): Promise<string> {
  const allureBin = join(PACKAGE_ROOT, 'node_modules/allure/cli.js');
  const bin = existsSync(allureBin) ? allureBin : join(PACKAGE_ROOT, 'node_modules/.bin/allure');
  rmSync(paths.html, { recursive: true, force: true });
  const r = await execa(process.execPath, [bin, 'generate', paths.results, '--config', join(PACKAGE_ROOT, 'allurerc.mjs'), '--output', paths.html], {
    cwd: PACKAGE_ROOT,
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1' },
    ...(signal && { cancelSignal: signal }),
  });
  const index = join(paths.html, 'index.html');
  if (r.exitCode !== 0 || !existsSync(index)) {
    throw new Error(`allure generate failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).toString().slice(-2000)}`);
  }
  for (const f of readdirSync(paths.html)) {
    if (!f.endsWith('.html')) continue;
    removeTrackingScripts(join(paths.html, f));
    shareDuplicateData(join(paths.html, f));
  }
  return index;
}

export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}
