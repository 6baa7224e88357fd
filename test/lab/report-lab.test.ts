// `hil report --lab` end to end: real `hil run`s of a tiny twin suite (one job per rig, as a
// worker runs them: a correct rig and one whose seeded bug fails the cut) send their Allure results
// through a real redis-server (publishResults, as hil worker does), with an interrupted attempt in
// between; `hil report --lab` drains them and makes one Allure report per lab run. Two lab runs
// give each rig's board a history: hilrig's (what changed) and Allure's, which headless Chromium
// shows on the failing rig's result. Building a run again never adds a second history point.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { resultsKey } from '../../src/lab/keys.js';
import { publishResults, type JobResultsMeta } from '../../src/lab/results.js';
import { hil, ROOT } from '../cli/hil.js';
import { render, type RenderedPage } from '../helpers/browser.js';
import { startRedis, type RedisProc } from './redis-server.js';

const GOOD = 'twin-rp2040-sfu';
const BAD = 'twin-rp2040-sfu-bug-sign-before-flush';

interface ReportJson {
  drained: number;
  runs: { runId: string; campaign: string; report: string | null; results: string; tests: number; jobs: (JobResultsMeta & { dropped: string[] })[] }[];
}

interface AllureResult {
  uuid: string;
  name: string;
  status: string;
  historyId: string;
  statusDetails?: { message?: string };
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string }[];
}

let server: RedisProc;
let redis: Redis;
let tmp: string;
let labFile: string;
let suite: string;
const reports = () => join(tmp, 'reports');

/** One rig's job as a worker runs it: `hil run` of the suite on that rig, in the job's own reports folder. */
async function runJob(rig: string, name: string): Promise<string> {
  const r = await hil(['run', suite, '--rig', join(ROOT, 'rigs', `${rig}.yaml`), '--reports', join(tmp, name), '--no-html', '--json'], { timeoutMs: 240_000 });
  if (!r.stdout.trim().startsWith('{')) throw new Error(`hil run on ${rig} failed (exit ${r.exitCode}): ${r.stderr.slice(-3000)}`);
  return (JSON.parse(r.stdout) as { results: string }).results;
}

/** Job times on a fixed calendar, one second apart per record made: later records are later, as a lab's are. */
const FIRST_JOB_AT = Date.parse('2026-12-01T02:00:00Z');
let jobsMade = 0;

function meta(runId: string, rig: string, over: Partial<JobResultsMeta>): JobResultsMeta {
  const now = FIRST_JOB_AT + 2000 * ++jobsMade;
  return {
    runId,
    jobId: `${runId}-${rig}`,
    rig,
    host: rig === GOOD ? 'pi-1' : 'pi-2',
    workerId: rig === GOOD ? 'w1' : 'w2',
    kind: 'suite',
    suite: 'lab-look',
    campaign: 'lab-nightly',
    attempt: 1,
    startedAt: now - 1000,
    finishedAt: now,
    outcome: 'passed',
    summary: '',
    ...over,
  };
}

async function report(...args: string[]): Promise<{ exitCode: number; json: ReportJson; stderr: string }> {
  const r = await hil(['report', '--lab', labFile, '--reports', reports(), '--json', ...args], { timeoutMs: 240_000 });
  if (!r.stdout.trim().startsWith('{')) throw new Error(`hil report --lab failed (exit ${r.exitCode}): ${r.stderr.slice(-3000)}`);
  return { exitCode: r.exitCode ?? -1, json: JSON.parse(r.stdout) as ReportJson, stderr: r.stderr };
}

function allureResults(dir: string): AllureResult[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AllureResult);
}

/** The report's own test results, embedded in the single-file HTML as `d("data/test-results/ID.json","BASE64")`. */
function reportResults(html: string): { id: string; name: string; status: string; history: { status: string }[]; labels: { name: string; value: string }[] }[] {
  return [...html.matchAll(/d\("data\/test-results\/([0-9a-f]+)\.json","([A-Za-z0-9+/=]+)"\)/g)].map((m) => ({
    id: m[1]!,
    ...(JSON.parse(Buffer.from(m[2]!, 'base64').toString('utf8')) as { name: string; status: string; history: { status: string }[]; labels: { name: string; value: string }[] }),
  }));
}

const board = (r: { labels: { name: string; value: string }[] }) => r.labels.find((l) => l.name === 'board serial')?.value;

