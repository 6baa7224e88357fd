// The repro record's id and how a record is found again in an Allure results folder, on hand-made
// result files (the end-to-end path through hil run is test/cli/repro.test.ts).
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, cutReproRecord, reproId, type ReproRecord } from '../../src/report/repro-record.js';
import { checkRecord, findReproIds, reproFromFile, reproFromId } from '../../src/report/repro-find.js';
import { failureReport } from '../../src/report/summary.js';
import { consoleTail } from '../../src/report/cut-summary.js';
import type { CutRecord } from '../../src/report/plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'hil-repro-record-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const record: ReproRecord = {
  version: 1,
  kind: 'cut',
  rig: { name: 'twin-rp2040-sfu', file: 'rigs/twin-rp2040-sfu.yaml' },
  twin: { variant: 'correct', powerLoss: 'random', timeFactor: 0 },
  images: { from: { file: 'firmware/app-v1.page2bin', sha256: '1'.repeat(64) }, to: { file: 'firmware/app-v2.page2bin', sha256: '2'.repeat(64) } },
  setup: 'default',
  trigger: 'progress:37%',
  offMs: 200,
  seed: 3,
  expected: ['updated', 'rolled-back'],
  seen: 'bricked',
};

/** An Allure result with the record attached the way allure-js-commons 3 does it (an attachment in a step of its own). */
function writeResult(dir: string, uuid: string, r: ReproRecord | undefined, extra: { stop?: number; status?: string; transcript?: string; summary?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  const steps: object[] = [];
  const attach = (name: string, text: string, type: string) => {
    const source = `${uuid}-${name.replace(/\W/g, '')}-attachment.txt`;
    writeFileSync(join(dir, source), text);
    steps.push({ name, steps: [], attachments: [{ name, source, type }] });
  };
  if (extra.summary !== undefined) attach('summary', extra.summary, 'text/plain');
  if (extra.transcript !== undefined) attach('console transcript', extra.transcript, 'text/plain');
  if (r) attach('repro.json', JSON.stringify(r), 'application/json');
  const file = join(dir, `${uuid}-result.json`);
  writeFileSync(
    file,
    JSON.stringify({
      uuid,
      name: 'cut 01: progress:37%',
      status: extra.status ?? 'failed',
      stop: extra.stop ?? 1000,
      parameters: [{ name: 'rig', value: 'twin-rp2040-sfu' }, ...(r ? [{ name: 'repro id', value: reproId(r), excluded: true }] : [])],
      attachments: [],
      steps,
    }),
  );
  return file;
}

describe('reproId', () => {
  test('8 hex digits of the canonical JSON: the same whatever the key order, another for any changed field', () => {
    const id = reproId(record);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(record).reverse()))) as ReproRecord;
    expect(reproId(reordered)).toBe(id);
    expect(canonicalJson({ b: 1, a: { d: 2, c: undefined } })).toBe('{"a":{"d":2},"b":1}');
    for (const changed of [{ seed: 4 }, { offMs: 201 }, { seen: 'updated' }, { twin: { ...record.twin!, variant: 'sign-before-flush' } }]) {
      expect(reproId({ ...record, ...changed })).not.toBe(id);
    }
  });

  test("cutReproRecord: a suite cut's record, its trigger as hil cut takes it and paths relative to the working directory", () => {
    const r = cutReproRecord({
      config: { name: 'twin-x[torn-loss]', file: join(process.cwd(), 'rigs/twin-x.yaml'), twin: { variant: 'correct', powerLoss: 'torn', timeFactor: 0 } },
      images: { from: { file: join(process.cwd(), 'firmware/a.bin'), sha256: 'a'.repeat(64) }, to: { file: '/elsewhere/b.bin', sha256: 'b'.repeat(64) } },
      suite: { name: 's', file: join(process.cwd(), 'suites/s.yaml') },
      spec: { trigger: { kind: 'after', ms: 8000 }, offMs: 200, seed: 1, setup: 'test', second: 300, bootLoopCycles: 1 },
      expected: ['updated', 'rolled-back'],
      result: { outcome: 'updated', verdict: { agree: true } },
    });
    expect(r).toEqual({
      version: 1,
      kind: 'cut',
      rig: { name: 'twin-x[torn-loss]', file: 'rigs/twin-x.yaml' },
      twin: { variant: 'correct', powerLoss: 'torn', timeFactor: 0 },
      images: { from: { file: 'firmware/a.bin', sha256: 'a'.repeat(64) }, to: { file: '/elsewhere/b.bin', sha256: 'b'.repeat(64) } },
      suite: { name: 's', file: 'suites/s.yaml' },
      setup: 'test',
      trigger: 'after:8000ms',
      offMs: 200,
      seed: 1,
      secondMs: 300,
      bootLoopCycles: 1,
      expected: ['updated', 'rolled-back'],
      seen: 'updated',
      agree: true,
    });
  });
});

