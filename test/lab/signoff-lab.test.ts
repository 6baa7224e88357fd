// A sign-off over a lab, end to end: a real `hil worker` serves two twin rigs from a real
// redis-server, `hil enqueue signoff` queues the applicable cells of the working directory's
// signoff.yaml whose rig the lab has (a third rig of the matrix no worker serves is skipped, said
// so), the worker runs each cell as `hil signoff` does under the rig's lease (the replay cell's
// hardware actions in the rig's event log carry the job's fencing token), and `hil report --lab`
// makes one sign-off page of all the cells with the verdict judged over them.
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLab } from '../../src/lab/config.js';
import { findDoubleBooking, readRigEvents } from '../../src/lab/exclusive-check.js';
import type { SignoffReport } from '../../src/signoff/report.js';
import type { RedisProc } from './redis-server.js';
import { startWorkerLab, stopWorkerLab } from './helpers/worker-lab.js';
import { HIL, LAB_RIGS, ROOT } from './helpers/lab-workdir.js';
import { startWorker, type WorkerProc } from './helpers/worker-proc.js';
import { hil } from '../cli/hil.js';

jest.setTimeout(15 * 60_000);

const FW = join(ROOT, 'firmware');
// Three rigs (lab-sfu-03 is not served: its cells are skipped), one sfu path, two modes: the sweep
// rig runs both (c1, c2), the replay rig only the time-based one (c3 n/a, c4), three cuts each way.
// A low threshold (50% at 80%: 2 cuts) so three recovered cuts pass a cell.
const SIGNOFF = `name: lab-release
rigs:
  - ${LAB_RIGS}/lab-sfu-01.yaml
  - { rig: ${LAB_RIGS}/lab-sfu-02.yaml, run: replay }
  - ${LAB_RIGS}/lab-sfu-03.yaml
paths:
  - { name: sfu v1 to v2, from: ${FW}/app-v1.page2bin, to: ${FW}/app-v2.page2bin }
cuts:
  - { mode: random, count: 12, seed: 3 }
  - { mode: range, trigger: after, from: 0ms, to: 400ms, step: 200ms }
threshold: { recovery: 50%, confidence: 80% }
expect: { safe: [updated, rolled-back] }
`;

let redis: RedisProc;
let labFile: string;
let workdir: string;
let worker: WorkerProc | undefined;

beforeAll(async () => {
  ({ redis, labFile, workdir } = await startWorkerLab());
  writeFileSync(join(workdir, 'signoff.yaml'), SIGNOFF);
});

afterAll(() => stopWorkerLab({ redis, workdir }, worker));

interface Enqueued {
  runId: string;
  signoff: { name: string };
  queued: { rig: string; suite: string; cell: string; id: string }[];
  skipped: { rig: string; suite: string; reason: string }[];
}