let first: Awaited<ReturnType<typeof report>>;
let second: Awaited<ReturnType<typeof report>>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hilrig-lab-report-'));
  server = await startRedis();
  labFile = server.labFile();
  redis = new Redis({ host: server.host, port: server.port });
  suite = join(tmp, 'lab-look.yaml');
  writeFileSync(
    suite,
    [
      'name: lab-look',
      'scheme: sfu-ab',
      `images: { from: ${join(ROOT, 'firmware/app-v1.page2bin')}, to: ${join(ROOT, 'firmware/app-v2.page2bin')} }`,
      'rigs:',
      `  - { rig: ${join(ROOT, `rigs/${GOOD}.yaml`)}, expect: recovers }`,
      `  - { rig: ${join(ROOT, `rigs/${BAD}.yaml`)}, expect: recovers }`,
      'cuts:',
      '  offMs: 200',
      '  points: [after:3000ms]',
      'expect:',
      '  safe: [updated, rolled-back]',
    ].join('\n') + '\n',
  );
  const lab = server.lab();
  // Lab run 1: the bad rig's first attempt died mid-job (its worker killed), the second ran.
  const [good1, bad1] = await Promise.all([runJob(GOOD, 'w1-a'), runJob(BAD, 'w2-a')]);
  await publishResults(redis, lab, meta('night-1', GOOD, { summary: '1 passed' }), good1);
  await publishResults(redis, lab, meta('night-1', BAD, { outcome: 'interrupted', summary: 'interrupted in phase running: its worker stopped answering (attempt 1)' }));
  await publishResults(redis, lab, meta('night-1', BAD, { attempt: 2, outcome: 'failed', summary: '1 failed' }), bad1);
  first = await report();
  // Lab run 2: both rigs again, real runs again.
  const [good2, bad2] = await Promise.all([runJob(GOOD, 'w1-b'), runJob(BAD, 'w2-b')]);
  await publishResults(redis, lab, meta('night-2', GOOD, { summary: '1 passed' }), good2);
  await publishResults(redis, lab, meta('night-2', BAD, { outcome: 'failed', summary: '1 failed' }), bad2);
  second = await report();
}, 600_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('hil report --lab: one lab run', () => {
  it('drains every job from Redis into one run, and exits 1 for the failed cut', async () => {
    expect(first.exitCode).toBe(1);
    expect(first.json.drained).toBe(3);
    expect(first.json.runs.map((r) => r.runId)).toEqual(['night-1']);
    expect(first.json.runs[0]!.jobs.map((j) => [j.rig, j.attempt, j.outcome])).toEqual([
      [GOOD, 1, 'passed'],
      [BAD, 1, 'interrupted'],
      [BAD, 2, 'failed'],
    ]);
    expect(first.json.runs[0]!.tests).toBe(2);
    expect(await redis.xlen(resultsKey('hil'))).toBe(0);
  });

  it("merges every job's Allure results, each labelled with its host, and shows the interrupted attempt as broken", () => {
    const results = allureResults(first.json.runs[0]!.results);
    const cuts = results.filter((r) => r.name === 'cut 01: after:3000ms');
    expect(cuts.map((r) => [board(r), r.status, r.labels.find((l) => l.name === 'host')?.value]).sort()).toEqual(
      [
        [GOOD, 'passed', 'pi-1'],
        [BAD, 'failed', 'pi-2'],
      ].sort(),
    );
    const broken = results.filter((r) => r.status === 'broken');
    expect(broken).toHaveLength(1);
    expect(broken[0]!.name).toBe(`job night-1-${BAD} (lab-look on ${BAD}) interrupted, attempt 1`);
    expect(broken[0]!.statusDetails?.message).toMatch(/^interrupted in phase running: its worker stopped answering \(attempt 1\) \(worker w2 on pi-2\)\. Not a device result/);
    expect(board(broken[0]!)).toBe(BAD);
    expect(existsSync(first.json.runs[0]!.report!)).toBe(true);
  });
});

