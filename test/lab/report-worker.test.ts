// The lab's results, end to end with no shortcut: a real `hil worker` serves two twin rigs from a
// real redis-server, `hil enqueue` queues a suite on both twice (two lab runs), the worker runs each
// job as `hil run` does and sends its results home, and `hil report --lab` drains them into one
// Allure report per run, with each rig's board carrying both runs in its history.
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisProc } from './redis-server.js';
import { startWorkerLab, stopWorkerLab } from './helpers/worker-lab.js';
import { HIL, LAB_RIGS } from './helpers/lab-workdir.js';
import { startWorker, type WorkerProc } from './helpers/worker-proc.js';
import { hil } from '../cli/hil.js';

jest.setTimeout(15 * 60_000);

const RIGS = ['lab-sfu-01', 'lab-sfu-02'];

let redis: RedisProc;
let labFile: string;
let workdir: string;
let worker: WorkerProc | undefined;

beforeAll(async () => {
  ({ redis, labFile, workdir } = await startWorkerLab());
});

afterAll(() => stopWorkerLab({ redis, workdir }, worker));

/** Queues the suite on both rigs; resolves with the run id once the worker has finished both jobs. */
async function labRun(): Promise<string> {
  const from = worker!.lines.length;
  const out = execFileSync(process.execPath, [HIL, 'enqueue', 'lab-sfu', '--rigs', 'lab-sfu-0*', '--lab', labFile, '--json'], { cwd: workdir, encoding: 'utf8' });
  const { runId, queued } = JSON.parse(out) as { runId: string; queued: { rig: string; id: string }[] };
  expect(queued.map((q) => q.rig).sort()).toEqual(RIGS);
  for (const q of queued) await worker!.waitLine(new RegExp(`rig ${q.rig}: job ${q.id.replace(/\./g, '\\.')} done: `), { from, safetyMs: 600_000 });
  return runId;
}

test('two lab runs through a real worker: hil report --lab makes one report per run, history per rig', async () => {
  worker = startWorker({ cwd: workdir, rigs: RIGS.map((r) => join(LAB_RIGS, `${r}.yaml`)).join(','), labFile, id: 'pi-r' });
  await worker.waitLine(/worker pi-r ready: 2 rig/);

  const first = await labRun();
  const reports = join(workdir, 'merged');
  const r1 = await hil(['report', '--lab', labFile, '--reports', reports, '--json'], { cwd: workdir, timeoutMs: 240_000 });
  expect(r1.stderr).not.toMatch(/warn|left in Redis/i);
  const j1 = JSON.parse(r1.stdout) as { drained: number; runs: { runId: string; report: string; results: string; jobs: { rig: string; host: string; outcome: string }[] }[] };
  expect(r1.exitCode).toBe(0);
  expect(j1.drained).toBe(2);
  expect(j1.runs.map((r) => r.runId)).toEqual([first]);
  expect(j1.runs[0]!.jobs.map((j) => [j.rig, j.outcome]).sort()).toEqual(RIGS.map((r) => [r, 'passed']));
  expect(existsSync(j1.runs[0]!.report)).toBe(true);
  // Both rigs' cut results, each labelled with the Pi that ran it.
  const results = readdirSync(j1.runs[0]!.results)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(j1.runs[0]!.results, f), 'utf8')) as { status: string; labels: { name: string; value: string }[] });
  const boards = results.map((r) => r.labels.find((l) => l.name === 'board serial')?.value);
  expect(new Set(boards)).toEqual(new Set(RIGS));
  expect(results.every((r) => r.status === 'passed' && r.labels.some((l) => l.name === 'host'))).toBe(true);

  const second = await labRun();
  expect(second).not.toBe(first);
  const r2 = await hil(['report', '--lab', labFile, '--reports', reports, '--json'], { cwd: workdir, timeoutMs: 240_000 });
  const j2 = JSON.parse(r2.stdout) as typeof j1;
  expect(j2.runs.map((r) => r.runId)).toEqual([second]);
  const history = JSON.parse(readFileSync(join(reports, 'history', 'lab.json'), 'utf8')) as { boards: Record<string, { runs: { totals: { tests: number; passed: number } }[] }> };
  for (const rig of RIGS) {
    expect(history.boards[rig]!.runs).toHaveLength(2);
    expect(history.boards[rig]!.runs.every((r) => r.totals.tests > 0 && r.totals.passed === r.totals.tests)).toBe(true);
  }
  // Allure's own history: the second report shows each cut's previous result.
  const html = readFileSync(j2.runs[0]!.report, 'utf8');
  const withHistory = [...html.matchAll(/d\("data\/test-results\/[0-9a-f]+\.json","([A-Za-z0-9+/=]+)"\)/g)].map(
    (m) => JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as { history: unknown[] },
  );
  expect(withHistory.length).toBeGreaterThan(0);
  expect(withHistory.every((r) => r.history.length === 1)).toBe(true);
});
