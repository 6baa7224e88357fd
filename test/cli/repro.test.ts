// `hil repro`, through the real CLI: a small suite runs with `hil run` on seeded-bug twins, and the
// catching and failing cuts it records replay from their result file and from their repro id with
// the recorded outcome every time; the failing cut's terminal block names the commands that do it;
// a hand-built sweep-point record replays through the sweep engine; bad inputs are exit 2 naming
// what is missing, a rig that cannot open is exit 3.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { hil, ROOT } from './hil.js';
import { reproId, type ReproRecord } from '../../src/report/repro-record.js';
import { unopenableRigFile } from '../helpers/unopenable-rig.js';

const tmp = mkdtempSync(join(tmpdir(), 'hil-repro-'));
const reports = join(tmp, 'reports');
const results = join(reports, 'allure-results');
const rigFile = join(ROOT, 'rigs/twin-rp2040-sfu.yaml');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface JsonlRecord {
  kind: string;
  expect: string;
  test: string;
  outcome: string;
  status: string;
  repro: string;
  reproId?: string;
}
interface ReproJson {
  id: string;
  kind: string;
  expected: string[];
  recorded: string;
  seen: string[];
  times: number;
  reproduced: number;
  ok: boolean;
  runs: { outcome: string; console: string[]; reproduced: boolean }[];
  images: Record<string, { file: string; moved?: { was: string; why: string } }>;
}

let run: Awaited<ReturnType<typeof hil>>;
let records: JsonlRecord[];

/** The Allure result file whose `repro id` parameter is `id`. */
function resultFileOf(id: string): string {
  // hil run names its own run folder (reports/allure-results is a link to the latest run's).
  const dir = realpathSync(results);
  for (const name of readdirSync(dir).filter((n) => n.endsWith('-result.json'))) {
    const r = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { parameters?: { name: string; value: string }[] };
    if (r.parameters?.some((p) => p.name === 'repro id' && p.value === id)) return join(dir, name);
  }
  throw new Error(`no result with repro id ${id}`);
}

