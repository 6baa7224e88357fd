/**
 * The reports folder of `hil run`, in-process: one run at a time (a lock naming its holder, a
 * stale lock taken over), the previous results kept until a run has its own, and no partial
 * Allure file left by a killed worker.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HilError } from '../../src/core/errors.js';
import { campaignPaths, publishResults, removePartialResults, writePlan } from '../../src/report/campaign.js';
import { lockReports } from '../../src/report/reports-lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hil-reports-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

function refusal(fn: () => unknown): HilError {
  try {
    fn();
  } catch (err) {
    return err as HilError;
  }
  throw new Error('expected a refusal');
}

describe('reports folder lock', () => {
  test('held: a second taker is refused with exit 3, naming the holder; released: the lock file is gone', () => {
    const lock = lockReports(dir);
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    const err = refusal(() => lockReports(dir));
    expect(err).toBeInstanceOf(HilError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`in use by hil run (pid ${process.pid}`);
    expect(err.message).toContain('--reports');
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    lockReports(dir).release(); // free again
  });

  test('a lock whose pid is dead (a SIGKILLed run) is stale and taken over', () => {
    const pid = deadPid();
    writeFileSync(join(dir, '.hil-run.lock'), JSON.stringify({ pid, host: hostname(), since: 'x', command: 'hil run' }));
    const lock = lockReports(dir);
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  test('an unreadable lock (cut short by a kill) is stale; a lock from another host is honoured', () => {
    writeFileSync(join(dir, '.hil-run.lock'), '{"pid": 12');
    lockReports(dir).release();
    writeFileSync(join(dir, '.hil-run.lock'), JSON.stringify({ pid: process.pid, host: 'another-pi', since: 'x', command: 'hil run' }));
    const err = refusal(() => lockReports(dir));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/on another-pi.*if that run is gone, delete .*\.hil-run\.lock/);
  });
});

describe('previous results', () => {
  test('a new plan leaves the previous results alone; they are replaced only by a run that produced results', () => {
    const paths = campaignPaths(dir);
    mkdirSync(paths.results, { recursive: true });
    writeFileSync(join(paths.results, 'old-result.json'), '{}');
    writePlan(paths, []);
    expect(readdirSync(paths.results)).toEqual(['old-result.json']);
    publishResults(paths); // nothing ran (Jest never got to a test)
    expect(readdirSync(paths.results)).toEqual(['old-result.json']);
    writeFileSync(join(paths.staging, 'new-result.json'), '{}');
    publishResults(paths);
    expect(readdirSync(paths.results)).toEqual(['new-result.json']);
  });

  test('a temporary file of a worker killed mid-write is removed; whole results stay', () => {
    writeFileSync(join(dir, '.allure-write-3f1c.tmp'), '{"status":"pas');
    writeFileSync(join(dir, 'a-result.json'), '{}');
    removePartialResults(dir);
    expect(readdirSync(dir)).toEqual(['a-result.json']);
  });
});