describe('finding a record', () => {
  test('by id: the newest result of the same id; an id nobody has is an error naming the folder', () => {
    const dir = join(tmp, 'by-id');
    writeResult(dir, 'older', record, { stop: 1000 });
    const newer = writeResult(dir, 'newer', record, { stop: 2000, status: 'passed' });
    writeResult(dir, 'other', { ...record, seed: 9 });
    writeResult(dir, 'plain', undefined);
    const id = reproId(record);
    expect(findReproIds(dir, [id], 'test').files.get(id)).toBe(newer);
    const found = reproFromId(id, dir);
    expect(found).toMatchObject({ resultFile: newer, status: 'passed', id, record });
    expect(() => reproFromId('0badf00d', dir)).toThrow(`repro id 0badf00d: no result in ${dir} has it (4 result file(s) searched`);
  });

  test('from a result file: its repro.json attachment; none, or an attachment naming a path outside the folder, is an error naming the file', () => {
    const dir = join(tmp, 'by-file');
    expect(reproFromFile(writeResult(dir, 'good', record)).record).toEqual(record);
    const plain = writeResult(dir, 'plain', undefined);
    expect(() => reproFromFile(plain)).toThrow(`${plain}: this result has no repro.json attachment`);
    const sneaky = join(dir, 'sneaky-result.json');
    writeFileSync(sneaky, JSON.stringify({ steps: [{ name: 'repro.json', attachments: [{ name: 'repro.json', source: '../../etc/passwd' }] }] }));
    expect(() => reproFromFile(sneaky)).toThrow('not a file of the results folder');
    const notJson = join(dir, 'broken-result.json');
    writeFileSync(notJson, '{"uuid": ');
    expect(() => reproFromFile(notJson)).toThrow(`${notJson}: not an Allure result (JSON)`);
  });

  test('checkRecord names every bad field', () => {
    expect(checkRecord(record, 'r.json')).toBe(record);
    const bad = { ...record, version: 2, images: { from: { file: 'a', sha256: 'xyz' } }, trigger: '', seed: -1 };
    let message = '';
    try {
      checkRecord(bad, 'r.json');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'r.json: not a repro record hil repro can replay:',
      '  version: expected 1 (a record from another hilrig version?)',
      '  images.from: expected {file, sha256 (64 hex digits)}',
      '  images.to: expected {file, sha256 (64 hex digits)}',
      '  trigger: expected a trigger (e.g. after:1500ms)',
      '  seed: expected an integer',
    ]);
    const point = { ...record, kind: 'sweep-point', trigger: { op: 3, mode: 'torn', fraction: 1.5, seed: 1 } };
    expect(() => checkRecord(point, 'p.json')).toThrow('trigger: expected {op, mode, fraction?, seed, atMs?, second?}');
    expect(checkRecord({ ...point, trigger: { op: 3, mode: 'torn', fraction: 0.5, seed: 1, second: { op: 0, mode: 'before', seed: 2 } } }, 'p.json').kind).toBe('sweep-point');
  });
});

