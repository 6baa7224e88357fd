/**
 * Every `hil run` writes into a folder of its own, `reports/runs/<UTC time>-<campaign>/`, so a run
 * that is stopped, crashes or produces nothing never touches the results of the runs before it.
 *
 *   reports/runs/20261206T040512Z-nightly/   run.json (state), allure-results/, results.jsonl,
 *                                            junit.xml, html/, tests/ (the generated Jest files),
 *                                            INTERRUPTED (only if it was)
 *   reports/latest          -> runs/<newest complete run>   (a symlink; a pointer file where the
 *                                                             file system has no symlinks)
 *   reports/allure-results  -> latest/allure-results        (what `hil repro` and older scripts read)
 *   reports/html            -> latest/html
 *   reports/.run            -> runs/<newest run started>     (the run in progress, complete or not)
 *
 * `latest` moves only to a run that ended complete (Jest ran to its end, whatever the verdicts),
 * by a rename over it: a reader sees the old run or the new one, never a missing or half-made link.
 * Only the newest N runs are kept, and never the one `latest` names.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { pidRunning } from './process-group.js';

/** How many runs a reports folder keeps unless told otherwise. */
export const DEFAULT_KEEP_RUNS = 10;
/** The environment variable that overrides it (`hil run`'s option wins over both). */
export const KEEP_RUNS_ENV = 'HIL_KEEP_RUNS';
/** The file in a run folder that says how the run ended. */
export const RUN_INFO = 'run.json';
/** The plan entries of the run (what campaign.ts's writePlan turned into Jest files). */
export const PLAN_FILE = 'plan.json';
/** Present in a run folder whose run was stopped before its end (a shell can test for it). */
export const INTERRUPTED_MARKER = 'INTERRUPTED';

export type RunState = 'running' | 'complete' | 'interrupted' | 'crashed';

/** run.json */
export interface RunInfo {
  id: string;
  campaign: string;
  state: RunState;
  started: string;
  finished?: string;
  host: string;
  pid: number;
  /** Why the run is not complete, in words ("interrupted after 36 of 166 cuts"). */
  reason?: string;
  /** Results at the end: cuts finished out of those planned, and all results.jsonl lines. */
  cuts?: { finished: number; planned?: number };
  results?: number;
  /** The old layout's results, moved here by the first run of this version. */
  migrated?: boolean;
}

/** How many runs to keep: the option if given, else $HIL_KEEP_RUNS, else 10. At least 1. */
export function keepRuns(option?: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = option ?? (env[KEEP_RUNS_ENV] ? Number(env[KEEP_RUNS_ENV]) : DEFAULT_KEEP_RUNS);
  if (!Number.isSafeInteger(raw) || raw < 1) {
    throw new UsageError(`${option === undefined ? `${KEEP_RUNS_ENV}=${env[KEEP_RUNS_ENV]}` : `--keep ${option}`}: the number of runs to keep must be a whole number of at least 1`);
  }
  return raw;
}

/** `20261206T040512Z-nightly`: sorts by time; the campaign name reduced to what every file system takes. */
export function runId(now: Date, campaign: string): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  const name =
    campaign
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 60) || 'run';
  return `${stamp}-${name}`;
}

const RUN_ID = /^\d{8}T\d{6}Z-/;

/** Creates the run's folder under `runs`; a name already taken (two runs in one second) gets -2, -3 … */
export function createRunFolder(runs: string, id: string): string {
  mkdirSync(runs, { recursive: true });
  for (let n = 1; n < 100; n++) {
    const name = n === 1 ? id : `${id}-${n}`;
    try {
      mkdirSync(join(runs, name));
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new UsageError(`${runs}: cannot create a run folder named ${id} (100 taken)`);
}

export function readRunInfo(dir: string): RunInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, RUN_INFO), 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
}

