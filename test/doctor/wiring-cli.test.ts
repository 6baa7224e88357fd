import { afterEach, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkRigWiring, runDoctor, formatReport, type DoctorEnv } from '../../src/doctor/index.js';
import { benchRig, fakeChip, fakeMachine, fakeSerial, writeRig, byId, type FakeMachine } from './fake.js';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(import.meta.dirname, 'doctor-cli.ts');

let m: FakeMachine;
afterEach(() => m?.cleanup());

/** Runs the doctor command in a child process, on the fake tree unless `real`. */
function doctor(args: string[], opts: { env?: DoctorEnv; cwd?: string } = {}) {
  const fake = opts.env && JSON.stringify({ root: opts.env.root, uid: opts.env.uid, groups: opts.env.groups, user: opts.env.user, pathDirs: opts.env.pathDirs });
  return execa(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    cwd: opts.cwd ?? ROOT,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
    env: { NO_COLOR: '1', ...(fake && { HIL_DOCTOR_FAKE: fake }) },
  });
}

describe('wiring across the rig files of a folder', () => {
  test('a pin shared with another rig (label in one, gpiochipN in the other) fails, naming the other file', async () => {
    m = fakeMachine({ deviceGroup: 'gpio', inDeviceGroup: true });
    fakeChip(m, 0, { label: 'pinctrl-rp1', base: 571, lines: 54 });
    const dir = join(m.root, 'rigs');
    writeRig(dir, 'bench-b', benchRig({ relay: '{ chip: gpiochip0, offset: 17 }', port: '/dev/serial/by-id/usb-other-if00' }));
    const rig = writeRig(dir, 'bench-a', benchRig());
    const pins = byId(await checkRigWiring({ env: m.env, rig }), 'wiring.pins');
    expect(pins.status).toBe('fail');
    expect(pins.detail).toBe('pin relay (pinctrl-rp1 offset 17) is also pin relay (gpiochip0 offset 17) in bench-b.yaml');
    expect(pins.fix).toContain('one relay, one rig');
  });

  test('the same serial adapter by by-id path and by ttyUSB name is one port; broken neighbours are a warning', async () => {
    m = fakeMachine({ inDeviceGroup: true });
    const port = fakeSerial(m, 'ttyUSB0', 'usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0');
    const dir = join(m.root, 'rigs');
    writeRig(dir, 'bench-b', benchRig({ relay: '{ chip: pinctrl-rp1, offset: 22 }', port: '/dev/ttyUSB0' }));
    m.file('rigs/half-done.yaml', 'target: rp2040\nscheme: sfu-ab\n');
    const rig = writeRig(dir, 'bench-a', benchRig({ port }));
    const checks = await checkRigWiring({ env: m.env, rig });
    expect(byId(checks, 'wiring.pins').status).toBe('ok');
    expect(byId(checks, 'wiring.ports')).toMatchObject({ status: 'fail', detail: `console.port ${port} is also console.port /dev/ttyUSB0 in bench-b.yaml` });
    const files = byId(checks, 'wiring.files');
    expect(files.status).toBe('warn');
    expect(files.detail).toContain('half-done.yaml');
  });

  test("the repository's twin rigs share nothing", async () => {
    m = fakeMachine();
    const dir = join(m.root, 'rigs');
    mkdirSync(dir);
    for (const f of ['twin-rp2040-sfu.yaml', 'twin-stm32f429-dualbank.yaml', 'twin-nrf52840-mcuboot.yaml']) copyFileSync(join(ROOT, 'rigs', f), join(dir, f));
    const { loadRig } = await import('../../src/config/index.js');
    const checks = await checkRigWiring({ env: m.env, rig: await loadRig(join(dir, 'twin-rp2040-sfu.yaml')) });
    expect(checks.map((c) => c.status)).toEqual(['ok', 'ok']);
  });
});

