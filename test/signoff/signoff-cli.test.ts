/**
 * `hil signoff` end to end on the twin, as a lab engineer runs it (a child process): a matrix where
 * the correct SFU bootloader's cells pass and a seeded-bug variant's fail (wrong-image: never
 * acceptable), a twin rig replayed cut by cut as a bench would be (the runCut path), --json, the
 * exit codes (0 all pass, 1 a cell fails, 3 a rig error leaves a cell incomplete, 4 Ctrl-C), the
 * Allure result, and the page rendered in headless Chromium: what it shows, checked element by
 * element. Small on purpose (random 40 ops, 20 times; threshold 80 %, which 16 cuts can reach).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { SignoffReport } from '../../src/signoff/report.js';
import { wilson, zFor } from '../../src/signoff/wilson.js';
import { render, type RenderedPage } from '../helpers/browser.js';
import { ROOT, hil } from '../cli/hil.js';

const RIG = join(ROOT, 'rigs/twin-rp2040-sfu.yaml');
const V1 = join(ROOT, 'firmware/app-v1.page2bin');
const V2 = join(ROOT, 'firmware/app-v2.page2bin');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-signoff-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function signoffFile(name: string, body: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\n${body}`);
  return file;
}

const PATHS = `paths:\n  - { name: sfu v1 to v2, from: ${V1}, to: ${V2} }\n`;

describe('a twin sign-off with a seeded-bug variant', () => {
  let run: Awaited<ReturnType<typeof hil>>;
  let report: SignoffReport;
  const reports = () => join(tmp, 'r-matrix');

  beforeAll(async () => {
    const file = signoffFile(
      'matrix',
      `rigs:
  - ${RIG}
  - { rig: ${RIG}, variant: boot-unsigned-target }
  - { rig: ${RIG}, run: replay }
${PATHS}cuts:
  - { mode: random, count: 40, seed: 3 }
  - { mode: range, trigger: after, from: 0ms, to: 1900ms, step: 100ms }
threshold: { recovery: 80% }
`,
    );
    run = await hil(['signoff', file, '--reports', reports(), '--json', '--workers', '1']);
    report = JSON.parse(run.stdout) as SignoffReport;
  });

  test('exits 1: the correct bootloader passes every cell, the seeded bug fails its cells on wrong-image whatever the rate', () => {
    expect(run.exitCode).toBe(1);
    expect(report.verdict).toBe('fail');
    const by = (rig: string, runner: string, mode: string) => report.cells.find((c) => c.rig === rig && c.runner === runner && c.mode.startsWith(mode))!;
    expect(by('twin-rp2040-sfu', 'sweep', 'random').status).toBe('pass');
    expect(by('twin-rp2040-sfu', 'sweep', 'range').status).toBe('pass');
    const bug = by('twin-rp2040-sfu[boot-unsigned-target]', 'sweep', 'random');
    expect(bug.status).toBe('fail');
    expect(bug.outcomes['wrong-image']).toBeGreaterThan(0);
    expect(bug.reasons[0]).toMatch(/wrong-image: never acceptable, whatever the rate/);
    expect(bug.failing.first[0]!.point).toMatch(/^\d+:(before|after|torn)/);
    // A twin replayed cut by cut (runCut, as on a bench): its time range passes, its op modes are not applicable.
    const replay = by('twin-rp2040-sfu', 'replay', 'range');
    expect(replay.status).toBe('pass');
    expect(replay.deviceResults).toBe(20);
    expect(by('twin-rp2040-sfu', 'replay', 'random').status).toBe('n/a');
    expect(report.totals).toMatchObject({ cells: 6, notApplicable: 1, failed: 2, passed: 3 });
  });

  test("a failing cut's line makes it again: the seeded bug's first failing sweep point replays as wrong-image", async () => {
    const bug = report.cells.find((c) => c.rig.endsWith('[boot-unsigned-target]') && c.runner === 'sweep')!;
    const first = bug.failing.first[0]!;
    expect(first.repro).toMatch(
      /^hil sweep --rig rigs\/twin-rp2040-sfu\.yaml --variant boot-unsigned-target --from firmware\/app-v1\.page2bin --to firmware\/app-v2\.page2bin --point \S+ --seed 3 --off-ms 200$/,
    );
    const r = await execa('sh', ['-c', `node bin/hil.js ${first.repro.replace(/^hil /, '')}`], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^outcome: ${first.outcome} `, 'm'));
  });

  test('--json: stdout is the report alone; each cell carries its counts, rate and Wilson bound at the threshold confidence', () => {
    expect(run.stdout.trim().startsWith('{')).toBe(true);
    const z = zFor(0.95);
    expect(report.threshold).toMatchObject({ recovery: 0.8, confidence: 0.95, pointsNeeded: 16 });
    for (const c of report.cells.filter((x) => x.status !== 'n/a')) {
      const sum = Object.values(c.outcomes).reduce((a, b) => a + (b ?? 0), 0);
      expect(sum).toBe(c.deviceResults);
      expect(c.bound.lower).toBeCloseTo(wilson(c.recovered, c.deviceResults, z).lower, 12);
      expect(c.map).toMatch(/^maps\/c\d+-.*\.svg$/);
    }
    expect(report.hilrig.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    expect(Date.parse(report.date)).not.toBeNaN();
    // The images by sha256, as the files hash.
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(report.images.find((i) => i.role === 'from')!.sha256).toBe(sha(V1));
    expect(report.images.find((i) => i.role === 'to')!.sha256).toBe(sha(V2));
    // Progress went to stderr.
    expect(run.stderr).toMatch(/cell 1\/5: twin-rp2040-sfu × sfu v1 to v2 × random 40 ops \(seed 3\) \[sweep\]/);
  });

  test('the Allure result: one failed test with a step per cell, the page, the JSON and each map attached', () => {
    const dir = join(reports(), 'signoff', 'allure-results');
    const results = readdirSync(dir).filter((f) => f.endsWith('-result.json'));
    expect(results).toHaveLength(1);
    const r = JSON.parse(readFileSync(join(dir, results[0]!), 'utf8')) as {
      status: string;
      name: string;
      steps: { status: string; attachments: { source: string; type: string }[] }[];
      attachments: { source: string; type: string }[];
    };
    expect(r.name).toBe('sign-off matrix');
    expect(r.status).toBe('failed');
    expect(r.steps.map((s) => s.status).sort()).toEqual(['failed', 'failed', 'passed', 'passed', 'passed']);
    const sources = [...r.attachments, ...r.steps.flatMap((s) => s.attachments)];
    expect(sources.map((a) => a.type).sort()).toEqual(['application/json', 'image/svg+xml', 'image/svg+xml', 'image/svg+xml', 'image/svg+xml', 'image/svg+xml', 'text/html']);
    for (const a of sources) expect(existsSync(join(dir, a.source))).toBe(true);
    // and the sign-off's own Allure report beside the page, with the result in it
    const report = readFileSync(join(reports(), 'signoff', 'html', 'index.html'), 'utf8');
    const embedded = [...report.matchAll(/d\("data\/test-results\/[0-9a-f]+\.json","([A-Za-z0-9+/=]+)"\)/g)].map((m) => JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as { name: string });
    expect(embedded.map((r) => r.name)).toEqual(['sign-off matrix']);
  });

  describe('the page in headless Chromium', () => {
    let page: RenderedPage;
    beforeAll(async () => {
      page = await render(join(reports(), 'signoff/index.html'), {
        select: {
          verdict: '.verdict',
          matrixCells: 'table.matrix td.cell',
          sections: 'section.cell-detail',
          maps: '.map svg.resilience-map',
          marks: '.map .mark',
          failMarks: '.map .mark.fail',
          serials: 'table.inventory td.serial',
          sha: 'table.images td.sha256',
          threshold: '.threshold',
          method: '.method',
          version: '.version',
          date: '.date',
        },
      });
    });

    test('loads with no error and says the verdict first', () => {
      expect(page.errors).toEqual([]);
      expect(page.title).toBe('hil sign-off: matrix: fail');
      expect(page.found.verdict![0]!.text).toBe('NOT SIGNED OFF');
      expect(page.found.verdict![0]!.visibility).toBe('visible');
    });

    test('the matrix shows every cell with its status, rate and bound', () => {
      expect(page.counts.matrixCells).toBe(report.cells.length);
      for (const c of report.cells) {
        const td = page.found.matrixCells!.find((e) => e.data.cell === c.id)!;
        expect(td.data.status).toBe(c.status);
        if (c.status === 'n/a') continue;
        expect(Number(td.data.bound)).toBe(c.bound.lower);
        expect(td.text).toContain(`bound ${(Math.floor(c.bound.lower * 10000) / 100).toFixed(2)} %`);
        expect(td.box.width).toBeGreaterThan(0);
      }
    });

    test("every cell that ran has its map inline, with marks; the seeded bug's maps show failing marks", () => {
      const ran = report.cells.filter((c) => c.status !== 'n/a');
      expect(page.counts.sections).toBe(report.cells.length);
      expect(page.counts.maps).toBe(ran.length);
      expect(page.counts.marks).toBeGreaterThan(ran.length);
      const bugFails = report.cells.filter((c) => c.rig.includes('boot-unsigned-target')).reduce((a, c) => a + c.failing.count, 0);
      expect(page.counts.failMarks).toBe(bugFails);
      expect(page.found.failMarks!.every((m) => m.box.width >= 3 && m.title !== undefined)).toBe(true);
    });

    test('the inventory names each board serial, the images their sha256, and the threshold, method, version and date are shown', () => {
      expect(page.found.serials!.map((s) => s.text)).toEqual(report.inventory.map((r) => r.board.serial + (r.board.serialFromRigName ? ' (rig name: no board: serial)' : '')));
      expect(page.found.serials![0]!.text).toBe('twin-rp2040-sfu');
      expect(page.found.sha!.map((s) => s.text)).toEqual(report.images.map((i) => i.sha256));
      expect(page.found.threshold![0]!.text).toBe('recovery ≥ 80 % at 95 % confidence');
      expect(page.found.method![0]!.text).toMatch(/^A cell passes when the lower bound of the Wilson score interval .* z = 1\.960/);
      expect(page.found.method![0]!.box.height).toBeGreaterThan(40);
      expect(readFileSync(join(reports(), 'signoff/index.html'), 'utf8')).toMatch(/so a cell needs n ≥ z²·p \/ \(1 − p\) = 16 cuts, all recovered, before 80 % is reachable/);
      expect(page.found.version![0]!.text).toBe(report.hilrig.version);
      expect(page.found.date![0]!.text).toBe(report.date);
    });
  });
});

describe('exit codes', () => {
  test('0 when every cell passes (text output: a line per cell and the page)', async () => {
    const file = signoffFile('green', `rigs: [${RIG}]\n${PATHS}cuts:\n  - { mode: random, count: 40, seed: 5 }\nthreshold: { recovery: 80% }\n`);
    const r = await hil(['signoff', file, '--reports', join(tmp, 'r-green'), '--workers', '0', '--no-allure']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^sign-off green: PASS/);
    expect(r.stdout).toMatch(/PASS {7}twin-rp2040-sfu × sfu v1 to v2 × random 40 ops \(seed 5\): 40 cuts, 100\.00 % recovered, bound 91\.23 %/);
    expect(existsSync(join(tmp, 'r-green', 'signoff', 'allure-results'))).toBe(false);
    expect(readFileSync(join(tmp, 'r-green', 'signoff', 'index.html'), 'utf8')).toContain('data-verdict="pass"');
  });

  test('1 when the threshold cannot be reached: too few cuts, and the page says how many are needed', async () => {
    const file = signoffFile('few', `rigs: [${RIG}]\n${PATHS}cuts:\n  - { mode: random, count: 40, seed: 5 }\n`);
    const r = await hil(['signoff', file, '--reports', join(tmp, 'r-few'), '--workers', '0', '--json']);
    expect(r.exitCode).toBe(1);
    const cell = (JSON.parse(r.stdout) as SignoffReport).cells[0]!;
    expect(cell.status).toBe('fail');
    expect(cell.reasons).toContain('too few cuts: 40 planned, at least 381 (all recovered) are needed for 99 %');
  });

  test('3 when a rig error leaves a cell incomplete (a bench rig that is not there): listed apart, never a device result', async () => {
    const rig = join(tmp, 'pico-absent.yaml');
    writeFileSync(
      rig,
      readFileSync(join(ROOT, 'rigs/pi-pico-sfu.yaml'), 'utf8')
        .replace(/^name: .*$/m, 'name: pico-absent')
        .replace(/port: \/dev\/serial\/by-id\/.*$/m, 'port: /dev/serial/by-id/usb-hil-test-absent-if00'),
    );
    const file = signoffFile('absent', `rigs: [${rig}]\n${PATHS}cuts:\n  - { mode: random, count: 20, from: 0ms, to: 2s, seed: 3 }\n  - { mode: every-op }\nthreshold: { recovery: 80% }\n`);
    const r = await hil(['signoff', file, '--reports', join(tmp, 'r-absent'), '--json', '--no-allure']);
    expect(r.exitCode).toBe(3);
    const rep = JSON.parse(r.stdout) as SignoffReport;
    expect(rep.verdict).toBe('incomplete');
    const [cell, na] = rep.cells;
    expect(cell).toMatchObject({ status: 'incomplete', runner: 'replay', deviceResults: 0, notRun: 20 });
    expect(cell!.rigErrors.count).toBe(1);
    expect(cell!.rigErrors.first[0]!.point).toBe('opening the rig');
    expect(na!.status).toBe('n/a');
    expect(rep.inventory[0]!.board).toEqual({ serial: 'E6614C311B462F2A', label: 'Pico', serialFromRigName: false });
  });

  test('2 for a bad sign-off file, located', async () => {
    const file = signoffFile('bad', `rigs: [${RIG}]\n${PATHS}cuts:\n  - { mode: every-op, torn: 0 }\n`);
    const r = await hil(['signoff', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('bad.yaml:6:29: cuts[0].torn: expected an integer >= 1 and <= 64, got 0');
  });

  test('4 on Ctrl-C: the cell in progress stops, and the page is written with what was done', async () => {
    const file = signoffFile(
      'long',
      `rigs:\n  - { rig: ${RIG}, run: replay }\n${PATHS}cuts:\n  - { mode: range, trigger: after, from: 0ms, to: 20s, step: 10ms }\n  - { mode: random, count: 400, from: 0ms, to: 2s }\n`,
    );
    const child = execa(process.execPath, [join(ROOT, 'bin/hil.js'), 'signoff', file, '--reports', join(tmp, 'r-long'), '--no-allure'], {
      cwd: ROOT,
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1' },
    });
    // Wait for the first cut's progress line, then interrupt.
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (/\d+\/2001 points/.test(err)) resolve();
      });
    });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(4);
    const html = readFileSync(join(tmp, 'r-long', 'signoff', 'index.html'), 'utf8');
    expect(html).toContain('data-verdict="interrupted"');
    const rep = JSON.parse(readFileSync(join(tmp, 'r-long', 'signoff', 'signoff.json'), 'utf8')) as SignoffReport;
    const [first, second] = rep.cells;
    expect(first!.status).toBe('not-run');
    expect(first!.deviceResults).toBeGreaterThan(0);
    expect(first!.deviceResults + first!.notRun).toBe(2001);
    expect(second).toMatchObject({ status: 'not-run', deviceResults: 0 });
    expect(r.stdout).toMatch(/^sign-off long: INTERRUPTED/);
  });

  test('4 on Ctrl-C during a sweep cell: its worker threads end, the cell is not run, the page is written', async () => {
    const stm32 = join(ROOT, 'rigs/twin-stm32f429-dualbank.yaml');
    const file = signoffFile(
      'long-sweep',
      `rigs: [${stm32}]\npaths:\n  - { from: ${join(ROOT, 'firmware/stm32-app-v1.bin')}, to: ${join(ROOT, 'firmware/stm32-app-v2.bin')} }\ncuts:\n  - { mode: every-op, torn: 8 }\n`,
    );
    const child = execa(process.execPath, [join(ROOT, 'bin/hil.js'), 'signoff', file, '--reports', join(tmp, 'r-long-sweep'), '--no-allure', '--workers', '1'], {
      cwd: ROOT,
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1' },
    });
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (/\d+\/\d+ points/.test(err)) resolve();
      });
    });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(4);
    const rep = JSON.parse(readFileSync(join(tmp, 'r-long-sweep', 'signoff', 'signoff.json'), 'utf8')) as SignoffReport;
    expect(rep.verdict).toBe('interrupted');
    expect(rep.cells[0]).toMatchObject({ status: 'not-run', runner: 'sweep' });
  });
});