/** Whole or not at all: a reader never sees half a run.json. */
export function writeRunInfo(dir: string, info: RunInfo): void {
  writeAtomic(join(dir, RUN_INFO), JSON.stringify(info, null, 2) + '\n');
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** The plan entries a run folder holds ([] if none or unreadable). */
export function readPlanFile<T>(dir: string): T[] {
  try {
    return JSON.parse(readFileSync(join(dir, PLAN_FILE), 'utf8')) as T[];
  } catch {
    return [];
  }
}

export interface RunEntry {
  id: string;
  dir: string;
  info?: RunInfo;
}

/** The run folders, oldest first. */
export function listRuns(reports: string): RunEntry[] {
  const runs = join(reports, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .filter((f) => RUN_ID.test(f))
    .sort()
    .map((id) => {
      const dir = join(runs, id);
      const info = readRunInfo(dir);
      return { id, dir, ...(info && { info }) };
    });
}

/**
 * Points `link` at `target` (relative): a symlink made under a temporary name, then renamed over
 * the old one, so the switch is atomic. Where the file system refuses symlinks (FAT, some network
 * shares), `link` becomes a small file holding the target's path instead; returns which.
 */
export function pointAt(link: string, target: string): 'symlink' | 'file' {
  const tmp = `${link}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  try {
    symlinkSync(target, tmp);
    replace(tmp, link);
    return 'symlink';
  } catch (err) {
    rmSync(tmp, { force: true });
    if (!['EPERM', 'ENOSYS', 'EOPNOTSUPP', 'EINVAL'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  writeFileSync(tmp, target + '\n');
  replace(tmp, link);
  return 'file';
}

/** rename() over a symlink or file is atomic; over a real folder (the old layout) it fails, so that one goes first. */
function replace(tmp: string, link: string): void {
  try {
    renameSync(tmp, link);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw err;
    rmSync(link, { recursive: true, force: true });
    renameSync(tmp, link);
  }
}

/** Where `reports/latest` points (a symlink or a pointer file), as an absolute path; undefined if nowhere. */
export function resolveLatest(reports: string): string | undefined {
  const link = join(reports, 'latest');
  let target: string;
  try {
    const st = lstatSync(link);
    target = st.isSymbolicLink() ? readlinkSync(link) : st.isFile() ? readFileSync(link, 'utf8').trim() : '';
  } catch {
    return undefined;
  }
  if (!target) return undefined;
  const dir = resolve(reports, target);
  return existsSync(dir) ? dir : undefined;
}

/**
 * Makes `run` the latest: `reports/latest` first, then the links older users and scripts read
 * (`reports/allure-results`, `reports/html`) through it. The links through `latest` are made once
 * and never change, so only one rename moves a reader from one run to the next.
 */
export function pointLatest(reports: string, run: string): void {
  const how = pointAt(join(reports, 'latest'), relative(reports, run));
  if (how !== 'symlink') return; // no symlinks here: the pointer file is all there is
  for (const name of ['allure-results', 'html']) {
    const link = join(reports, name);
    const want = join('latest', name);
    let current: string | undefined;
    try {
      current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : undefined;
    } catch {
      current = undefined;
    }
    if (current !== want) pointAt(link, want);
  }
}

/** `reports/.run`: the newest run started, whatever its state (what a watcher of a run in progress reads). */
export function pointCurrent(reports: string, run: string): boolean {
  return pointAt(join(reports, '.run'), relative(reports, run)) === 'symlink';
}

/**
 * The layout before run folders: `reports/allure-results` and `reports/html` were real folders
 * holding the last run. They become a run folder of their own (named by their time, marked
 * migrated) and the latest one, so upgrading hil loses nothing. The old scratch `.run/` goes.
 */
export function migrateOldLayout(reports: string): string | undefined {
  const dot = join(reports, '.run');
  if (isRealFolder(dot)) rmSync(dot, { recursive: true, force: true });
  const results = join(reports, 'allure-results');
  const html = join(reports, 'html');
  if (!isRealFolder(results) && !isRealFolder(html)) return undefined;
  const when = isRealFolder(results) ? statSync(results).mtime : statSync(html).mtime;
  const runs = join(reports, 'runs');
  const id = createRunFolder(runs, runId(when, 'previous'));
  const dir = join(runs, id);
  if (isRealFolder(results)) renameSync(results, join(dir, 'allure-results'));
  if (isRealFolder(html)) renameSync(html, join(dir, 'html'));
  const at = when.toISOString();
  writeRunInfo(dir, { id, campaign: 'previous', state: 'complete', started: at, finished: at, host: hostname(), pid: process.pid, migrated: true });
  if (!resolveLatest(reports)) pointLatest(reports, dir);
  return dir;
}

function isRealFolder(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A run left `running` by a hil that is gone (SIGKILL, power loss of the Pi) is marked interrupted,
 * so nobody takes it for one in progress. Runs of other hosts (a shared folder) are left alone.
 */
export function markAbandonedRuns(reports: string): void {
  for (const r of listRuns(reports)) {
    if (r.info?.state !== 'running' || r.info.host !== hostname() || pidRunning(r.info.pid)) continue;
    const reason = `hil run (pid ${r.info.pid}) ended without recording its end (killed?)`;
    writeRunInfo(r.dir, { ...r.info, state: 'interrupted', reason });
    writeFileSync(join(r.dir, INTERRUPTED_MARKER), reason + '\n');
  }
}

/**
 * Keeps the newest `keep` runs and always `protect` (the latest complete run and the run itself):
 * ten interrupted runs in a row never delete the last good results.
 */
export function pruneRuns(reports: string, keep: number, protect: readonly string[]): string[] {
  const runs = listRuns(reports);
  const kept = new Set(protect.map((p) => resolve(p)));
  const removed: string[] = [];
  for (const r of runs.slice(0, Math.max(0, runs.length - keep))) {
    if (kept.has(resolve(r.dir))) continue;
    // A run still in progress on this host (another reports lock cannot hold this folder, but a
    // run of an older hil might): never pulled from under it.
    if (r.info?.state === 'running' && r.info.host === hostname() && pidRunning(r.info.pid)) continue;
    rmSync(r.dir, { recursive: true, force: true });
    removed.push(r.dir);
  }
  return removed;
}