describe('hil doctor (the command, in a child process)', () => {
  test('a twin rig passes on this real machine: exit 0 (only Node matters)', async () => {
    const r = await doctor(['--rig', 'twin-rp2040-sfu']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('hil doctor: rig twin-rp2040-sfu (rigs/twin-rp2040-sfu.yaml), simulated (twin)');
    expect(r.stdout).toMatch(/✓ Node\.js +v\d+/);
    expect(r.stdout).toMatch(/: the rig can run$/m);
  });

  test('no --rig on this real machine (no GPIO, USB or serial here): warnings only, exit 0', async () => {
    const r = await doctor(['--json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; rig: null; checks: { id: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.rig).toBeNull();
    expect(report.checks.find((c) => c.id === 'openocd.binary')?.status).toBe('ok');
    expect(report.checks.some((c) => c.status === 'fail')).toBe(false);
  });

  test('a rig whose console port is missing on a fake machine: exit 3, the failure and its fix under it', async () => {
    m = fakeMachine({ deviceGroup: 'gpio', inDeviceGroup: true, extraPath: ['/usr/bin'] });
    fakeChip(m, 0, { label: 'pinctrl-rp1', base: 571, lines: 54 });
    m.tool('gpioset', `console.log('gpioset (libgpiod) v2.1')`);
    const rigFile = join(m.root, 'rigs/bench.yaml');
    writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const r = await doctor(['--rig', rigFile], { env: m.env });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toContain('✗ Serial port (console)');
    expect(r.stdout).toContain('/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0 does not exist');
    expect(r.stdout).toMatch(/\n {6}fix: plug the adapter in, then set console\.port to its entry in: ls -l \/dev\/serial\/by-id\/\n/);
    expect(r.stdout).toMatch(/: the rig cannot run until the failures above are fixed$/m);
  });

  test('--json: stdout is one JSON document {ok, rig, checks}, exit 3 with the same failure', async () => {
    m = fakeMachine({ extraPath: ['/usr/bin'] });
    writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const r = await doctor(['--rig', join(m.root, 'rigs/bench.yaml'), '--json'], { env: m.env });
    expect(r.exitCode).toBe(3);
    const report = JSON.parse(r.stdout) as { ok: boolean; rig: { name: string; file: string }; checks: { id: string; status: string; fix?: string }[] };
    expect(Object.keys(report)).toEqual(['ok', 'rig', 'checks']);
    expect(report.ok).toBe(false);
    expect(report.rig.name).toBe('bench');
    expect(report.checks.find((c) => c.id === 'serial.console')).toMatchObject({ status: 'fail', fix: expect.stringContaining('ls -l /dev/serial/by-id/') });
    expect(report.checks.find((c) => c.id === 'node.version')?.status).toBe('ok');
  });

  test('a rig file with errors: the config error as is, exit 2, nothing on stdout', async () => {
    m = fakeMachine();
    m.file('rigs/bad.yaml', 'target: rp2040\nscheme: sfu-ab\npower: { driver: relay }\nconsole: { driver: twin }\nupdater: { driver: sfu }\n');
    const r = await doctor(['--rig', join(m.root, 'rigs/bad.yaml'), '--json'], { env: m.env });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bad\.yaml:3:\d+: power\.pin: required/);
  });

  test('usage errors exit 2; --help leads with examples', async () => {
    expect((await doctor(['extra'])).exitCode).toBe(2);
    expect((await doctor(['--rgi', 'x'])).exitCode).toBe(2);
    const help = await doctor(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('usage: hil doctor [--rig RIG] [--json]');
    expect(help.stdout).toContain('hil doctor --rig pi-pico-sfu --json');
  });
});

describe('report', () => {
  test('runDoctor: a failing family marks the report not ok; the table shows fixes only under warn and fail', async () => {
    m = fakeMachine();
    const report = await runDoctor(m.env, undefined, [
      async () => [
        { id: 'a', title: 'A', status: 'ok', detail: 'fine', fix: 'never shown' },
        { id: 'b', title: 'B', status: 'fail', detail: 'broken', fix: 'do this' },
        { id: 'c', title: 'C', status: 'skip', detail: 'n/a' },
      ],
      async () => {
        throw new Error('boom');
      },
    ]);
    expect(report.ok).toBe(false);
    expect(report.checks.at(-1)).toMatchObject({ status: 'warn', detail: 'the check itself failed: boom' });
    const text = formatReport(report);
    expect(text).not.toContain('never shown');
    expect(text).toContain('  ✗ B  broken\n      fix: do this');
    expect(text).not.toContain('n/a');
    expect(formatReport(report, { showSkipped: true })).toContain('  - C  n/a');
  });
});
