/**
 * The reports folder of `hil run`, in-process: one run at a time (a lock naming its holder, a
 * stale lock taken over), each run in a folder of its own with `latest` on the newest complete
 * one, interrupted runs marked and never latest, the newest N kept, and no partial Allure file
 * left by a killed worker.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HilError } from '../../src/core/errors.js';
import { campaignPaths, removePartialResults, writePlan } from '../../src/report/campaign.js';
import { finishRun } from '../../src/report/run-finish.js';
import { keepRuns, readRunInfo, resolveLatest } from '../../src/report/run-folder.js';
import type { CutRecord } from '../../src/report/plan.js';
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

describe('run folders', () => {
  const cut = (test: string, status: CutRecord['status'] = 'passed'): CutRecord => ({
    kind: 'cut',
    suite: 's',
    rig: 'r',
    expect: 'recovers',
    test,
    trigger: test,
    outcome: status === 'passed' ? 'updated' : 'wrong-image',
    status,
    repro: `hil cut ${test}`,
  });
  const runOnce = async (state: 'complete' | 'interrupted' | 'crashed', minute: number, keep?: number) => {
    const paths = campaignPaths(dir, { campaign: 'nightly', now: new Date(Date.UTC(2026, 11, 6, 4, minute)), ...(keep && { keep }) });
    writePlan(paths, []);
    writeFileSync(join(paths.results, `${minute}-result.json`), '{}');
    await finishRun(paths, { state, records: [cut('a'), cut('b', 'failed')], plan: [] });
    return paths;
  };
  const latest = () => resolveLatest(dir);

  test('each run gets its own folder named by UTC time and campaign; reports/latest, allure-results and html follow the newest complete run', async () => {
    const first = await runOnce('complete', 1);
    expect(first.id).toBe('20261206T040100Z-nightly');
    expect(readdirSync(join(dir, 'runs'))).toEqual([first.id]);
    expect(latest()).toBe(first.run);
    expect(lstatSync(join(dir, 'latest')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'latest'))).toBe(join('runs', first.id));
    expect(readlinkSync(join(dir, 'allure-results'))).toBe(join('latest', 'allure-results'));
    expect(readdirSync(join(dir, 'allure-results'))).toContain('1-result.json');
    const second = await runOnce('complete', 2);
    expect(latest()).toBe(second.run);
    expect(readdirSync(join(dir, 'allure-results'))).toContain('2-result.json');
    // The first run is still there, whole.
    expect(readdirSync(first.results)).toContain('1-result.json');
    expect(readRunInfo(second.run)).toMatchObject({ state: 'complete', campaign: 'nightly', results: 2, cuts: { finished: 2 } });
    // No temporary link or file is left by the renames.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // junit.xml beside the Allure results.
    expect(readFileSync(second.junit, 'utf8')).toContain('<testsuite name="s on r"');
  });

  test('an interrupted run is marked in its own folder (marker, run.json, a broken Allure result, the environment, JUnit) and never becomes latest', async () => {
    const good = await runOnce('complete', 1);
    const stopped = await runOnce('interrupted', 2);
    expect(latest()).toBe(good.run);
    expect(readFileSync(join(stopped.run, 'INTERRUPTED'), 'utf8')).toBe('interrupted after 2 cuts\n');
    expect(readRunInfo(stopped.run)).toMatchObject({ state: 'interrupted', reason: 'interrupted after 2 cuts' });
    const results = readdirSync(stopped.results)
      .filter((f) => f.endsWith('-result.json') && f !== '2-result.json')
      .map((f) => JSON.parse(readFileSync(join(stopped.results, f), 'utf8')) as { name: string; status: string });
    expect(results).toEqual([expect.objectContaining({ name: 'hil run interrupted after 2 cuts', status: 'broken' })]);
    expect(readFileSync(join(stopped.results, 'environment.properties'), 'utf8')).toContain('hil.run.state=interrupted after 2 cuts');
    expect(readFileSync(stopped.junit, 'utf8')).toMatch(/<error type="interrupted" message="interrupted after 2 cuts: /);
    // A crashed run (Jest never ran) is not latest either.
    const crashed = await runOnce('crashed', 3);
    expect(latest()).toBe(good.run);
    expect(readRunInfo(crashed.run)?.state).toBe('crashed');
  });

  test('only the newest N runs are kept, and always the latest complete one: interrupted runs never push out the last good results', async () => {
    const good = await runOnce('complete', 1, 3);
    for (let m = 2; m <= 6; m++) await runOnce('interrupted', m, 3);
    const ids = readdirSync(join(dir, 'runs'));
    expect(ids).toEqual([good.id, '20261206T040400Z-nightly', '20261206T040500Z-nightly', '20261206T040600Z-nightly']);
    expect(latest()).toBe(good.run);
  });

  test('a run folder name taken in the same second gets a suffix; a run left running by a dead hil is marked interrupted', async () => {
    const a = campaignPaths(dir, { campaign: 'x', now: new Date(Date.UTC(2026, 11, 6, 4, 0)) });
    writePlan(a, []);
    const b = campaignPaths(dir, { campaign: 'x', now: new Date(Date.UTC(2026, 11, 6, 4, 0)) });
    writePlan(b, []);
    expect(b.id).toBe(`${a.id}-2`);
    // The reports/.run link follows the newest run started.
    expect(realpathSync(join(dir, '.run'))).toBe(realpathSync(b.run));
    writeFileSync(join(a.run, 'run.json'), JSON.stringify({ ...readRunInfo(a.run), pid: deadPid() }));
    writePlan(campaignPaths(dir, { campaign: 'x' }), []);
    expect(readRunInfo(a.run)).toMatchObject({ state: 'interrupted' });
    expect(existsSync(join(a.run, 'INTERRUPTED'))).toBe(true);
    expect(readRunInfo(b.run)?.state).toBe('running'); // ours: this process is alive
  });

  test('the old layout (real allure-results and html folders) becomes a run folder of its own and the latest, so upgrading loses nothing', () => {
    mkdirSync(join(dir, 'allure-results'));
    writeFileSync(join(dir, 'allure-results', 'old-result.json'), '{}');
    mkdirSync(join(dir, 'html'));
    writeFileSync(join(dir, 'html', 'index.html'), '<p>old</p>');
    mkdirSync(join(dir, '.run'));
    writePlan(campaignPaths(dir, { campaign: 'x' }), []);
    const migrated = latest()!;
    expect(migrated).toMatch(/runs\/\d{8}T\d{6}Z-previous$/);
    expect(readRunInfo(migrated)).toMatchObject({ state: 'complete', migrated: true });
    expect(readdirSync(join(dir, 'allure-results'))).toEqual(['old-result.json']);
    expect(readFileSync(join(dir, 'html', 'index.html'), 'utf8')).toBe('<p>old</p>');
  });

  test('keep: the option wins over $HIL_KEEP_RUNS, which wins over 10; nonsense is refused naming where it came from', () => {
    expect(keepRuns(undefined, {})).toBe(10);
    expect(keepRuns(undefined, { HIL_KEEP_RUNS: '3' })).toBe(3);
    expect(keepRuns(5, { HIL_KEEP_RUNS: '3' })).toBe(5);
    expect(() => keepRuns(undefined, { HIL_KEEP_RUNS: 'many' })).toThrow(/HIL_KEEP_RUNS=many: .* at least 1/);
    expect(() => keepRuns(0)).toThrow(/--keep 0/);
  });

  test('where symlinks are refused, latest is a pointer file naming the run', () => {
    mkdirSync(join(dir, 'runs', 'r1'), { recursive: true });
    writeFileSync(join(dir, 'latest'), 'runs/r1\n');
    expect(resolveLatest(dir)).toBe(join(dir, 'runs', 'r1'));
  });

  test('a temporary file of a worker killed mid-write is removed; whole results stay', () => {
    writeFileSync(join(dir, '.allure-write-3f1c.tmp'), '{"status":"pas');
    writeFileSync(join(dir, 'a-result.json'), '{}');
    removePartialResults(dir);
    expect(readdirSync(dir)).toEqual(['a-result.json']);
  });
});