function noStack(r: { stderr: string }): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  mkdirSync(join(tmp, 'fw'));
  for (const f of ['app-v1.page2bin', 'app-v2.page2bin']) copyFileSync(join(ROOT, 'firmware', f), join(tmp, 'fw', f));
  const suite = join(tmp, 'repro.yaml');
  // A seeded bug (generation-not-incremented: a committed update boots the old image again) caught by
  // a late cut, and the same bug on an entry that must recover: a failing cut for the terminal block.
  writeFileSync(
    suite,
    [
      'name: repro-fixture',
      'scheme: sfu-ab',
      'images: { from: fw/app-v1.page2bin, to: fw/app-v2.page2bin }',
      'rigs:',
      `  - { rig: ${rigFile}, variant: generation-not-incremented, expect: caught }`,
      `  - { rig: ${rigFile}, variant: generation-not-incremented, expect: recovers }`,
      'cuts:',
      '  points: [after:8000ms, progress:50%]',
      'expect:',
      '  safe: [updated, rolled-back]',
      '  caughtWhen: [waiting, bricked, wrong-image, boot-loop]',
      '',
    ].join('\n'),
  );
  run = await hil(['run', suite, '--reports', reports, '--no-html'], { timeoutMs: 300_000 });
  records = readFileSync(join(reports, '.run', 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonlRecord);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hil repro replays what hil run recorded', () => {
  test('every cut of the run carries a repro id in results.jsonl', () => {
    expect(run.exitCode).toBe(1); // the must-recover entry's late cut fails
    const cuts = records.filter((r) => r.kind === 'cut');
    expect(cuts).toHaveLength(4);
    for (const c of cuts) expect(c.reproId).toMatch(/^[0-9a-f]{8}$/);
  });

  test('a catching cut replays from its result file 10 times out of 10 with the recorded outcome', async () => {
    const catching = records.find((r) => r.kind === 'cut' && r.expect === 'caught' && r.outcome === 'wrong-image')!;
    expect(catching).toBeDefined();
    const file = resultFileOf(catching.reproId!);
    const r = await hil(['repro', file, '--times', '10', '--json'], { timeoutMs: 300_000 });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as ReproJson;
    expect(doc).toMatchObject({ id: catching.reproId, kind: 'cut', recorded: 'wrong-image', times: 10, reproduced: 10, ok: true });
    expect(doc.expected).toEqual(['waiting', 'bricked', 'wrong-image', 'boot-loop']);
    expect(doc.seen).toEqual(new Array(10).fill('wrong-image'));
    expect(doc.runs[0]!.console.length).toBeGreaterThan(0);
    expect(doc.runs[0]!.console.length).toBeLessThanOrEqual(8);
  });

  test('the same cut by its repro id, 10 times: text output says expected, recorded, seen and 10/10', async () => {
    const catching = records.find((r) => r.kind === 'cut' && r.expect === 'caught' && r.outcome === 'wrong-image')!;
    const r = await hil(['repro', catching.reproId!, '--results', results, '--times', '10'], { timeoutMs: 300_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`repro ${catching.reproId}: cut after:8000ms on twin-rp2040-sfu[generation-not-incremented]`);
    expect(r.stdout).toMatch(/^expected: {2}waiting \| bricked \| wrong-image \| boot-loop$/m);
    expect(r.stdout).toMatch(/^recorded: {2}wrong-image$/m);
    expect(r.stdout).toMatch(/^seen: {6}wrong-image x10$/m);
    expect(r.stdout).toMatch(/^console \(last \d lines, last run\):\n {2}\[/m);
    expect(r.stdout).toContain('reproduced: 10/10 replays gave the recorded outcome wrong-image');
    // The hil cut line of the same cut carries the suite's variant.
    expect(r.stderr).toMatch(/hil cut line: hil cut --rig rigs\/twin-rp2040-sfu\.yaml --variant generation-not-incremented .*--trigger after:8000ms/);
  });

  test("hil run's failing-cut block: expected vs seen, the last console lines, the result file and the repro commands, which replay it", async () => {
    const failing = records.find((r) => r.status === 'failed' && r.kind === 'cut')!;
    const block = run.stderr.slice(run.stderr.indexOf(`FAILED: repro-fixture on twin-rp2040-sfu[generation-not-incremented]: ${failing.test} -> ${failing.outcome}`));
    expect(block).toMatch(/^FAILED: /);
    const lines = block.split('\n');
    expect(lines[1]).toBe('  expected: updated | rolled-back');
    expect(lines[2]).toBe(`  seen:     ${failing.outcome}`);
    const consoleAt = lines.findIndex((l) => /^ {2}console \(last \d lines\):$/.test(l));
    expect(consoleAt).toBeGreaterThan(2);
    const shown = Number(/last (\d) lines/.exec(lines[consoleAt]!)![1]);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(8);
    expect(lines[consoleAt + 1]).toMatch(/^ {4}\[/);
    const file = resultFileOf(failing.reproId!);
    expect(lines[consoleAt + shown + 1]).toBe(`  result:   ${file} (repro id ${failing.reproId})`);
    expect(lines[consoleAt + shown + 2]).toBe(`  repro:    hil repro ${failing.reproId} --results ${realpathSync(results)}`);
    expect(lines[consoleAt + shown + 3]).toBe(`            ${failing.repro}`);
    // The printed command, as a user pastes it.
    const again = await hil(lines[consoleAt + shown + 2]!.replace(/^ {2}repro: {4}hil /, '').split(' '));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`reproduced: 1/1 replays gave the recorded outcome ${failing.outcome}`);
  });

  test('a record whose outcome no longer comes back is exit 1, NOT reproduced', async () => {
    const catching = records.find((r) => r.kind === 'cut' && r.expect === 'caught' && r.outcome === 'wrong-image')!;
    const record = JSON.parse(readFileSync(join(results, repoJsonSource(resultFileOf(catching.reproId!))), 'utf8')) as ReproRecord;
    const file = join(tmp, 'claims-updated.json');
    writeFileSync(file, JSON.stringify({ ...record, seen: 'updated' }));
    const r = await hil(['repro', file]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^recorded: {2}updated$/m);
    expect(r.stdout).toMatch(/^seen: {6}wrong-image$/m);
    expect(r.stdout).toContain('NOT reproduced: 0/1');
  });
});

/** The file name of a result's repro.json attachment. */
function repoJsonSource(resultFile: string): string {
  interface Node {
    name?: string;
    attachments?: { name: string; source: string }[];
    steps?: Node[];
  }
  const walk = (n: Node): string | undefined => n.attachments?.find((a) => a.name === 'repro.json')?.source ?? n.steps?.map(walk).find(Boolean);
  return walk(JSON.parse(readFileSync(resultFile, 'utf8')) as Node)!;
}

describe('images by sha256', () => {
  test('a moved image is found by its sha256 (the recorded file is gone); one no file has is exit 2 naming the sha256 and the old file', async () => {
    const catching = records.find((r) => r.kind === 'cut' && r.expect === 'caught' && r.outcome === 'wrong-image')!;
    const file = resultFileOf(catching.reproId!);
    const record = JSON.parse(readFileSync(join(results, repoJsonSource(file)), 'utf8')) as ReproRecord;
    // Move image B within the suite's folder, under another name: still the same bytes.
    const moved = join(tmp, 'fw', 'archive', 'v2-renamed.bin');
    mkdirSync(dirname(moved), { recursive: true });
    copyFileSync(join(tmp, 'fw', 'app-v2.page2bin'), moved);
    const elsewhere = { ...record, images: { ...record.images, to: { ...record.images.to, file: join(tmp, 'fw', 'gone.page2bin') } } };
    const movedFile = join(tmp, 'moved.json');
    writeFileSync(movedFile, JSON.stringify(elsewhere));
    const found = await hil(['repro', movedFile, '--images', join(tmp, 'fw', 'archive'), '--json']);
    expect(found.exitCode).toBe(0);
    const doc = JSON.parse(found.stdout) as ReproJson;
    expect(doc.images.to).toEqual({ file: moved, moved: { was: join(tmp, 'fw', 'gone.page2bin'), why: 'no such file' } });

    // Rebuilt bytes under the recorded name, and a sha256 no file has.
    const unknown = 'ab'.repeat(32);
    const rebuilt = { ...record, images: { ...record.images, to: { file: join(tmp, 'fw', 'app-v1.page2bin'), sha256: unknown } } };
    const rebuiltFile = join(tmp, 'rebuilt.json');
    writeFileSync(rebuiltFile, JSON.stringify(rebuilt));
    const r = await hil(['repro', rebuiltFile]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`image B (to) sha256 ${unknown}: no file has these bytes`);
    expect(r.stderr).toContain(`The result used ${join(tmp, 'fw', 'app-v1.page2bin')}, which now holds other bytes (sha256 ${sha256(join(tmp, 'fw', 'app-v1.page2bin')).slice(0, 12)}`);
    expect(r.stderr).toContain('--images DIR');
    noStack(r);
  });
});

describe('bad inputs are exit 2 with a message naming what is missing', () => {
  test('a result file that does not exist', async () => {
    const file = join(results, 'nope-result.json');
    const r = await hil(['repro', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file}: cannot read the result: no such file`);
    noStack(r);
  });

  test('a result without repro.json (the seeded-bug verdict is not a cut)', async () => {
    const name = readdirSync(results).find((n) => n.endsWith('-result.json') && readFileSync(join(results, n), 'utf8').includes('"catches the seeded bug (generation-not-incremented)"'))!;
    const r = await hil(['repro', join(results, name)]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${join(results, name)}: this result has no repro.json attachment`);
    noStack(r);
  });

  test('an unknown repro id names the id and the folder searched; a missing folder says so', async () => {
    const r = await hil(['repro', 'deadbeef', '--results', results]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`repro id deadbeef: no result in ${results} has it \\(\\d+ result file\\(s\\) searched`));
    noStack(r);
    const none = await hil(['repro', 'deadbeef', '--results', join(tmp, 'no-such-folder')]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(`repro id deadbeef: no results folder ${join(tmp, 'no-such-folder')}`);
  });

  test('no argument, two arguments, a bad --times, a record with a broken field', async () => {
    for (const args of [['repro'], ['repro', 'a', 'b'], ['repro', 'deadbeef', '--times', '0']]) {
      const r = await hil(args);
      expect(r.exitCode).toBe(2);
      noStack(r);
    }
    const bad = join(tmp, 'bad-record.json');
    writeFileSync(
      bad,
      JSON.stringify({ version: 1, kind: 'cut', rig: { name: 'x', file: 'x.yaml' }, images: {}, setup: 'default', trigger: 'after:1ms', offMs: 1, seed: 1, expected: [], seen: 'updated' }),
    );
    const r = await hil(['repro', bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${bad}: not a repro record hil repro can replay:`);
    expect(r.stderr).toContain('images.from: expected {file, sha256 (64 hex digits)}');
  });

  test('a record made on a bench rig replays on that rig: a rig that cannot open is exit 3 (mock-free: gpioset hidden from PATH)', async () => {
    const rig = unopenableRigFile(tmp);
    const image = (f: string) => ({ file: join(ROOT, 'firmware', f), sha256: sha256(join(ROOT, 'firmware', f)) });
    const record: ReproRecord = {
      version: 1,
      kind: 'cut',
      rig: { name: 'no-gpioset', file: rig },
      images: { from: image('app-v1.page2bin'), to: image('app-v2.page2bin') },
      setup: 'default',
      trigger: 'progress:37%',
      offMs: 10,
      seed: 1,
      expected: ['updated', 'rolled-back'],
      seen: 'wrong-image',
    };
    const file = join(tmp, 'bench.json');
    writeFileSync(file, JSON.stringify(record));
    const r = await hil(['repro', file], { env: { PATH: dirname(process.execPath) } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/gpioset/);
    noStack(r);
  });
});

describe('a sweep point replays through the sweep engine', () => {
  // sign-before-flush signs slot B before its last page is flushed: a cut once the update's last
  // flash op (the signature page write) has completed finds a signed slot that does not hold the
  // image. `hil sweep --variant sign-before-flush --modes after` reports that op as its one failing point.
  const image = (f: string) => ({ file: `firmware/${f}`, sha256: sha256(join(ROOT, 'firmware', f)) });
  const point: ReproRecord = {
    version: 1,
    kind: 'sweep-point',
    rig: { name: 'twin-rp2040-sfu[sign-before-flush]', file: 'rigs/twin-rp2040-sfu.yaml' },
    twin: { variant: 'sign-before-flush', powerLoss: 'random', timeFactor: 0 },
    images: { from: image('app-v1.page2bin'), to: image('app-v2.page2bin') },
    setup: 'default',
    trigger: { op: 643, mode: 'after', seed: 587257153 },
    offMs: 200,
    seed: 1,
    expected: ['updated', 'rolled-back'],
    seen: 'wrong-image',
  };

  test('a failing point reproduces every time; a point the record got wrong is exit 1; an op the update does not have is exit 2', async () => {
    const file = join(tmp, 'sweep-point.json');
    writeFileSync(file, JSON.stringify(point));
    const r = await hil(['repro', file, '--times', '3', '--json'], { timeoutMs: 300_000 });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as ReproJson;
    expect(doc).toMatchObject({ id: reproId(point), kind: 'sweep-point', recorded: 'wrong-image', reproduced: 3, ok: true });
    expect(doc.seen).toEqual(['wrong-image', 'wrong-image', 'wrong-image']);

    const before = join(tmp, 'sweep-point-before.json');
    writeFileSync(before, JSON.stringify({ ...point, trigger: { op: 643, mode: 'before', seed: 587257153 } }));
    const other = await hil(['repro', before]);
    expect(other.exitCode).toBe(1);
    expect(other.stdout).toContain('sweep point: op 643 before on twin-rp2040-sfu');
    expect(other.stdout).toContain('NOT reproduced: 0/1');

    const missing = join(tmp, 'sweep-point-missing.json');
    writeFileSync(missing, JSON.stringify({ ...point, trigger: { op: 99_999, mode: 'after', seed: 1 } }));
    const gone = await hil(['repro', missing]);
    expect(gone.exitCode).toBe(2);
    expect(gone.stderr).toContain('the sweep point does not exist in this update');
    noStack(gone);
  });
});

describe('hil cut: a failing cut shows what was wanted, what came, the last console lines and its replay line', () => {
  test('a late cut on generation-not-incremented (a committed update boots the old image)', async () => {
    const args = ['cut', '--rig', 'twin-rp2040-sfu', '--variant', 'generation-not-incremented', '--from', 'firmware/app-v1.page2bin', '--to', 'firmware/app-v2.page2bin', '--trigger', 'after:8000ms'];
    const r = await hil(args);
    expect(r.exitCode).toBe(1);
    const block = r.stdout.slice(r.stdout.indexOf('\nFAILED\n') + 1).split('\n');
    expect(block[0]).toBe('FAILED');
    expect(block[1]).toBe('  expected: updated | rolled-back');
    expect(block[2]).toBe('  seen:     wrong-image');
    expect(block[3]).toMatch(/^ {2}console \(last [1-8] lines\):$/);
    const shown = Number(/last (\d) lines/.exec(block[3]!)![1]);
    for (const line of block.slice(4, 4 + shown)) expect(line).toMatch(/^ {4}\[\s*[\d.]+\] \S/);
    expect(block[4 + shown - 1]).toContain('hilrig-app 1.0.0 running from slot A');
    const line = block[4 + shown]!;
    expect(line).toMatch(/^ {2}repro: {4}hil cut --rig rigs\/twin-rp2040-sfu\.yaml --variant generation-not-incremented .*--trigger after:8000ms --off-ms 200 --seed 1$/);
    // Not a second time on stderr.
    expect(r.stderr).not.toContain('repro: hil cut');
  });
});

describe("a failing sweep point of a suite's op sweep, as hil run records it", () => {
  const sweepReports = join(tmp, 'sweep-reports');
  let sweepRun: Awaited<ReturnType<typeof hil>>;

  beforeAll(async () => {
    const suite = join(tmp, 'sweep.yaml');
    writeFileSync(
      suite,
      [
        'name: repro-sweep',
        'scheme: sfu-ab',
        `images: { from: ${join(ROOT, 'firmware/app-v1.page2bin')}, to: ${join(ROOT, 'firmware/app-v2.page2bin')} }`,
        'rigs:',
        `  - { rig: ${rigFile}, variant: sign-before-flush, expect: caught }`,
        'cuts:',
        '  sweeps:',
        '    - { mode: every-op, cut: [after] }',
        'expect:',
        '  safe: [updated, rolled-back]',
        '  caughtWhen: [waiting, bricked, wrong-image, boot-loop]',
        '',
      ].join('\n'),
    );
    sweepRun = await hil(['run', suite, '--reports', sweepReports, '--no-html'], { timeoutMs: 300_000 });
  }, 300_000);

  test('its repro id replays through the sweep engine 10 times out of 10', async () => {
    expect(sweepRun.exitCode).toBe(0);
    const point = readFileSync(join(sweepReports, '.run', 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as JsonlRecord)
      .find((r) => r.kind === 'sweep-point')!;
    expect(point.reproId).toMatch(/^[0-9a-f]{8}$/);
    const r = await hil(['repro', point.reproId!, '--results', join(sweepReports, 'allure-results'), '--times', '10', '--json'], { timeoutMs: 300_000 });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as ReproJson;
    expect(doc).toMatchObject({ id: point.reproId, kind: 'sweep-point', recorded: point.outcome, times: 10, reproduced: 10, ok: true });
  });
});

describe('a double point (a second cut in the recovery the first one starts) replays with both cuts', () => {
  test("hil sweep --mode double's failing point, as a record: reproduced; the same record without its second cut is not", async () => {
    // resume-unjournaled trusts an unjournaled swap step on resume: only a second cut during the
    // resumed swap shows it (hil sweep's own test: test/cli/sweep-cli.test.ts).
    const MCUBOOT = { from: 'firmware/mcuboot-app-v1.signed.bin', to: 'firmware/mcuboot-app-v2.signed.bin' };
    const args = ['sweep', '--rig', 'twin-nrf52840-mcuboot', '--variant', 'resume-unjournaled', '--from', MCUBOOT.from, '--to', MCUBOOT.to, '--setup', 'test'];
    const sweep = await hil([...args, '--mode', 'double', '--sample', '6/4', '--modes', 'torn', '--workers', '2', '--json'], { timeoutMs: 300_000 });
    const doc = JSON.parse(sweep.stdout) as {
      seed: number;
      failing: { op: number; mode: string; fraction?: number; seed: number; second?: { op: number; mode: string; fraction?: number }; outcome: string }[];
    };
    const f = doc.failing.find((p) => p.second)!;
    expect(f).toBeDefined();
    const image = (file: string) => ({ file, sha256: sha256(join(ROOT, file)) });
    const record: ReproRecord = {
      version: 1,
      kind: 'sweep-point',
      rig: { name: 'twin-nrf52840-mcuboot[resume-unjournaled]', file: 'rigs/twin-nrf52840-mcuboot.yaml' },
      twin: { variant: 'resume-unjournaled', powerLoss: 'random', timeFactor: 0 },
      images: { from: image(MCUBOOT.from), to: image(MCUBOOT.to) },
      setup: 'test',
      // The second cut's seed is the point's (the twin's generator is not reseeded between the cuts).
      trigger: { op: f.op, mode: f.mode, ...(f.fraction !== undefined && { fraction: f.fraction }), seed: f.seed, second: { ...f.second!, seed: f.seed } },
      offMs: 200,
      seed: doc.seed,
      expected: ['updated', 'rolled-back'],
      seen: f.outcome,
    };
    const file = join(tmp, 'double-point.json');
    writeFileSync(file, JSON.stringify(record));
    const r = await hil(['repro', file, '--times', '3', '--json'], { timeoutMs: 300_000 });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'sweep-point', recorded: f.outcome, reproduced: 3, ok: true });

    const firstOnly = join(tmp, 'first-only.json');
    const { second: _second, ...first } = record.trigger as Exclude<ReproRecord['trigger'], string>;
    writeFileSync(firstOnly, JSON.stringify({ ...record, trigger: first }));
    const alone = await hil(['repro', firstOnly, '--json']);
    expect(alone.exitCode).toBe(1);
    expect((JSON.parse(alone.stdout) as ReproJson).seen).not.toEqual([f.outcome]);
  });
});
