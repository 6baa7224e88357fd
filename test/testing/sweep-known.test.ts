// A suite's known weaknesses (`expect.known`) under hil run (issue 10 item 3): a must-recover rig's
// op sweep point that a known entry explains is reported as known (its own count, the reason and
// ref in the sweep's result and results.jsonl, its own outcome in the CLI summary), never failing;
// an entry that matched no point is a "known weakness not seen" warning, never a failure; without
// the entry the same point fails the run. The point: the correct MCUboot reverting a crashing TEST
// image, its swap's final copy_done write (0x72FE0) torn (marker edge 567 = op 566, the finding of
// hil detect; the range sweep's torn point at that op is the detect point, seed 1).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CutRecord } from '../../src/report/plan.js';
import type { SweepRecordWithKnown } from '../../src/report/sweep-summary.js';
import { hil, ROOT } from '../cli/hil.js';

interface AllureResult {
  name: string;
  status: string;
  description?: string;
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string }[];
  steps: { name: string; attachments: { name: string; source: string }[] }[];
}

const COPY_DONE = '      - { outcome: boot-loop, cut: torn, op: { kind: program, address: 0x72FE0 }, reason: torn copy_done reads as BOOT_FLAG_BAD, ref: "mcuboot#1966" }';
const ELSEWHERE = '      - { outcome: bricked, op: { kind: erase, address: 0x7F000 }, reason: a scratch erase torn (never seen here) }';

function suiteText(known: string[]): string {
  return (
    [
      'name: known-weakness',
      'scheme: mcuboot-swap',
      'setup: test',
      `images: { from: ${join(ROOT, 'firmware/mcuboot-app-v1.signed.bin')}, to: ${join(ROOT, 'firmware/mcuboot-app-v2-crashes.signed.bin')} }`,
      'rigs:',
      `  - { rig: ${join(ROOT, 'rigs/twin-nrf52840-mcuboot.yaml')}, expect: recovers }`,
      'cuts:',
      '  offMs: 200',
      '  sweeps:',
      '    - { mode: range, trigger: marker, from: 567, to: 567, step: 1 }',
      'expect:',
      '  safe: [rolled-back]',
      '  caughtWhen: [waiting, bricked, wrong-image, boot-loop, updated]',
      '  bootLoopCycles: 1',
      ...(known.length ? ['  known:', ...known] : []),
    ].join('\n') + '\n'
  );
}

interface Run {
  exitCode: number | undefined;
  stdout: string;
  results: AllureResult[];
  records: SweepRecordWithKnown[];
  reports: string;
}

let tmp: string;
async function runSuite(name: string, known: string[]): Promise<Run> {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, suiteText(known));
  const reports = join(tmp, name);
  const r = await hil(['run', file, '--reports', reports, '--no-html'], { timeoutMs: 600_000 });
  const dir = join(reports, 'allure-results');
  const results = readdirSync(dir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AllureResult);
  const records = readFileSync(join(reports, '.run/results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CutRecord);
  return { exitCode: r.exitCode, stdout: `${r.stdout}\n${r.stderr}`, results, records, reports };
}

let withKnown: Run;
let without: Run;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-sweep-known-'));
  [withKnown, without] = await Promise.all([runSuite('known', [COPY_DONE, ELSEWHERE]), runSuite('unknown', [ELSEWHERE])]);
}, 700_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sweepRecord = (r: Run) => r.records.find((x) => x.kind === 'sweep')!;

describe('expect.known under hil run', () => {
  it('the known point is known, not failing: exit 0, its own count and outcome, the reason and ref in the result', () => {
    expect(withKnown.exitCode).toBe(0);
    const rec = sweepRecord(withKnown);
    expect(rec).toMatchObject({ status: 'passed', outcome: 'known', failing: 0, known: 1, knownCounts: { 'boot-loop': 1 }, counts: { 'boot-loop': 1 } });
    expect(rec.message).toMatch(/torn copy_done reads as BOOT_FLAG_BAD \(mcuboot#1966\)/);
    // The CLI summary counts it under its own outcome.
    expect(withKnown.stdout).toMatch(/known boot-loop:1/);
    const result = withKnown.results.find((r) => /^sweep range marker 567\.\.567 step 1: \d+ points$/.test(r.name))!;
    expect(result.status).toBe('passed');
    expect(result.parameters.find((p) => p.name === 'known points')?.value).toBe('1');
    expect(result.labels).toContainEqual({ name: 'tag', value: 'known weakness' });
    const a = result.steps.flatMap((s) => s.attachments).find((x) => x.name === 'known points')!;
    const text = readFileSync(join(withKnown.reports, 'allure-results', a.source), 'utf8');
    expect(text).toMatch(/expect\.known\[0\]: torn copy_done reads as BOOT_FLAG_BAD \[mcuboot#1966\]\n {2}566:torn:\S+\s+boot-loop/);
    expect(text).toMatch(/replay a point: hil sweep .* --point OP:MODE/);
  });

  it('an entry that matched nothing is a "known weakness not seen" warning (a passed result), never a failure', () => {
    const unseen = withKnown.results.filter((r) => r.name.startsWith('known weakness not seen'));
    expect(unseen.map((r) => [r.name, r.status])).toEqual([['known weakness not seen: expect.known[1] (bricked, erase @0x7F000)', 'passed']]);
    expect(unseen[0]!.description).toMatch(/If its fix has landed, remove the entry/);
  });

  it('without the entry the same point fails the run (exit 1)', () => {
    expect(without.exitCode).toBe(1);
    expect(sweepRecord(without)).toMatchObject({ status: 'failed', outcome: 'failing', failing: 1, failingCounts: { 'boot-loop': 1 } });
    expect(sweepRecord(without).known).toBeUndefined();
  });
});