describe("hil run's failure block", () => {
  const transcript = ['[    0.0000] boot', '[    0.1000]', ...Array.from({ length: 10 }, (_, i) => `[    1.${i}000] line ${i}`), ''].join('\n');

  test('consoleTail: the last 8 lines that say something', () => {
    expect(consoleTail(transcript)).toEqual(Array.from({ length: 8 }, (_, i) => `[    1.${i + 2}000] line ${i + 2}`));
    expect(consoleTail('[    0.1000]\n\n[    0.2000] hello\n')).toEqual(['[    0.2000] hello']);
  });

  test('per failing cut: expected, seen, reasons, the console tail, the result file and both repro commands; without a result, the one-line form', () => {
    const dir = join(tmp, 'failures', 'allure-results');
    const file = writeResult(dir, 'f1', record, { transcript, summary: 'outcome: bricked\n  - no slot boots\n  - slot A erased' });
    const id = reproId(record);
    const base = { suite: 's', rig: 'twin-rp2040-sfu', expect: 'recovers' as const, trigger: 'progress:37%', repro: 'hil cut --rig rigs/twin-rp2040-sfu.yaml --trigger progress:37%' };
    const records: CutRecord[] = [
      { ...base, kind: 'cut', test: 'cut 01: progress:37%', outcome: 'bricked', agree: true, status: 'failed', reproId: id },
      { ...base, kind: 'cut', test: 'cut 02: progress:50%', outcome: 'rig-error', status: 'broken', message: 'port gone', repro: 'hil cut --trigger progress:50%' },
      { ...base, kind: 'cut', test: 'cut 03', outcome: 'updated', status: 'passed', reproId: id },
    ];
    expect(failureReport(records, dir).split('\n')).toEqual([
      'FAILED: s on twin-rp2040-sfu: cut 01: progress:37% -> bricked',
      '  expected: updated | rolled-back',
      '  seen:     bricked',
      '    - no slot boots',
      '    - slot A erased',
      '  console (last 8 lines):',
      ...Array.from({ length: 8 }, (_, i) => `    [    1.${i + 2}000] line ${i + 2}`),
      `  result:   ${file} (repro id ${id})`,
      `  repro:    hil repro ${id} --results ${dir}`,
      `            ${base.repro}`,
      'BROKEN: s on twin-rp2040-sfu: cut 02: progress:50% -> rig-error: port gone',
      '  repro: hil cut --trigger progress:50%',
    ]);
    // The default folder needs no --results; a run with no results folder still lists what failed.
    expect(failureReport(records, dir, { defaultResults: dir })).toContain(`  repro:    hil repro ${id}\n`);
    expect(failureReport(records, join(tmp, 'nowhere'))).toBe(
      [
        'FAILED: s on twin-rp2040-sfu: cut 01: progress:37% -> bricked',
        `  repro: ${base.repro}`,
        'BROKEN: s on twin-rp2040-sfu: cut 02: progress:50% -> rig-error: port gone',
        '  repro: hil cut --trigger progress:50%',
      ].join('\n'),
    );
    expect(failureReport([records[2]!], dir)).toBe('');
    // A sweep point's test name ends in its outcome: not twice.
    const point: CutRecord = { ...base, kind: 'sweep-point', test: 'sweep every-op/after op 643 after -> wrong-image', outcome: 'wrong-image', status: 'failed', repro: 'hil sweep --point 643:after' };
    expect(failureReport([point], dir)).toBe(`FAILED: s on twin-rp2040-sfu: sweep every-op/after op 643 after -> wrong-image\n  repro: hil sweep --point 643:after`);
    expect(
      failureReport(
        Array.from({ length: 12 }, () => records[1]!),
        dir,
        { max: 2 },
      )
        .split('\n')
        .at(-1),
    ).toBe('… and 10 more failed or broken result(s): see the report');
  });
});
