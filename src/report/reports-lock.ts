import { hostname } from 'node:os';
import { join } from 'node:path';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ExitCode, HilError, UsageError } from '../core/errors.js';
import { pidRunning } from './process-group.js';

/** What a `hil run` writes in the reports folder it holds. */
interface LockHolder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface ReportsLock {
  readonly file: string;
  release(): void;
}

const LOCK_NAME = '.hil-run.lock';

/**
 * One `hil run` per reports folder: two runs writing the same results.jsonl and allure-results
 * corrupt each other's counts. The lock is a file created exclusively (atomic on every local
 * file system) holding the owner's pid; a lock whose pid is dead on this host is stale and taken
 * over. A lock from another host cannot be checked, so it is honoured.
 */
export function lockReports(reportsDir: string, command = 'hil run'): ReportsLock {
  const file = join(reportsDir, LOCK_NAME);
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  // Written aside, then hard-linked into place: the lock appears whole or not at all, so a
  // reader never mistakes a lock being written for an empty, stale one.
  const draft = `${file}.${process.pid}.draft`;
  try {
    mkdirSync(reportsDir, { recursive: true });
    writeFileSync(draft, JSON.stringify(me) + '\n');
  } catch (err) {
    throw new UsageError(`--reports ${reportsDir}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return takeLock(file, draft, me, reportsDir);
  } finally {
    rmSync(draft, { force: true });
  }
}

function takeLock(file: string, draft: string, me: LockHolder, reportsDir: string): ReportsLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      linkSync(draft, file);
      return held(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder && (holder.host !== me.host || pidRunning(holder.pid))) {
      throw new HilError(
        `${reportsDir}: in use by ${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since}); wait for it to finish or give another --reports folder` +
          (holder.host !== me.host ? `; if that run is gone, delete ${file}` : ''),
        ExitCode.rigUnavailable,
      );
    }
    // Stale (its pid is gone) or unreadable: move it aside under a name only we use, so two runs
    // taking over the same stale lock cannot both delete the winner's fresh one.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
      rmSync(aside, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new HilError(`${reportsDir}: could not take ${file} (another run keeps taking it)`, ExitCode.rigUnavailable);
}

function held(file: string): ReportsLock {
  let released = false;
  // A process.exit() (a second Ctrl-C) skips finally blocks; 'exit' still runs synchronously.
  const onExit = () => release();
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    const holder = readHolder(file);
    if (holder?.pid === process.pid) rmSync(file, { force: true });
  };
  process.on('exit', onExit);
  return { file, release };
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host, since: String(h.since ?? '?'), command: String(h.command ?? 'hil run') } : undefined;
  } catch {
    return undefined; // half-written by a run killed mid-write, or removed meanwhile: stale
  }
}
