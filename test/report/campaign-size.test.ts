// The report stays small with every detection suite exhaustive (issue 10 item 1): `hil run` over
// the detection suites (each with an every-op sweep over thousands of op states, beside its
// hand-picked cuts) makes an HTML report under 10 MB; before, 502 replayed cuts made 33 MB. And a
// sweep's result still carries what an engineer needs: its counts, the map and the failing points.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CutRecord } from '../../src/report/plan.js';
import { hil, ROOT } from '../cli/hil.js';

const LIMIT = 10 * 1024 * 1024;

interface AllureResult {
  name: string;
  status: string;
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string }[];
  steps: { name: string; attachments: { name: string; source: string; type: string }[] }[];
}

let tmp: string;
let reports: string;
let run: Awaited<ReturnType<typeof hil>>;

function dirSize(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? dirSize(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-campaign-size-'));
  reports = join(tmp, 'reports');
  const suites = readdirSync(join(ROOT, 'suites'))
    .filter((f) => /^detect-.*\.yaml$/.test(f))
    .map((f) => join(ROOT, 'suites', f));
  run = await hil(['run', ...suites, '--reports', reports], { timeoutMs: 1_700_000 });
}, 1_750_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('every detection suite has an every-op sweep, and the campaign makes an HTML report under 10 MB', () => {
  expect(run.stderr).toMatch(/report: /);
  const records = readFileSync(join(reports, '.run/results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CutRecord);
  const suites = new Set(records.map((r) => r.suite));
  const swept = new Set(records.filter((r) => r.kind === 'sweep').map((r) => r.suite));
  expect([...swept].sort()).toEqual([...suites].sort());
  // Thousands of points went into it.
  expect(records.filter((r) => r.kind === 'sweep').reduce((n, r) => n + (r.points ?? 0), 0)).toBeGreaterThan(20_000);
  const html = join(reports, 'html');
  expect(dirSize(html)).toBeLessThan(LIMIT);
});

it("a seeded bug's sweep result carries its counts, the resilience map and the failing points", () => {
  const dir = join(reports, 'allure-results');
  const results = readdirSync(dir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AllureResult);
  const r = results.find((x) => x.name.startsWith('sweep every-op/torn: ') && x.labels.some((l) => l.name === 'board' && l.value.includes('boot-unsigned-target')))!;
  expect(r).toBeDefined();
  const counts = r.parameters.filter((p) => p.name.startsWith('points '));
  expect(counts.reduce((n, p) => n + Number(p.value), 0)).toBe(Number(/: (\d+) points/.exec(r.name)![1]));
  const attachments = r.steps.flatMap((s) => s.attachments);
  expect(attachments.find((a) => a.name === 'resilience map')?.type).toBe('image/svg+xml');
  const list = attachments.find((a) => a.name === 'failing points')!;
  expect(readFileSync(join(dir, list.source), 'utf8')).toMatch(/failing windows \(\d+/);
});
