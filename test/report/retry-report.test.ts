// A retried cut in what `hil run` leaves (issue 12 item 2): a tiny loader-app suite with retry: 2, one
// rig entry taking the suite's retry and one overriding it with retry: 0. The retried cut's Allure
// result (retry parameter, the chain, a step per retry with the update and what each source said),
// its results.jsonl record (firstOutcome, retries), the terminal summary table, the failure of the
// entry without retries, and `hil repro` replaying the retried cut with its retry. JUnit's and the
// summary's text for a retried failing cut are checked on records (no twin bug leaves a retry failing).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CutRecord } from '../../src/report/plan.js';
import { junitXml } from '../../src/report/junit.js';
import { summarizeRecords } from '../../src/report/summary.js';
import { hil, ROOT } from '../cli/hil.js';

interface Step {
  name: string;
  status: string;
  steps: Step[];
  parameters?: { name: string; value: string }[];
}
interface AllureResult {
  name: string;
  status: string;
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string; excluded?: boolean }[];
  steps: Step[];
}

const tmp = mkdtempSync(join(tmpdir(), 'hil-retry-report-'));
const reports = join(tmp, 'reports');
const rig = join(ROOT, 'rigs/twin-stm32f429-loader-app.yaml');
let run: Awaited<ReturnType<typeof hil>>;
let results: AllureResult[];
let records: CutRecord[];

