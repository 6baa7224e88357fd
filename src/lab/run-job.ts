/**
 * Runs one suite job on its rig with the code of `hil run` (`hil __lab-job`, which calls run.ts's
 * runSuites), or one sign-off cell with the code of `hil signoff` (runSignoff), in a process of its own: its environment carries the fence file ($HIL_LAB_FENCE),
 * so every hardware action of the Jest it starts checks the lease (src/rig/fence.ts); its reports
 * go to the job's own folder; an abort (lease lost, worker stopping) is SIGINT, which `hil run`
 * answers like a Ctrl-C: the rig goes to its safe state, partial results are kept.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ExitCode } from '../core/errors.js';
import { PACKAGE_ROOT } from '../report/campaign.js';
import { FENCE_ENV } from '../rig/fence.js';
import type { JobResultsMeta } from './results.js';

export interface SuiteRun {
  suiteFile: string;
  rigFile: string;
  campaign: string;
  /** The job's own reports folder (hil run's --reports). */
  reports: string;
  /** The fence file the lease keeper rewrites. */
  fenceFile: string;
  signal: AbortSignal;
  /** Each line the run prints on stderr (its progress), for the worker's log. */
  onLine?: (line: string) => void;
}

export interface SuiteRunResult {
  exitCode: number;
  outcome: JobResultsMeta['outcome'];
  /** The run's Allure results, when it wrote any. */
  resultsDir?: string;
  summary: string;
}

const HIL = join(PACKAGE_ROOT, 'bin/hil.js');

/** hil run's exit code -> the job's outcome: 1 a device failure, 3 the rig's, 4 stopped, 2 the job's data or files. */
export function outcomeOf(exitCode: number, aborted: boolean): JobResultsMeta['outcome'] {
  if (aborted || exitCode === ExitCode.interrupted) return 'interrupted';
  if (exitCode === ExitCode.ok) return 'passed';
  if (exitCode === ExitCode.testFailures) return 'failed';
  return 'broken';
}

/** One sign-off cell of a lab job: `hil __lab-job --signoff`, i.e. runSignoff on a plan of that cell. */
export interface SignoffCellRun {
  signoffFile: string;
  /** The sign-off's name the job carries: the worker's file must be that sign-off. */
  signoff: string;
  cell: string;
  rigFile: string;
  /** The job's own reports folder: the cell's page, signoff.json and Allure result go to its signoff/. */
  reports: string;
  fenceFile: string;
  signal: AbortSignal;
  onLine?: (line: string) => void;
}

export async function runSuiteJob(r: SuiteRun): Promise<SuiteRunResult> {
  return runChild(['--suite', r.suiteFile, '--rig', r.rigFile, '--campaign', r.campaign, '--reports', r.reports], r);
}

/** A sign-off cell in a child of its own, fenced exactly like a suite job; its results: `<reports>/signoff/allure-results`. */
export async function runSignoffCellJob(r: SignoffCellRun): Promise<SuiteRunResult> {
  return runChild(['--signoff', r.signoffFile, '--signoff-name', r.signoff, '--cell', r.cell, '--rig', r.rigFile, '--reports', r.reports], r);
}

async function runChild(jobArgs: string[], r: { reports: string; fenceFile: string; signal: AbortSignal; onLine?: (line: string) => void }): Promise<SuiteRunResult> {
  const args = [HIL, '__lab-job', ...jobArgs, '--json'];
  const child = execa(process.execPath, args, {
    cwd: process.cwd(),
    env: { [FENCE_ENV]: r.fenceFile },
    // The IPC channel is the child's lifeline: it closes when this worker dies, kill -9 included.
    ipc: true,
    serialization: 'json',
    stdin: 'ignore',
    reject: false,
    // SIGINT is hil's Ctrl-C; a child that ignores it for long is killed outright.
    killSignal: 'SIGINT',
    forceKillAfterDelay: 60_000,
    cancelSignal: r.signal,
    lines: false,
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    err = (err + text).slice(-8000);
    if (r.onLine) for (const line of text.split('\n')) if (line.trim()) r.onLine(line);
  });
  const done = await child;
  const exitCode = done.exitCode ?? ExitCode.interrupted;
  const aborted = r.signal.aborted;
  let json: { results?: string; totals?: { passed: number; failed: number; broken: number }; seconds?: number; gate?: unknown; summary?: string } | undefined;
  try {
    json = JSON.parse(String(done.stdout ?? '')) as typeof json;
  } catch {
    json = undefined;
  }
  const outcome = outcomeOf(exitCode, aborted);
  const resultsDir = json?.results && existsSync(json.results) ? json.results : partialResults(r.reports);
  const totals = json?.totals;
  const summary = json?.summary
    ? json.summary
    : totals
      ? `${totals.passed} passed, ${totals.failed} failed, ${totals.broken} broken${json?.seconds !== undefined ? ` in ${json.seconds.toFixed(1)} s` : ''}`
      : `hil run exited ${exitCode}${aborted ? ' (interrupted)' : ''}: ${lastLines(err)}`;
  return { exitCode, outcome, ...(resultsDir && { resultsDir }), summary };
}

/** An interrupted run prints no JSON; its folder (the only one in the job's reports) keeps what finished. */
function partialResults(reports: string): string | undefined {
  // A sign-off cell writes what it did (verdict interrupted) even when stopped.
  const signoff = join(reports, 'signoff', 'allure-results');
  if (existsSync(signoff)) return signoff;
  const runs = join(reports, 'runs');
  if (!existsSync(runs)) return undefined;
  const dir = readdirSync(runs)
    .map((d) => join(runs, d, 'allure-results'))
    .find((d) => existsSync(d));
  return dir;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 500) || 'no output';
}
