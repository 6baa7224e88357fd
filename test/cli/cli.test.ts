import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait-for.js';
import { hil, hilBackground, ROOT } from './hil.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FROM = 'firmware/app-v1.page2bin';
const TO = 'firmware/app-v2.page2bin';

describe('hil (command line)', () => {
  it('--help lists the commands and the exit codes', async () => {
    const r = await hil(['--help']);
    expect(r.exitCode).toBe(0);
    for (const c of ['run', 'cut', 'detect', 'sfu upload', 'twin serve', 'inspect']) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/2 usage or config error/);
  });

  it('every command has --help with examples', async () => {
    for (const c of [['run'], ['cut'], ['detect'], ['sfu', 'upload'], ['twin', 'serve'], ['inspect']]) {
      const r = await hil([...c, '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/examples:\n {2}hil /);
    }
  });

  it('an unknown command or option is a usage error (exit 2)', async () => {
    expect((await hil(['frobnicate'])).exitCode).toBe(2);
    const r = await hil(['cut', '--rigg', 'x']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--rigg/);
  });

  it('hil cut --json prints only JSON: the outcome and the exact fire point', async () => {
    const r = await hil(['cut', '--rig', 'twin-rp2040-sfu', '--from', FROM, '--to', TO, '--trigger', 'progress:37%', '--seed', '3', '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.outcome).toBe('rolled-back');
    expect(doc.agree).toBe(true);
    expect(doc.fire.offsetMs).toBeGreaterThan(0);
    expect(doc.fire.acked).toBeGreaterThan(0);
    expect(doc.repro).toMatch(/^hil cut --rig rigs\/twin-rp2040-sfu.yaml .*--trigger progress:37% .*--seed 3/);
    const again = JSON.parse((await hil(doc.repro.split(' ').slice(1).concat('--json'))).stdout);
    expect(again.fire).toEqual(doc.fire);
  });

  it('a caught seeded bug exits 1 with the outcome', async () => {
    const r = await hil(['cut', '--rig', 'twin-rp2040-sfu-bug-boot-unsigned-target', '--from', FROM, '--to', TO, '--trigger', 'progress:40%']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/outcome: wrong-image/);
  });

  it('a bad trigger, a missing image and a bad number are usage errors naming what is wrong', async () => {
    let r = await hil(['cut', '--rig', 'twin-rp2040-sfu', '--from', FROM, '--to', TO, '--trigger', 'progress:lots']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--trigger/);
    r = await hil(['cut', '--rig', 'twin-rp2040-sfu', '--from', 'nope.bin', '--to', TO, '--trigger', 'after:1s']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/nope\.bin/);
    r = await hil(['cut', '--rig', 'twin-rp2040-sfu', '--from', FROM, '--to', TO, '--trigger', 'after:1s', '--off-ms', 'fast']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--off-ms: expected a number/);
  });

  it('a rig file with a typo fails before anything runs, with file:line:col and a did-you-mean', async () => {
    const rig = join(tmp, 'typo.yaml');
    writeFileSync(rig, readFileSync(join(ROOT, 'rigs/twin-rp2040-sfu.yaml'), 'utf8').replace('power:', 'powr:'));
    const r = await hil(['cut', '--rig', rig, '--from', FROM, '--to', TO, '--trigger', 'after:1s']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/typo\.yaml:\d+:\d+: powr: unknown key \(did you mean "power"\?\)/);
  });

  it('malformed suite YAML is a config error with its location', async () => {
    const suite = join(tmp, 'broken.yaml');
    writeFileSync(suite, 'name: x\nimages:\n  from: a\n from: b\n');
    const r = await hil(['run', suite]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+/);
  });

  it('hil run --keep 0 is a usage error before any run folder is made', async () => {
    const reports = join(tmp, 'keep0');
    const r = await hil(['run', join(ROOT, 'suites/brownout-sfu.yaml'), '--keep', '0', '--reports', reports]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--keep: expected an integer >= 1/);
    expect(existsSync(join(reports, 'runs'))).toBe(false);
  });

  it('an image larger than a slot is refused before anything is written', async () => {
    const big = join(tmp, 'big.bin');
    writeFileSync(big, Buffer.alloc(0x1ef000 + 256, 0x11));
    const r = await hil(['cut', '--rig', 'twin-rp2040-sfu', '--from', FROM, '--to', big, '--trigger', 'after:1s']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/larger than an SFU slot/);
  });

  it('Ctrl-C during a campaign exits 4 (interrupted) after putting the rig in its safe state', async () => {
    const child = hilBackground(['run', '--reports', join(tmp, 'interrupted')]);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    await waitFor('hil run to start its campaign', () => /campaign/.test(err));
    await new Promise((res) => setTimeout(res, 1000)); // positioning only: any moment of the campaign must give exit 4
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(4);
    expect(err).toMatch(/interrupted: putting the rig in its safe state/);
  }, 60_000);

  it('hil run writes Allure results and a single-file HTML report with no network calls', async () => {
    const suite = join(tmp, 'mini.yaml');
    writeFileSync(
      suite,
      `name: mini
images: { from: ${join(ROOT, FROM)}, to: ${join(ROOT, TO)} }
rigs:
  - { rig: ${join(ROOT, 'rigs/twin-rp2040-sfu.yaml')}, expect: recovers }
  - { rig: ${join(ROOT, 'rigs/twin-rp2040-sfu-bug-boot-unsigned-target.yaml')}, expect: caught }
cuts:
  points: [progress:30%, after:6000ms]
`,
    );
    const reports = join(tmp, 'reports');
    const r = await hil(['run', suite, '--reports', reports, '--json'], { timeoutMs: 180_000 });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.totals).toEqual({ passed: 5, failed: 0, broken: 0 });
    const html = readFileSync(join(reports, 'html/index.html'), 'utf8');
    expect(html).not.toMatch(/googletagmanager|google-analytics/);
    expect(existsSync(join(reports, 'allure-results'))).toBe(true);
  }, 180_000);
});
