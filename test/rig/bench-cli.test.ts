/**
 * `hil flash`, `hil dump`, `hil power` and `hil pins` on a real-bench rig file: the real openocd
 * binary on the dummy-adapter fake target (reference §2.3), the console on a real socat pty,
 * and GPIO through a fake gpioset v2 on PATH (no kernel GPIO chip exists here).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { hil, ROOT } from '../cli/hil.js';
import { childNamed } from '../helpers/processes.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';
import { readLog } from '../gpio/helpers.js';

const GPIO_FAKES = join(ROOT, 'test/gpio/fixtures/v2');
const FAKE_CFG = join(ROOT, 'test/openocd/fixtures/fake.cfg');
const HANG_CFG = join(ROOT, 'test/openocd/fixtures/hang.cfg');
const FAKE_OPENOCD = join(ROOT, 'test/openocd/fixtures/fake-openocd-probe-missing.sh');
const BIN = join(ROOT, 'bin/hil.js');

for (const t of ['gpioset', 'gpiomon', 'gpiofind']) chmodSync(join(GPIO_FAKES, t), 0o755);
chmodSync(FAKE_OPENOCD, 0o755);

interface Bench {
  dir: string;
  rig: string;
  gpioLog: string;
  env: Record<string, string>;
}

async function bench(probe: string[] = [`  interface: ${FAKE_CFG}`, '  target: none'], extra: string[] = []): Promise<Bench> {
  const dir = await tempDir('hil-bench-');
  const pty = await startSocatPair();
  const rig = join(dir, 'bench.yaml');
  await writeFile(
    rig,
    [
      'name: bench-fake',
      'target: stm32f429',
      'scheme: stm32-dualbank',
      'gpio:',
      '  pins:',
      '    relay: { chip: gpiochip0, offset: 17 }',
      '    NRST: { chip: gpiochip0, offset: 27, activeLow: true }',
      '    BOOT0: { chip: gpiochip0, offset: 22 }',
      'power: { driver: relay, pin: relay, onSettleMs: 1, offSettleMs: 1, minOffMs: 10, offMs: 10 }',
      'reset: { pin: NRST, pulseMs: 5 }',
      `console: { driver: serial, port: ${pty.a}, baud: 115200 }`,
      'updater: { driver: probe }',
      'probe:',
      '  driver: openocd',
      '  timeoutMs: 10000',
      ...probe,
      ...extra,
    ].join('\n') + '\n',
  );
  const gpioLog = join(dir, 'gpio.log');
  return { dir, rig, gpioLog, env: { PATH: `${GPIO_FAKES}:${process.env.PATH}`, FAKE_GPIO_LOG: gpioLog } };
}

/** What the one gpioset owner was told: its initial argv, then each stdin line. */
function gpioStory(b: Bench): string[] {
  const recs = readLog(b.gpioLog);
  return recs.flatMap((r) =>
    r.tool === 'gpioset' && !r.argv?.includes('--version') ? [`start ${r.argv!.slice(r.argv!.indexOf('--') + 1).join(' ')}`] : r.stdin ? [r.stdin] : r.signal ? [r.signal] : [],
  );
}

afterEach(stopAllSocat);

