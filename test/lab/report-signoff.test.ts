// A sign-off over a lab: two jobs each ran part of one sign-off's matrix (one rig each, as two Pis
// would) with the real `hil signoff`, and sent their results home through a real redis-server;
// `hil report --lab` makes one sign-off page of both (every cell, maps inline, the verdict judged
// again over all of them) and one sign-off result in the merged Allure report instead of the jobs'
// partial ones. Headless Chromium reads the page.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { publishResults, type JobResultsMeta } from '../../src/lab/results.js';
import type { SignoffReport } from '../../src/signoff/report.js';
import { hil, ROOT } from '../cli/hil.js';
import { render, type RenderedPage } from '../helpers/browser.js';
import { startRedis, type RedisProc } from './redis-server.js';

const RIG = join(ROOT, 'rigs/twin-rp2040-sfu.yaml');
const V1 = join(ROOT, 'firmware/app-v1.page2bin');
const V2 = join(ROOT, 'firmware/app-v2.page2bin');

let server: RedisProc;
let redis: Redis;
let tmp: string;
let out: { exitCode: number; json: { runs: { signoffs: { name: string; verdict: string; page: string }[]; results: string }[] } };
let page: string;

/** One job's share of the matrix: the same sign-off name, one rig. */
async function signoffJob(name: string, rig: string): Promise<string> {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `name: lab-release\nrigs:\n  - ${rig}\npaths:\n  - { name: sfu v1 to v2, from: ${V1}, to: ${V2} }\ncuts:\n  - { mode: random, count: 30, seed: 3 }\nthreshold: { recovery: 80% }\n`,
  );
  const reports = join(tmp, name);
  const r = await hil(['signoff', file, '--reports', reports, '--json', '--workers', '0'], { timeoutMs: 240_000 });
  if (!r.stdout.trim().startsWith('{')) throw new Error(`hil signoff failed (exit ${r.exitCode}): ${r.stderr.slice(-3000)}`);
  return join(reports, 'signoff', 'allure-results');
}

function meta(rig: string, jobId: string, outcome: JobResultsMeta['outcome']): JobResultsMeta {
  const now = Date.now();
  return {
    runId: 'release-7',
    jobId,
    rig,
    host: `pi-${jobId}`,
    workerId: `w${jobId}`,
    kind: 'signoff-cell',
    campaign: 'signoff',
    attempt: 1,
    startedAt: now - 1000,
    finishedAt: now,
    outcome,
    summary: '',
  };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hilrig-lab-signoff-'));
  server = await startRedis();
  redis = new Redis({ host: server.host, port: server.port });
  const [good, bad] = await Promise.all([signoffJob('job-1', RIG), signoffJob('job-2', `{ rig: ${RIG}, variant: boot-unsigned-target }`)]);
  await publishResults(redis, server.lab(), meta('twin-rp2040-sfu', '1', 'passed'), good);
  await publishResults(redis, server.lab(), meta('twin-rp2040-sfu[boot-unsigned-target]', '2', 'failed'), bad);
  const r = await hil(['report', '--lab', server.labFile(), '--reports', join(tmp, 'reports'), '--json'], { timeoutMs: 240_000 });
  if (!r.stdout.trim().startsWith('{')) throw new Error(`hil report --lab failed (exit ${r.exitCode}): ${r.stderr.slice(-3000)}`);
  out = { exitCode: r.exitCode ?? -1, json: JSON.parse(r.stdout) as typeof out.json };
  page = out.json.runs[0]!.signoffs[0]!.page;
}, 600_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('hil report --lab: a sign-off run over two jobs', () => {
  it("one sign-off, judged over both jobs' cells: the seeded bug's cell fails it (exit 1)", () => {
    expect(out.exitCode).toBe(1);
    expect(out.json.runs[0]!.signoffs).toEqual([{ name: 'lab-release', verdict: 'fail', page: expect.stringMatching(/lab-release\/index\.html$/) }]);
    const report = JSON.parse(readFileSync(join(page, '..', 'signoff.json'), 'utf8')) as SignoffReport;
    expect(report.cells.map((c) => [c.rig, c.status]).sort()).toEqual([
      ['twin-rp2040-sfu', 'pass'],
      ['twin-rp2040-sfu[boot-unsigned-target]', 'fail'],
    ]);
    expect(report.totals).toMatchObject({ cells: 2, passed: 1, failed: 1 });
    expect(report.inventory.map((r) => r.rig).sort()).toEqual(['twin-rp2040-sfu', 'twin-rp2040-sfu[boot-unsigned-target]']);
  });

  it("the merged Allure results hold one sign-off result, not each job's partial one", () => {
    const results = out.json.runs[0]!.results;
    const signoffs = readdirSync(results)
      .filter((f) => f.endsWith('-result.json'))
      .map((f) => JSON.parse(readFileSync(join(results, f), 'utf8')) as { name: string; status: string; steps: unknown[] })
      .filter((r) => r.name.startsWith('sign-off '));
    expect(signoffs).toHaveLength(1);
    expect(signoffs[0]).toMatchObject({ name: 'sign-off lab-release', status: 'failed' });
    expect(signoffs[0]!.steps).toHaveLength(2);
  });

  it('the page shows the verdict, both rows of the matrix and both maps (headless Chromium)', async () => {
    const shown: RenderedPage = await render(page, {
      select: { verdict: '.verdict', cells: 'td.cell', maps: '.map svg' },
      timeoutMs: 120_000,
    });
    expect(shown.errors).toEqual([]);
    expect(shown.found.verdict![0]!.text).toBe('NOT SIGNED OFF');
    expect(shown.counts.cells).toBe(2);
    expect(shown.found.cells!.map((c) => c.data.status).sort()).toEqual(['fail', 'pass']);
    expect(shown.counts.maps).toBe(2);
    expect(shown.found.maps!.every((m) => m.box.height > 0)).toBe(true);
  });
});