describe('hil report --lab: two lab runs, history per rig', () => {
  let run2: ReportJson['runs'][number];
  let html: string;
  beforeAll(() => {
    run2 = second.json.runs[0]!;
    html = readFileSync(run2.report!, 'utf8');
  });

  it('keeps each board\'s runs in hilrig\'s history: two per rig, the bad rig "still failing"', () => {
    expect(second.json.runs.map((r) => r.runId)).toEqual(['night-2']);
    const history = JSON.parse(readFileSync(join(reports(), 'history', 'lab-nightly.json'), 'utf8')) as { boards: Record<string, { runs: { totals: { passed: number; failed: number } }[] }> };
    expect(Object.keys(history.boards).sort()).toEqual([GOOD, BAD].sort());
    expect(history.boards[GOOD]!.runs.map((r) => r.totals.passed)).toEqual([1, 1]);
    expect(history.boards[BAD]!.runs.map((r) => r.totals.failed)).toEqual([1, 1]);
    expect(readFileSync(join(reports(), 'lab', 'runs', 'night-2', 'what-changed.txt'), 'utf8')).toMatch(/still failing \(1\)/);
  });

  it("gives every cut in the merged report its own rig's history (Allure's, keyed by board)", () => {
    const cuts = reportResults(html).filter((r) => r.name === 'cut 01: after:3000ms');
    expect(cuts.map((r) => [board(r), r.status, r.history.map((h) => h.status)]).sort()).toEqual(
      [
        [GOOD, 'passed', ['passed']],
        [BAD, 'failed', ['failed']],
      ].sort(),
    );
  });

  it('building a run again replaces its history point, never adds one', async () => {
    const lines = () =>
      readFileSync(join(reports(), 'history', 'lab-nightly.allure.jsonl'), 'utf8')
        .trim()
        .split('\n').length;
    expect(lines()).toBe(2);
    const again = await report('--run', 'night-2');
    expect(again.json.drained).toBe(0);
    expect(lines()).toBe(2);
    const history = JSON.parse(readFileSync(join(reports(), 'history', 'lab-nightly.json'), 'utf8')) as { boards: Record<string, { runs: unknown[] }> };
    expect(history.boards[BAD]!.runs).toHaveLength(2);
    const cuts = reportResults(readFileSync(again.json.runs[0]!.report!, 'utf8')).filter((r) => r.name === 'cut 01: after:3000ms');
    expect(cuts.every((r) => r.history.length === 1)).toBe(true);
  }, 240_000);

  it("shows the failing rig's previous run in the result's History tab (headless Chromium)", async () => {
    const bad = reportResults(html).find((r) => r.name === 'cut 01: after:3000ms' && board(r) === BAD)!;
    // The History tab's own route (clicking the tab rewrites the URL, which a file:// page copied by the helper may not do).
    const page: RenderedPage = await render(run2.report!, {
      hash: `#/${bad.id}/history`,
      waitFor: '[data-testid=test-result-history-item]',
      actions: [{ settleMs: 1000 }],
      select: { items: '[data-testid=test-result-history-item]', title: '[data-testid=test-result-info-title]', tab: '[data-testid=test-result-tab-history]' },
      timeoutMs: 120_000,
    });
    expect(page.errors).toEqual([]);
    expect(page.waits?.every((w) => w.matched)).toBe(true);
    expect(page.found.title?.[0]?.text).toBe('cut 01: after:3000ms');
    expect(page.counts.items).toBe(1);
    expect(page.found.items![0]!.box.height).toBeGreaterThan(0);
  }, 180_000);
});

describe('hil report: bad input', () => {
  it('without --lab: exit 2, saying what it reports', async () => {
    const r = await hil(['report']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/hil report reports a lab's results: hil report --lab \[FILE\]/);
  });

  it('a lab file with a bad field: exit 2, naming file, line and field', async () => {
    const bad = join(tmp, 'bad-lab.yaml');
    writeFileSync(bad, 'redis:\n  host: 127.0.0.1\n  port: seventy\n');
    const r = await hil(['report', '--lab', bad, '--reports', reports()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${bad}:3`);
    expect(r.stderr).toMatch(/port/);
  });

  it('a Redis nobody answers on: exit 2 (the lab file points nowhere), naming host and port', async () => {
    const down = await startRedis();
    const file = down.labFile();
    await down.stop();
    const r = await hil(['report', '--lab', file, '--reports', reports()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`127.0.0.1:${down.port}`);
    expect(r.stderr).toMatch(/connection refused/);
  });

  it('--run with no such run: exit 2', async () => {
    const r = await hil(['report', '--lab', labFile, '--reports', reports(), '--run', 'night-9']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--run night-9: no job of this run in Redis nor in/);
  });
});