describe('hil flash on a real-bench rig (real openocd, fake flash; fake gpioset v2)', () => {
  test('powers the target through the relay, programs, and leaves the rig in its safe state', async () => {
    const b = await bench();
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(1024, 0xa5));
    const r = await hil(['flash', '--rig', b.rig, img, '--no-verify', '--json'], { env: b.env });
    expect(r.stderr).toContain('programming');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, rig: 'bench-fake', address: '0x08000000', bytes: 1024, outcome: 'ok', exitCode: 0, attempts: 1 });
    // relay off (safe) and NRST released at start, relay on for the flash, relay off again on exit.
    expect(gpioStory(b)).toEqual(['start 17=0 27=1 22=0', 'set 17=1', 'set 17=0', 'set 17=0 27=1 22=0', 'SIGTERM']);
  });

  test('flash needs no console: a rig whose serial adapter is not there still flashes', async () => {
    const b = await bench();
    await writeFile(b.rig, readFileSync(b.rig, 'utf8').replace(/port: \S+,/, 'port: /dev/serial/by-id/not-plugged-in,'));
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(256, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--no-verify', '--json'], { env: b.env });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, outcome: 'ok' });
  });

  test('--erase erases the first bank with the real openocd first; --recover is nrf52840 only', async () => {
    const b = await bench();
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(256, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--erase', '--no-verify', '-v'], { env: b.env });
    expect(r.stderr).toContain('mass erase');
    expect(r.exitCode).toBe(0);
    const rec = await hil(['flash', '--rig', b.rig, img, '--recover'], { env: b.env });
    expect(rec.exitCode).toBe(2);
    expect(rec.stderr).toContain('--recover: APPROTECT recovery is nrf52840 only');
  });

  test('verify on a target that cannot read back: device failure, exit 1, safe state anyway', async () => {
    const b = await bench();
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(64, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--json'], { env: b.env });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, outcome: 'verify-mismatch', blame: 'device' });
    expect(r.stderr).toMatch(/flash .*app\.bin: verify-mismatch/);
    expect(gpioStory(b).slice(-2)).toEqual(['set 17=0 27=1 22=0', 'SIGTERM']);
  });

  test('an address outside every bank fails although openocd exits 0', async () => {
    const b = await bench();
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(64, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--address', '0x09000000', '--no-verify', '--json'], { env: b.env });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, outcome: 'outside-bank', exitCode: 0, line: 'Warn : no flash bank found for address 0x09000000' });
  });

  test("a probe that is not plugged in is the rig's fault: exit 3, retried", async () => {
    const b = await bench(['  interface: interface/cmsis-dap.cfg']);
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(64, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--json'], { env: b.env });
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, outcome: 'probe-missing', blame: 'rig', attempts: 3 });
    expect(r.stderr).toContain('unable to find a matching CMSIS-DAP device');
  });

  test("a hung openocd is killed at the rig's timeoutMs: exit 3", async () => {
    const b = await bench([`  interface: ${FAKE_CFG}`, '  target: none', `  configs: [${HANG_CFG}]`]);
    await writeFile(b.rig, readFileSync(b.rig, 'utf8').replace('timeoutMs: 10000', 'timeoutMs: 700'));
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(64, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--no-verify', '--json'], { env: b.env });
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'timeout', blame: 'rig' });
  });

  test('Ctrl-C during a flash kills openocd and exits 4 with the rig safe', async () => {
    const b = await bench([`  interface: ${FAKE_CFG}`, '  target: none', `  configs: [${HANG_CFG}]`]);
    const img = join(b.dir, 'app.bin');
    await writeFile(img, Buffer.alloc(64, 1));
    const child = execa(process.execPath, [BIN, 'flash', '--rig', b.rig, img, '--no-verify'], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', ...b.env } });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    // Ctrl-C while openocd runs (hang.cfg sleeps): wait for that openocd, not for a guessed 800 ms.
    await waitFor('hil flash to say programming', () => /programming/.test(err));
    await waitFor('openocd running under hil flash', () => childNamed(child.pid!, 'openocd'));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(4);
    expect(err).toContain('interrupted');
    expect(gpioStory(b).slice(-2)).toEqual(['set 17=0 27=1 22=0', 'SIGTERM']);
  });

  test('usage errors: no image, an ELF with --address, an unreadable file', async () => {
    const b = await bench();
    expect((await hil(['flash', '--rig', b.rig], { env: b.env })).exitCode).toBe(2);
    await writeFile(join(b.dir, 'a.elf'), 'x');
    const elf = await hil(['flash', '--rig', b.rig, join(b.dir, 'a.elf'), '--address', '0x0'], { env: b.env });
    expect(elf.exitCode).toBe(2);
    expect(elf.stderr).toContain('carries its own addresses');
    const missing = await hil(['flash', '--rig', b.rig, join(b.dir, 'nope.bin')], { env: b.env });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('nope.bin: cannot read image');
    expect(gpioStory(b)).toEqual([]); // nothing was switched
  });
});

describe('hil run on a bench that cannot open', () => {
  test('every cut is broken with the reason, the summary names it, exit 3 (no gpioset on PATH)', async () => {
    const b = await bench();
    const reports = join(b.dir, 'reports');
    await writeFile(
      join(b.dir, 'pico.yaml'),
      readFileSync(b.rig, 'utf8').replace('target: stm32f429', 'target: rp2040').replace('scheme: stm32-dualbank', 'scheme: sfu-ab').replace('updater: { driver: probe }', 'updater: { driver: sfu }'),
    );
    const run = await hil(['run', 'suites/brownout-sfu-erase-running.yaml', '--rig', join(b.dir, 'pico.yaml'), '--reports', reports, '--no-html', '--json'], {
      env: { PATH: dirname(process.execPath) },
      timeoutMs: 120000,
    });
    expect(run.exitCode).toBe(3);
    const doc = JSON.parse(run.stdout);
    expect(doc.totals.broken).toBeGreaterThan(0);
    expect(doc.totals.passed + doc.totals.failed).toBe(0);
    expect(doc.cuts.every((c: { outcome: string; message: string }) => c.outcome === 'rig-error' && /pico\.yaml: gpio \(libgpiod\): .*gpioset not found/.test(c.message))).toBe(true);
  });
});

describe('hil dump', () => {
  test('on the fake target: the read fails as a device error naming the region (real openocd)', async () => {
    const b = await bench();
    const r = await hil(['dump', '--rig', b.rig, '--out', join(b.dir, 'd')], { env: b.env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/dump of bank1, bank2, options: read-error/);
  });

  test('on a twin rig: every region as hil inspect expects it, and inspect reads them', async () => {
    const dir = await tempDir('hil-dump-');
    const r = await hil(['dump', '--rig', 'twin-nrf52840-mcuboot', '--out', dir, '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.files.map((f: { region: string; bytes: number }) => `${f.region}:${f.bytes}`)).toEqual(['primary:421888', 'secondary:421888', 'scratch:122880']);
    expect((await readdir(dir)).sort()).toEqual(['primary.bin', 'scratch.bin', 'secondary.bin']);
    const i = await hil(['inspect', '--scheme', 'mcuboot-swap', ...doc.files.map((f: { file: string }) => f.file), '--json']);
    expect(i.exitCode).toBe(0);
    // A fresh twin's flash is erased, and inspect reads each file as its region.
    expect(JSON.parse(i.stdout).slots.map((x: { slot: string; base: number; problems: string[] }) => `${x.slot}@${x.base}: ${x.problems.join()}`)).toEqual([
      'primary@49152: erased (no image)',
      'secondary@471040: erased (no image)',
    ]);
  });
});

describe('hil power and hil pins (fake gpioset v2)', () => {
  test('power cycle --for 0: off, on, then the safe state; no console needed', async () => {
    const b = await bench();
    await writeFile(b.rig, readFileSync(b.rig, 'utf8').replace(/port: \S+,/, 'port: /dev/serial/by-id/not-plugged-in,'));
    const r = await hil(['power', 'cycle', '--rig', b.rig, '--for', '0', '--json'], { env: b.env });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, action: 'cycle', state: 'on', heldMs: 0 });
    expect(gpioStory(b)).toEqual(['start 17=0 27=1 22=0', 'set 17=0', 'set 17=1', 'set 17=0', 'set 17=0 27=1 22=0', 'SIGTERM']);
  });

  test('power on holds until Ctrl-C, which is a normal release (exit 0) back to the safe state', async () => {
    const b = await bench();
    const child = execa(process.execPath, [BIN, 'power', 'on', '--rig', b.rig], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', ...b.env } });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    await waitFor('hil power on to hold', () => /Ctrl-C releases/.test(err));
    expect(gpioStory(b)).toEqual(['start 17=0 27=1 22=0', 'set 17=1']);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(err).toContain('releasing');
    expect(gpioStory(b).slice(-3)).toEqual(['set 17=0', 'set 17=0 27=1 22=0', 'SIGTERM']);
  });

  test('pins: names match case-insensitively, levels are logical (activeLow NRST pulses low), safe levels at exit', async () => {
    const b = await bench();
    const r = await hil(['pins', '--rig', b.rig, 'boot0=1', 'NRST=pulse:20ms', '--for', '50ms', '--json'], { env: b.env });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.levels).toEqual({ relay: 0, NRST: 0, BOOT0: 1 });
    expect(doc.heldMs).toBeGreaterThanOrEqual(45);
    expect(gpioStory(b)).toEqual(['start 17=0 27=1 22=0', 'set 22=1', 'set 27=0', 'set 27=1', 'set 17=0', 'set 17=0 27=1 22=0', 'SIGTERM']);
  });

  test('pins: unknown pin, bad value and listing', async () => {
    const b = await bench();
    const bad = await hil(['pins', '--rig', b.rig, 'BOOT1=1'], { env: b.env });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('BOOT1: no such output pin');
    expect(bad.stderr).toContain('(outputs: relay, NRST, BOOT0)');
    const val = await hil(['pins', '--rig', b.rig, 'BOOT0=high'], { env: b.env });
    expect(val.exitCode).toBe(2);
    expect(val.stderr).toContain('expected 0, 1 or pulse:DURATION');
    const list = await hil(['pins', '--rig', b.rig, '--json'], { env: b.env });
    expect(JSON.parse(list.stdout).pins.map((p: { name: string; role: string }) => `${p.name}:${p.role}`)).toEqual(['relay:power', 'NRST:reset', 'BOOT0:']);
    expect(gpioStory(b)).toEqual([]);
  });
});

describe('hostile rig values reach programs as plain arguments', () => {
  test('adapter serial, config names and pin line names with shell and TCL metacharacters', async () => {
    const dir = await tempDir('hil-hostile-');
    const log = join(dir, 'openocd.log');
    const pwned = join(dir, 'pwned');
    const serial = `E66"; touch ${pwned}; $(touch ${pwned}) [exit 0] {`;
    const b = await bench([`  binary: ${FAKE_OPENOCD}`, `  interface: ${JSON.stringify(`interface/$(touch ${pwned}).cfg`)}`, `  adapterSerial: ${JSON.stringify(serial)}`]);
    await writeFile(b.rig, readFileSync(b.rig, 'utf8').replace('BOOT0: { chip: gpiochip0, offset: 22 }', `BOOT0: { line: ${JSON.stringify(`GPIO22;$(touch${pwned})`)} }`));
    const img = join(b.dir, 'a b;$(touch x).bin');
    await writeFile(img, Buffer.alloc(16));
    const r = await hil(['flash', '--rig', b.rig, img], { env: { ...b.env, FAKE_OPENOCD_LOG: log } });
    expect(r.stderr).toContain('unable to find a matching CMSIS-DAP device');
    expect(r.exitCode).toBe(3);
    const argv = readFileSync(log, 'utf8').split('----\n')[0]!.split('\n');
    expect(argv).toContain(`interface/$(touch ${pwned}).cfg`);
    expect(argv.some((a) => a.startsWith('adapter serial ') && a.includes('touch') && !a.includes('\n'))).toBe(true);
    expect(argv.some((a) => a.startsWith('program ') && a.includes('a b;$(touch x).bin'))).toBe(true);
    // Two owners: one per chip, one for the lines by name.
    expect(gpioStory(b).slice(0, 2)).toEqual(['start 17=0 27=1', `start GPIO22;$(touch${pwned})=0`]);
    expect(existsSync(pwned)).toBe(false);
  });

  test('uhubctl hub location and openocd target/configs with metacharacters stay single arguments', async () => {
    const dir = await tempDir('hil-hostile-');
    const pwned = join(dir, 'pwned');
    const hub = `1-1;touch ${pwned}`;
    const uhubctl = join(ROOT, 'test/gpio/fixtures/uhubctl');
    chmodSync(uhubctl, 0o755);
    const b = await bench([`  binary: ${FAKE_OPENOCD}`, `  target: ${JSON.stringify(`t $(touch ${pwned}).cfg`)}`, `  configs: [${JSON.stringify(`c\`touch ${pwned}\`.cfg`)}]`]);
    await writeFile(b.rig, readFileSync(b.rig, 'utf8').replace(/^power: .*$/m, `power: { driver: uhubctl, hub: ${JSON.stringify(hub)}, port: 2, binary: ${uhubctl}, minOffMs: 10 }`));
    const power = await hil(['power', 'cycle', '--rig', b.rig, '--for', '0'], { env: b.env });
    // The fake knows hubs 1-1 and 9-9 only: the whole string arrived as the location.
    expect(power.exitCode).toBe(3);
    expect(power.stderr).toContain(hub);
    const uh = readLog(b.gpioLog).find((r) => r.tool === 'uhubctl')!;
    expect(uh.argv!.slice(0, 2)).toEqual(['-l', hub]);
    const log = join(dir, 'openocd.log');
    const img = join(b.dir, 'x.bin');
    await writeFile(img, Buffer.alloc(16));
    await writeFile(b.rig, readFileSync(b.rig, 'utf8').replace(/^power: .*$/m, 'power: { driver: relay, pin: relay, onSettleMs: 1, offSettleMs: 1 }'));
    await hil(['flash', '--rig', b.rig, img], { env: { ...b.env, FAKE_OPENOCD_LOG: log } });
    const argv = readFileSync(log, 'utf8').split('----\n')[0]!.split('\n');
    expect(argv).toContain(`t $(touch ${pwned}).cfg`);
    expect(argv).toContain(`c\`touch ${pwned}\`.cfg`);
    expect(existsSync(pwned)).toBe(false);
  });
});