beforeAll(async () => {
  const suite = join(tmp, 'retried.yaml');
  writeFileSync(
    suite,
    [
      'name: retried',
      'scheme: loader-app',
      'setup: factory',
      `images: { from: ${join(ROOT, 'firmware/fwup-app-v1.bin')}, to: ${join(ROOT, 'firmware/fwup-app-v2.bin')} }`,
      'retry: 2',
      'rigs:',
      `  - ${rig}`,
      `  - { rig: ${rig}, powerLoss: torn, retry: 0 }`,
      'cuts:',
      '  offMs: 200',
      '  points: [progress:50%]',
      '  sweeps: [{ mode: random, count: 6, seed: 1 }]',
      'expect:',
      '  safe: [updated]',
    ].join('\n') + '\n',
  );
  run = await hil(['run', suite, '--reports', reports, '--no-html'], { timeoutMs: 240_000 });
  const dir = realpathSync(join(reports, 'allure-results'));
  results = readdirSync(dir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AllureResult);
  records = readFileSync(join(reports, '.run/results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CutRecord);
}, 260_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const board = (r: AllureResult) => r.labels.find((l) => l.name === 'board')?.value;
const param = (r: AllureResult, name: string) => r.parameters.find((p) => p.name === name);

describe('hil run: a retried cut and one the entry does not retry', () => {
  it('exits 1: the entry with retry: 0 stays waiting, which the suite does not accept', () => {
    expect(run.exitCode).toBe(1);
    const cuts = records.filter((r) => r.kind === 'cut').sort((a, b) => a.rig.localeCompare(b.rig));
    expect(cuts).toHaveLength(2);
    expect(cuts.map((r) => [r.rig, r.outcome, r.status, r.firstOutcome, r.retries])).toEqual([
      ['twin-stm32f429-loader-app', 'updated', 'passed', 'waiting', [{ attempt: 1, outcome: 'updated' }]],
      ['twin-stm32f429-loader-app[torn-loss]', 'waiting', 'failed', undefined, undefined],
    ]);
  });

  it('the retried cut in Allure: retry parameter, the chain, the retried tag, a step per retry', () => {
    const r = results.find((x) => board(x) === 'twin-stm32f429-loader-app' && x.name.startsWith('cut 01'))!;
    expect(r.status).toBe('passed');
    expect(param(r, 'retry')?.value).toBe('2');
    expect(param(r, 'retries')).toEqual({ name: 'retries', value: 'waiting → retry 1 → updated', excluded: true });
    expect(r.labels).toContainEqual({ name: 'tag', value: 'retried' });
    const cut = r.steps.find((s) => s.name.startsWith('cut at progress:50%'))!;
    const names = r.steps.map((s) => s.name);
    const first = names.findIndex((n) => n.startsWith('after the recovery: waiting'));
    expect(first).toBeGreaterThan(names.indexOf(cut.name));
    expect(names[first]).toBe('after the recovery: waiting (console says waiting, flash says waiting); retrying');
    const retry = r.steps[first + 1]!;
    expect(retry.name).toBe('retry 1: the same update again -> updated');
    expect(retry.status).toBe('passed');
    expect(retry.parameters).toContainEqual(expect.objectContaining({ name: 'outcome', value: 'updated' }));
    expect(retry.steps.map((s) => s.name)).toEqual(['update: 213044/213044 bytes', 'console says: updated (2.0.0 from slot slot2)', 'flash says: updated']);
    // The final steps are the last retry's.
    expect(names).toContain('verdict: updated (expected one of updated)');
  });

  it('the entry without retries: no retry parameter, failed, the message says waiting', () => {
    const r = results.find((x) => board(x) === 'twin-stm32f429-loader-app[torn-loss]' && x.name.startsWith('cut 01'))!;
    expect(r.status).toBe('failed');
    expect(param(r, 'retry')).toBeUndefined();
    expect(r.steps.some((s) => s.name.startsWith('retry '))).toBe(false);
  });

  it("an op sweep judges its points after the entry's retries: every point updated on the retried entry, each counted by chain", () => {
    const sweep = (rig: string) => records.find((r) => r.kind === 'sweep' && r.rig === rig)!;
    expect(sweep('twin-stm32f429-loader-app')).toMatchObject({ points: 6, counts: { updated: 6 }, failing: 0, status: 'passed' });
    expect(sweep('twin-stm32f429-loader-app[torn-loss]').status).toBe('failed');
    const r = results.find((x) => board(x) === 'twin-stm32f429-loader-app' && x.name.startsWith('sweep random'))!;
    const chains = r.parameters.filter((p) => p.name.startsWith('points ') && p.name.includes('→'));
    expect(chains.length).toBeGreaterThan(0);
    expect(chains.every((p) => / → retry 1 → updated$/.test(p.name))).toBe(true);
  });

  it('the terminal summary counts the chain', () => {
    // The replayed cut and the six sweep points.
    expect(run.stdout + run.stderr).toContain('updated:7 (7× waiting → retry 1 → updated)');
  });

  it('hil repro replays the retried cut with its retry and sees updated; its hil cut line carries --retry 2', async () => {
    const rec = records.find((r) => r.kind === 'cut' && r.status === 'passed' && r.rig === 'twin-stm32f429-loader-app')!;
    expect(rec.repro).toMatch(/ --retry 2$/);
    const r = await hil(['repro', rec.reproId!, '--results', join(reports, 'allure-results'), '--json'], { timeoutMs: 120_000 });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'cut', recorded: 'updated', seen: ['updated'], ok: true });
    expect((JSON.parse(r.stdout) as { cutLine: string }).cutLine).toMatch(/^hil cut .* --retry 2$/);
  });
});

describe('a retried cut that still fails, in JUnit and the summary (records)', () => {
  const rec: CutRecord = {
    kind: 'cut',
    suite: 's',
    rig: 'r',
    expect: 'recovers',
    test: 'cut 01: progress:50%',
    trigger: 'progress:50%',
    outcome: 'waiting',
    firstOutcome: 'waiting',
    retries: [
      { attempt: 1, outcome: 'waiting', error: 'the device answered WRERROR' },
      { attempt: 2, outcome: 'waiting' },
    ],
    status: 'failed',
    repro: 'hil cut --rig r --retry 2',
  };

  it("JUnit's failure says how the outcome came about", () => {
    const xml = junitXml([rec], { safe: () => ['updated'], timestamp: new Date(0), hostname: 'h' });
    expect(xml).toContain('seen waiting (waiting → retry 1 (failed) → waiting → retry 2 → waiting)');
  });

  it('the summary table counts it by its chain', () => {
    expect(summarizeRecords([rec]).table).toContain('waiting:1 (1× waiting → retry 1 (failed) → waiting → retry 2 → waiting)');
  });
});
