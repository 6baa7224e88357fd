// A suite's op sweep under hil run (issue 10 item 1): one Allure result per (sweep, cut mode) with
// its counts, the resilience map and the failing points; a result of its own (with its sweep-point
// repro record and hil sweep --point line) for a capped few failing points; a must-recover rig's
// failing points fail, a seeded-bug rig's are the catch; results.jsonl and the CLI summary count
// the points. The SFU twin's sign-before-flush bootloader fails at a few ops of every mode, run
// once as a must-recover rig and once as a seeded bug (with powerLoss: torn, which a sweep sets per
// point anyway, so that the summary tells the two entries apart).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { CutRecord } from '../../src/report/plan.js';
import { hil, ROOT } from '../cli/hil.js';

interface AllureResult {
  name: string;
  status: string;
  description?: string;
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string; excluded?: boolean }[];
  steps: { name: string; attachments: { name: string; source: string; type: string }[] }[];
}

let tmp: string;
let reports: string;
let run: Awaited<ReturnType<typeof hil>>;
let results: AllureResult[];
let records: CutRecord[];

const attachment = (r: AllureResult, name: string): { text: string; type: string } | undefined => {
  const a = r.steps.flatMap((s) => s.attachments).find((x) => x.name === name);
  return a && { text: readFileSync(join(reports, 'allure-results', a.source), 'utf8'), type: a.type };
};
const param = (r: AllureResult, name: string) => r.parameters.find((p) => p.name === name)?.value;
const tagged = (r: AllureResult, tag: string) => r.labels.some((l) => l.name === 'tag' && l.value === tag);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-sweep-results-'));
  const suite = join(tmp, 'op-sweep.yaml');
  writeFileSync(
    suite,
    [
      'name: op-sweep',
      'scheme: sfu-ab',
      `images: { from: ${join(ROOT, 'firmware/app-v1.page2bin')}, to: ${join(ROOT, 'firmware/app-v2.page2bin')} }`,
      'rigs:',
      `  - { rig: ${join(ROOT, 'rigs/twin-rp2040-sfu.yaml')}, variant: sign-before-flush, expect: recovers }`,
      `  - { rig: ${join(ROOT, 'rigs/twin-rp2040-sfu.yaml')}, variant: sign-before-flush, powerLoss: torn, expect: caught }`,
      'cuts:',
      '  offMs: 200',
      '  sweeps:',
      '    - { mode: every-op }',
      'expect:',
      '  safe: [updated, rolled-back]',
      '  caughtWhen: [waiting, bricked, wrong-image, boot-loop]',
    ].join('\n') + '\n',
  );
  reports = join(tmp, 'reports');
  run = await hil(['run', suite, '--reports', reports, '--json'], { timeoutMs: 900_000 });
  const dir = join(reports, 'allure-results');
  results = readdirSync(dir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AllureResult);
  records = readFileSync(join(reports, '.run/results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CutRecord);
}, 1_000_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('an every-op sweep in a suite', () => {
  it('exits 1: the must-recover rig has failing points; the seeded-bug rig catches its bug', () => {
    expect(run.exitCode).toBe(1);
    const detection = records.find((r) => r.kind === 'detection')!;
    expect(detection).toMatchObject({ outcome: 'caught', status: 'passed' });
  });

  it('is one result per (sweep, cut mode) per rig, carrying parameters, counts, the map and the failing points', () => {
    const sweeps = results.filter((r) => /^sweep every-op\/(before|after|torn): \d+ points$/.test(r.name));
    expect(sweeps).toHaveLength(6);
    for (const r of sweeps) {
      expect(r.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['rig', 'sweep', 'seed', 'image A sha256', 'image B sha256', 'failing points']));
      const points = Number(/: (\d+) points$/.exec(r.name)![1]);
      const counts = r.parameters.filter((p) => p.name.startsWith('points ')).reduce((n, p) => n + Number(p.value), 0);
      expect(counts).toBe(points);
      const failing = Number(param(r, 'failing points'));
      expect(failing).toBeGreaterThan(0);
      const seeded = tagged(r, 'seeded-bug');
      const map = attachment(r, 'resilience map');
      // Must-recover: every result with failing points has its map; a seeded bug's sweep has one map (below).
      if (!seeded) {
        expect(map?.type).toBe('image/svg+xml');
        expect(map?.text).toMatch(/<svg/);
      }
      // Every group's whole map is also written into the run's own folder (reports/runs/<id>/maps/).
      expect(readFileSync(param(r, 'map file')!, 'utf8')).toContain('<svg');
      expect(param(r, 'map file')).toContain(join(realpathSync(reports), 'runs'));
      expect(param(r, 'map file')).toContain(`${sep}maps${sep}`);
      expect(param(r, 'board')).toBeDefined();
      const list = attachment(r, 'failing points')!.text;
      expect(list).toContain(`${points} points, ${failing} failing`);
      expect(list).toContain('failing windows');
      expect(list).toMatch(/hil sweep --rig \S+ --variant sign-before-flush .*--mode every-op --modes (before|after|torn) --seed 1 --off-ms 200 --point OP:MODE/);
      // Must-recover: the failing points fail the sweep's result; seeded bug: they are the catch.
      expect(r.status).toBe(seeded ? 'passed' : 'failed');
    }
    const failed = sweeps.filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(3);
    const passed = sweeps.filter((r) => r.status === 'passed');
    expect(passed.filter((r) => attachment(r, 'resilience map'))).toHaveLength(1);
    expect(passed.filter((r) => param(r, 'resilience map')?.startsWith('in the result of sweep every-op/'))).toHaveLength(2);
  });

  it('gives a capped few failing points a result of their own with the repro record and the hil sweep --point line', () => {
    const points = results.filter((r) => /^sweep every-op\/\w+ op \d+ /.test(r.name));
    const pointRecords = records.filter((r) => r.kind === 'sweep-point');
    expect(points.length).toBe(pointRecords.length);
    for (const r of points) {
      const line = param(r, 'repro')!;
      expect(line).toMatch(/^hil sweep .* --point \d+:(before|after|torn)(:0\.\d+)?$/);
      const repro = JSON.parse(attachment(r, 'repro.json')!.text) as { kind: string; trigger: { op: number; mode: string; seed: number }; twin: { variant: string } };
      expect(repro).toMatchObject({ kind: 'sweep-point', twin: { variant: 'sign-before-flush' } });
      expect(line).toContain(`--point ${repro.trigger.op}:${repro.trigger.mode}`);
      expect(param(r, 'repro id')).toMatch(/^[0-9a-f]{8}$/);
    }
    // The seeded-bug rig: the first catching point of each (sweep, mode) stands for the rest.
    const caughtPoints = pointRecords.filter((r) => r.expect === 'caught');
    expect(caughtPoints.length).toBeLessThanOrEqual(3);
    expect(caughtPoints.every((r) => r.status === 'passed')).toBe(true);
    expect(pointRecords.filter((r) => r.expect === 'recovers').every((r) => r.status === 'failed' && r.reproId && r.repro.includes('--point'))).toBe(true);
  });

  it('results.jsonl has one record per sweep result, and the summary counts every point', () => {
    const sweepRecords = records.filter((r) => r.kind === 'sweep');
    expect(sweepRecords).toHaveLength(6);
    for (const r of sweepRecords) {
      expect(Object.values(r.counts!).reduce((a, b) => a + b, 0)).toBe(r.points);
      expect(Object.values(r.failingCounts!).reduce((a, b) => a + b, 0)).toBe(r.failing);
    }
    const summary = JSON.parse(run.stdout) as { rigs: { expect: string; cuts: number; outcomes: Record<string, number>; failed: number; caught?: boolean }[] };
    const total = sweepRecords.filter((r) => r.expect === 'recovers').reduce((n, r) => n + r.points!, 0);
    const recovers = summary.rigs.find((s) => s.expect === 'recovers')!;
    expect(recovers.cuts).toBe(total);
    expect(recovers.failed).toBeGreaterThan(0);
    expect(summary.rigs.find((s) => s.expect === 'caught')).toMatchObject({ cuts: total, caught: true, failed: 0 });
  });
});