test('hil enqueue signoff over two twin rigs: the worker runs the cells, hil report --lab shows one sign-off page', async () => {
  worker = startWorker({ cwd: workdir, rigs: ['lab-sfu-01', 'lab-sfu-02'].map((r) => join(LAB_RIGS, `${r}.yaml`)).join(','), labFile, id: 'pi-s' });
  await worker.waitLine(/worker pi-s ready: 2 rig/);
  const from = worker.lines.length;

  const out = execFileSync(process.execPath, [HIL, 'enqueue', 'signoff', '--rigs', 'lab-sfu-*', '--lab', labFile, '--json'], { cwd: workdir, encoding: 'utf8' });
  const q = JSON.parse(out) as Enqueued;
  expect(q.signoff.name).toBe('lab-release');
  expect(q.queued.map((j) => [j.cell, j.rig]).sort()).toEqual([
    ['c1', 'lab-sfu-01'],
    ['c2', 'lab-sfu-01'],
    ['c4', 'lab-sfu-02'],
  ]);
  expect(q.skipped.map((s) => [s.suite, s.rig])).toEqual([
    ['lab-release c5', 'lab-sfu-03'],
    ['lab-release c6', 'lab-sfu-03'],
  ]);
  expect(q.skipped[0]!.reason).toMatch(/no worker registered it/);

  const done: Record<string, string> = {};
  for (const j of q.queued) {
    const line = await worker.waitLine(new RegExp(`rig ${j.rig}: job ${j.id.replace(/\./g, '\\.')} done: `), { from, safetyMs: 600_000 });
    done[j.cell] = line;
  }
  for (const line of Object.values(done)) expect(line).toMatch(/done: passed: sign-off lab-release cell c\d \(.*\): pass, 3 cuts|done: passed: sign-off lab-release cell c1 .*: pass, 12 cuts/);

  // The replay cell drove lab-sfu-02 through openRig under $HIL_LAB_FENCE: its actions carry the job's token.
  const c4 = q.queued.find((j) => j.cell === 'c4')!;
  const leased = worker.lines.slice(from).find((l) => l.includes(`job ${c4.id} leased: token `))!;
  const token = Number(/token (\d+)/.exec(leased)![1]);
  const events = readRigEvents(join(loadLab(labFile).state, 'events', 'lab-sfu-02.jsonl'));
  expect(events.filter((e) => e.token === token).length).toBeGreaterThan(0);
  expect(findDoubleBooking(events)).toEqual([]);

  const reports = join(workdir, 'merged');
  const r = await hil(['report', '--lab', labFile, '--reports', reports, '--json'], { cwd: workdir, timeoutMs: 240_000 });
  expect(r.stderr).not.toMatch(/left in Redis/i);
  const j = JSON.parse(r.stdout) as { runs: { runId: string; jobs: { rig: string; outcome: string }[]; signoffs: { name: string; verdict: string; page: string }[] }[] };
  expect(r.exitCode).toBe(0);
  expect(j.runs.map((run) => run.runId)).toEqual([q.runId]);
  expect(j.runs[0]!.jobs.map((job) => job.outcome)).toEqual(['passed', 'passed', 'passed']);
  expect(j.runs[0]!.signoffs).toEqual([{ name: 'lab-release', verdict: 'pass', page: expect.stringMatching(/lab-release\/index\.html$/) }]);
  const page = j.runs[0]!.signoffs[0]!.page;
  const report = JSON.parse(readFileSync(join(page, '..', 'signoff.json'), 'utf8')) as SignoffReport;
  expect(report.cells.map((c) => [c.rig, c.runner, c.mode, c.status]).sort()).toEqual([
    ['lab-sfu-01', 'sweep', 'random 12 ops (seed 3)', 'pass'],
    ['lab-sfu-01', 'sweep', 'range after 0..400 ms step 200', 'pass'],
    ['lab-sfu-02', 'replay', 'range after 0..400 ms step 200', 'pass'],
  ]);
  expect(report.totals).toMatchObject({ cells: 3, passed: 3, failed: 0 });
  const html = readFileSync(page, 'utf8');
  expect(html).toContain('<span class="verdict pass">SIGNED OFF</span>');
  expect(html).toContain('3 of 3 cells passed');
  for (const rig of ['lab-sfu-01', 'lab-sfu-02']) expect(html).toContain(rig);
});

test('bad input: no signoff.yaml, a name that cannot travel, --from, rigs of no cell, a worker whose signoff.yaml is another sign-off', async () => {
  const other = join(workdir, 'elsewhere');
  mkdirSync(other, { recursive: true });
  const enqueue = (...args: string[]) => hil(['enqueue', 'signoff', '--lab', labFile, ...args], { cwd: other, timeoutMs: 120_000 });

  let r = await enqueue('--rigs', '*');
  expect([r.exitCode, r.stderr]).toEqual([2, expect.stringMatching(/no signoff\.yaml in .*elsewhere: the lab's sign-off matrix/)]);

  writeFileSync(join(other, 'signoff.yaml'), SIGNOFF.replace('name: lab-release', '# a comment first\nname: lab release 2'));
  r = await enqueue('--rigs', '*');
  expect([r.exitCode, r.stderr]).toEqual([2, expect.stringMatching(/elsewhere\/signoff\.yaml:2: name: "lab release 2" cannot travel in a lab job/)]);

  writeFileSync(join(other, 'signoff.yaml'), SIGNOFF.replace('name: lab-release', 'name: other-release'));
  r = await enqueue('--rigs', '*', '--from', 'a'.repeat(64), '--to', 'b'.repeat(64));
  expect([r.exitCode, r.stderr]).toEqual([2, expect.stringMatching(/--from\/--to do not apply/)]);
  r = await enqueue('--rigs', 'lab-stm32-*');
  expect([r.exitCode, r.stderr]).toEqual([2, expect.stringMatching(/--rigs lab-stm32-\*: matches none of the rigs of sign-off other-release's cells \(lab-sfu-01, lab-sfu-02, lab-sfu-03\)/)]);

  // Queued from a host whose signoff.yaml is another sign-off: the worker refuses to guess (broken, said why).
  const from = worker!.lines.length;
  r = await enqueue('--rigs', 'lab-sfu-02', '--json');
  expect(r.exitCode).toBe(0);
  const q = JSON.parse(r.stdout) as Enqueued;
  expect(q.queued.map((j) => j.cell)).toEqual(['c4']);
  const line = await worker!.waitLine(new RegExp(`rig lab-sfu-02: job ${q.queued[0]!.id.replace(/\./g, '\\.')} broken: `), { from, safetyMs: 300_000 });
  expect(line).toMatch(/sign-off other-release: this worker's signoff\.yaml \(.*signoff\.yaml\) is sign-off lab-release/);
});
