// The YAML suite runner (src/testing/suite.ts, built on useRig) as `hil run` uses it: the compiled
// dist/testing/suite.js in hil's Jest. What a result carries (labels, parameters, steps, attachments,
// the repro line in Allure and in results.jsonl), and a rig that cannot open: every cut broken with
// the reason, exit 3.
import { unopenableRigFile } from '../helpers/unopenable-rig.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CAMPAIGN_MODULES } from '../../src/report/campaign.js';
import type { CutRecord } from '../../src/report/plan.js';
import { hil, ROOT } from '../cli/hil.js';

interface AllureResult {
  name: string;
  status: string;
  statusDetails?: { message?: string };
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string; excluded?: boolean }[];
  steps: { name: string; attachments: { name: string; source: string }[] }[];
}

function allureResults(dir: string): AllureResult[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AllureResult);
}

function records(reports: string): CutRecord[] {
  return readFileSync(join(reports, '.run/results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CutRecord);
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-suite-runner-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('hil run loads the runner from dist/testing/ (built on useRig), not from report/', () => {
  expect(CAMPAIGN_MODULES.suite).toBe(join(ROOT, 'dist/testing/suite.js'));
});

describe('hil run on a twin suite: what each result carries', () => {
  let run: Awaited<ReturnType<typeof hil>>;
  let results: AllureResult[];
  let reports: string;

  beforeAll(async () => {
    const suite = join(tmp, 'carried.yaml');
    writeFileSync(
      suite,
      [
        'name: carried',
        'scheme: mcuboot-swap',
        'setup: test',
        `images: { from: ${join(ROOT, 'firmware/mcuboot-app-v1.signed.bin')}, to: ${join(ROOT, 'firmware/mcuboot-app-v2.signed.bin')} }`,
        'rigs:',
        `  - { rig: ${join(ROOT, 'rigs/twin-nrf52840-mcuboot.yaml')}, powerLoss: torn, expect: recovers }`,
        `  - { rig: ${join(ROOT, 'rigs/twin-nrf52840-mcuboot.yaml')}, variant: no-status-journal, expect: caught }`,
        'cuts:',
        '  offMs: 200',
        '  points:',
        '    - { trigger: after:8000ms, second: 8000ms }',
        '    - { trigger: after:8000ms, seed: 7 }',
        'expect:',
        '  safe: [updated, rolled-back]',
        '  caughtWhen: [waiting, bricked, wrong-image, boot-loop]',
        '  bootLoopCycles: 1',
      ].join('\n') + '\n',
    );
    reports = join(tmp, 'reports');
    run = await hil(['run', suite, '--reports', reports, '--no-html', '--json'], { timeoutMs: 180_000 });
    results = allureResults(join(reports, 'allure-results'));
  }, 200_000);

  it('exits 0 with every cut passed and the seeded bug caught', () => {
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout).totals).toEqual({ passed: 5, failed: 0, broken: 0 });
  });

  it('a cut with a second cut: labels, parameters, steps and attachments, and the repro line in Allure and results.jsonl', () => {
    const r = results.find((x) => x.name === 'cut 01: after:8000ms + 8000ms into recovery' && x.labels.some((l) => l.value === 'twin-nrf52840-mcuboot[torn-loss]'))!;
    expect(r.status).toBe('passed');
    const labels = r.labels.filter((l) => ['epic', 'feature', 'story', 'board', 'mcu', 'bootloader', 'tag'].includes(l.name)).map((l) => `${l.name}=${l.value}`);
    expect(labels).toEqual([
      'epic=default',
      'feature=mcuboot-swap',
      'story=carried',
      'board=twin-nrf52840-mcuboot[torn-loss]',
      'mcu=nrf52840',
      'bootloader=mcuboot-swap/correct',
      'tag=variant:correct',
      'tag=must-recover',
    ]);
    expect(r.parameters.map((p) => `${p.name}${p.excluded ? ' (excluded)' : ''}`)).toEqual([
      'rig',
      'board',
      'trigger',
      'off ms',
      'seed',
      'second cut',
      'image A sha256',
      'image B sha256',
      'rig file (excluded)',
      'repro id (excluded)',
      'outcome (excluded)',
      'fired at ms (excluded)',
      'phase (excluded)',
      'bytes acked (excluded)',
    ]);
    expect(r.parameters.find((p) => p.name === 'second cut')?.value).toBe('8000 ms after power returned');
    // Allure history keys by the board's identity (the rig file's board serial, else the rig's name).
    expect(r.parameters.find((p) => p.name === 'board')?.value).toBe('twin-nrf52840-mcuboot');
    expect(r.steps.map((s) => s.name)).toEqual([
      'cut at after:8000ms, off 200 ms',
      expect.stringMatching(/^console says: updated \(/),
      expect.stringMatching(/^flash says: updated \(boots slot /),
      'verdict: updated (expected one of updated, rolled-back)',
      // A passing cut carries no summary, transcript or timeline (the report stays small): its
      // replay line is a step's name and repro.json what hil repro reads.
      expect.stringMatching(/^repro: hil cut /),
      'repro.json',
    ]);
    const attachment = (name: string) => readFileSync(join(reports, 'allure-results', r.steps.find((s) => s.name === name)!.attachments[0]!.source), 'utf8');
    const repro = r.steps.find((s) => s.name.startsWith('repro: '))!.name.slice('repro: '.length);
    // What hil repro replays: everything that made the cut, the suite's second cut and twin override included.
    expect(JSON.parse(attachment('repro.json'))).toMatchObject({
      kind: 'cut',
      twin: { variant: 'correct', powerLoss: 'torn', timeFactor: 0 },
      trigger: 'after:8000ms',
      secondMs: 8000,
      bootLoopCycles: 1,
      setup: 'test',
      expected: ['updated', 'rolled-back'],
      seen: 'updated',
    });
    expect(r.parameters.find((p) => p.name === 'repro id')?.value).toMatch(/^[0-9a-f]{8}$/);
    expect(repro).toMatch(
      /^hil cut --rig \S+twin-nrf52840-mcuboot\.yaml --power-loss torn --from \S+mcuboot-app-v1\.signed\.bin --to \S+mcuboot-app-v2\.signed\.bin --setup test --trigger after:8000ms --off-ms 200 --seed 1 --second 8000ms --boot-loop-cycles 1$/,
    );
    const rec = records(reports).find((x) => x.rig === 'twin-nrf52840-mcuboot[torn-loss]' && x.test === r.name)!;
    expect(rec).toMatchObject({ kind: 'cut', suite: 'carried', expect: 'recovers', trigger: 'after:8000ms', outcome: 'updated', agree: true, status: 'passed', phase: 'swap', repro });
  });

  it("a seeded-bug rig: its cuts record what happened, and one more result says the sweep caught it with the catching cut's repro", () => {
    const detection = records(reports).find((x) => x.kind === 'detection')!;
    expect(detection).toMatchObject({ rig: 'twin-nrf52840-mcuboot[no-status-journal]', variant: 'no-status-journal', outcome: 'caught', status: 'passed' });
    const catching = records(reports).find((x) => x.kind === 'cut' && x.variant === 'no-status-journal' && ['waiting', 'bricked', 'wrong-image', 'boot-loop'].includes(x.outcome))!;
    expect(detection.repro).toBe(catching.repro);
    // The catching cut is one an engineer opens: it carries the console transcript and the timeline.
    // The catching cut is labelled as a catch (its name prefixed, a caught-bug tag).
    const caughtResult = results.find((x) => x.name === `CAUGHT no-status-journal: ${catching.test}` && x.labels.some((l) => l.name === 'board' && l.value.includes('no-status-journal')))!;
    expect(caughtResult.labels).toContainEqual({ name: 'tag', value: 'caught-bug' });
    expect(caughtResult.steps.map((st) => st.name)).toEqual(expect.arrayContaining(['console transcript', 'event timeline', 'event timeline (picture)']));
    const result = results.find((x) => x.name === 'catches the seeded bug (no-status-journal)')!;
    expect(result.status).toBe('passed');
    expect(result.labels.filter((l) => l.name === 'tag').map((l) => l.value)).toEqual([]);
  });
});

describe('hil run on a rig that cannot open (no gpioset on PATH)', () => {
  let run: Awaited<ReturnType<typeof hil>>;
  let reports: string;

  beforeAll(async () => {
    const rig = unopenableRigFile(tmp);
    const suite = join(tmp, 'unopenable.yaml');
    writeFileSync(
      suite,
      `name: unopenable\nimages: { from: ${join(ROOT, 'firmware/app-v1.page2bin')}, to: ${join(ROOT, 'firmware/app-v2.page2bin')} }\nrigs:\n  - { rig: ${rig}, expect: recovers }\n  - { rig: ${rig}, expect: caught }\ncuts:\n  points: [progress:30%, { trigger: after:500ms, second: 100ms }]\n`,
    );
    reports = join(tmp, 'unopenable-reports');
    run = await hil(['run', suite, '--reports', reports, '--no-html', '--json'], { env: { PATH: dirname(process.execPath) }, timeoutMs: 120_000 });
  }, 150_000);

  it('exits 3 (rig unavailable): every cut is broken, none failed or passed, on a seeded-bug entry too', () => {
    expect(run.exitCode).toBe(3);
    expect(JSON.parse(run.stdout).totals).toEqual({ passed: 0, failed: 0, broken: 5 });
  });

  it("a seeded-bug entry whose rig never opened is undecided (broken, the rig's fault), not a bug the suite missed (failed)", () => {
    const detection = records(reports).find((r) => r.kind === 'detection')!;
    expect(detection).toMatchObject({ outcome: 'missed', status: 'broken', message: '2 of 2 cuts were rig errors: the sweep could not tell whether it catches the bug' });
    const result = allureResults(join(reports, 'allure-results')).find((r) => r.name === 'catches the seeded bug (no-gpioset)')!;
    expect(result.status).toBe('broken');
  });

  it('each cut is recorded as rig-error with the reason and the line that would replay it', () => {
    const recs = records(reports).filter((r) => r.kind === 'cut');
    expect(recs).toHaveLength(4);
    expect(recs.map((r) => [r.test, r.outcome, r.status])).toEqual(
      expect.arrayContaining([
        ['cut 01: progress:30%', 'rig-error', 'broken'],
        ['cut 02: after:500ms + 100ms into recovery', 'rig-error', 'broken'],
      ]),
    );
    for (const r of recs) expect(r.message).toMatch(/no-gpioset\.yaml: gpio \(libgpiod\): .*gpioset not found/);
    expect(recs.find((r) => r.test.startsWith('cut 02'))!.repro).toMatch(/--trigger after:500ms --off-ms 10 --seed 2 --second 100ms$/);
  });

  it("in Allure: broken, with the reason as the message, and the suite's labels and parameters (no cut ran, so no outcome)", () => {
    const results = allureResults(join(reports, 'allure-results')).filter((r) => r.name.startsWith('cut '));
    expect(results).toHaveLength(4);
    for (const r of results) {
      expect(r.status).toBe('broken');
      expect(r.statusDetails?.message).toMatch(/^\S+no-gpioset\.yaml: gpio \(libgpiod\): .*gpioset not found/);
      expect(r.labels.find((l) => l.name === 'board')?.value).toBe('no-gpioset');
      expect(r.parameters.map((p) => p.name)).not.toContain('outcome');
      expect(r.steps).toEqual([]);
    }
  });
});