describe('range, random and double sweeps in a suite', () => {
  let other: Awaited<ReturnType<typeof hil>>;
  let otherRecords: CutRecord[];

  beforeAll(async () => {
    const suite = join(tmp, 'modes.yaml');
    writeFileSync(
      suite,
      [
        'name: modes',
        'scheme: sfu-ab',
        `images: { from: ${join(ROOT, 'firmware/app-v1.page2bin')}, to: ${join(ROOT, 'firmware/app-v2.page2bin')} }`,
        `rigs: [{ rig: ${join(ROOT, 'rigs/twin-rp2040-sfu.yaml')}, expect: recovers }]`,
        'cuts:',
        '  offMs: 200',
        '  sweeps:',
        '    - { mode: every-op, cut: [torn], torn: 2 }',
        '    - { mode: range, trigger: after, from: 0ms, to: 2s, step: 100ms }',
        '    - { mode: random, count: 50, seed: 7 }',
        '    - { mode: double, first: { sample: 3 }, second: { sample: 3 } }',
      ].join('\n') + '\n',
    );
    const dir = join(tmp, 'modes-reports');
    other = await hil(['run', suite, '--reports', dir, '--no-html', '--json'], { timeoutMs: 600_000 });
    otherRecords = readFileSync(join(dir, '.run/results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CutRecord);
  }, 700_000);

  it('each runs on the engine as one result, with its own hil sweep line', () => {
    expect(other.exitCode).toBe(0);
    const sweeps = otherRecords.filter((r) => r.kind === 'sweep');
    expect(sweeps.map((r) => [r.trigger, r.status])).toEqual([
      ['every-op/torn', 'passed'],
      ['range after 0..2000 step 100', 'passed'],
      ['random 50', 'passed'],
      ['double', 'passed'],
    ]);
    expect(sweeps[0]!.points).toBe(2 * 645);
    expect(sweeps[1]!.points).toBe(21);
    expect(sweeps[2]!.points).toBe(50);
    expect(sweeps.map((r) => r.repro.replace(/^.* --mode /, '--mode '))).toEqual([
      '--mode every-op --modes torn --torn 2 --seed 1 --off-ms 200',
      '--mode range --trigger after:0ms..2000ms --step 100ms --seed 1 --off-ms 200',
      '--mode random --count 50 --seed 7 --off-ms 200',
      '--mode double --sample 3/3 --seed 1 --off-ms 200',
    ]);
  });
});
