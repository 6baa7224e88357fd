import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DeviceError, RigError } from '../../src/core/errors.js';
import { OpenOcdProbe } from '../../src/drivers/flasher/openocd.js';

const here = dirname(fileURLToPath(import.meta.url));
const FAKE = join(here, 'fixtures', 'fake.cfg');
const HANG = join(here, 'fixtures', 'hang.cfg');
const FAKE_BIN = join(here, 'fixtures', 'fake-openocd-probe-missing.sh');

const fake = (extra: Partial<ConstructorParameters<typeof OpenOcdProbe>[0]> = {}) => new OpenOcdProbe({ target: 'generic', interfaceCfg: FAKE, timeoutMs: 5000, retryDelayMs: 10, ...extra });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hil-openocd-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('OpenOcdProbe against the real openocd + fake flash (reference §2.3)', () => {
  test('program of a small Buffer succeeds (exit 0, Programming Finished)', async () => {
    const r = await fake().flash(Buffer.alloc(256, 0x5a), 0x08000000, { verify: false });
    expect(r.outcome).toBe('ok');
    expect(r.exitCode).toBe(0);
    expect(r.log).toContain('** Programming Finished **');
  });

  test('verify failure: the testee target cannot checksum, so verify fails -> DeviceError', async () => {
    const p = fake();
    const r = await p.flash(Buffer.alloc(64, 1), 0x08000000, { verify: true });
    expect(r.outcome).toBe('verify-mismatch');
    expect(r.exitCode).toBe(1);
    expect(r.attempts).toBe(1); // not transient: no retry
    await expect(p.program(0x08000000, Buffer.alloc(64, 1))).rejects.toThrow(DeviceError);
  });

  test('dump_image: the fake target cannot read memory, so dump fails as a device read error naming the line', async () => {
    await expect(fake().dump([{ name: 'bank1', base: 0x08000000, size: 256 }])).rejects.toThrow(/read-error.*doesn't support read_memory/);
  });

  test('missing file -> file-missing (rig), line names the file', async () => {
    const r = await fake().flash(join(dir, 'nonexist.bin'), 0x08000000, { verify: false });
    expect(r.outcome).toBe('file-missing');
    expect(r.blame).toBe('rig');
    expect(r.line).toContain('nonexist.bin');
  });

  test('outside every bank: openocd exits 0 but the run is classified as failed', async () => {
    const r = await fake().flash(Buffer.alloc(64), 0x09000000, { verify: false });
    expect(r.exitCode).toBe(0);
    expect(r.outcome).toBe('outside-bank');
    expect(r.ok).toBe(false);
    expect(r.line).toBe('Warn : no flash bank found for address 0x09000000');
  });

  test('image bigger than the 64 KiB bank: exit 0, outside-bank', async () => {
    const r = await fake().flash(Buffer.alloc(0x20000), 0x08000000, { verify: false });
    expect(r.exitCode).toBe(0);
    expect(r.outcome).toBe('outside-bank');
  });

  test('hostile file names reach openocd as literals (no shell, TCL-quoted)', async () => {
    const hostile = join(dir, 'a b;shutdown.bin');
    await writeFile(hostile, Buffer.alloc(32, 7));
    const ok = await fake().flash(hostile, 0x08000000, { verify: false });
    expect(ok.outcome).toBe('ok');
    expect(ok.argv).toContain(`program {${hostile}} 0x08000000 exit`);
    const r = await fake().flash(join(dir, '$(touch pwned) [exit 0].bin'), 0x08000000, { verify: false });
    expect(r.outcome).toBe('file-missing');
    expect(r.line).toContain('$(touch pwned) [exit 0].bin');
  });

  test('timeout: a config that sleeps is killed within the timeout and reported as timeout (rig)', async () => {
    const t0 = Date.now();
    const p = fake({ configs: [HANG], timeoutMs: 500, killGraceMs: 500 });
    const r = await p.flash(Buffer.alloc(16), 0x08000000, { verify: false });
    expect(r.outcome).toBe('timeout');
    expect(r.blame).toBe('rig');
    // hang.cfg sleeps 100 s: finishing in well under that proves the kill, whatever the machine's speed.
    expect(Date.now() - t0).toBeLessThan(50_000);
    await expect(p.program(0x08000000, Buffer.alloc(16))).rejects.toThrow(RigError);
  });

  test('abort signal kills a running openocd', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await fake({ configs: [HANG], timeoutMs: 10000 }).flash(Buffer.alloc(16), 0x08000000, { verify: false, signal: ac.signal });
    expect(r.outcome).toBe('aborted');
  });

  test('probe missing (real cmsis-dap cfg, no USB): rig error, exit 1, reference §2.1 lines', async () => {
    const p = new OpenOcdProbe({ target: 'stm32f429', interfaceCfg: 'interface/cmsis-dap.cfg', attempts: 1, timeoutMs: 5000 });
    const r = await p.flash(Buffer.alloc(16), 0x08000000);
    expect(r.exitCode).toBe(1);
    expect(r.outcome).toBe('probe-missing');
    expect(r.line).toBe('Error: unable to find a matching CMSIS-DAP device');
    expect(r.log).toContain('** OpenOCD init failed **');
    await expect(p.program(0x08000000, Buffer.alloc(16))).rejects.toThrow(/probe-missing.*unable to find a matching CMSIS-DAP device/);
  });

  test('retries a transient probe-missing 3 times (FAKE BINARY: a script; real openocd cannot flap)', async () => {
    const log = join(dir, 'argv.log');
    process.env.FAKE_OPENOCD_LOG = log;
    const p = new OpenOcdProbe({ target: 'rp2040', interfaceCfg: 'interface/cmsis-dap.cfg', adapterSerial: 'E66 $x', binary: FAKE_BIN, attempts: 3, retryDelayMs: 10 });
    const r = await p.flash(Buffer.alloc(8), 0x10000000);
    expect(r.outcome).toBe('probe-missing');
    expect(r.attempts).toBe(3);
    const runs = (await readFile(log, 'utf8')).split('----\n').filter(Boolean);
    expect(runs).toHaveLength(3);
    expect(runs[0].split('\n')).toContain('adapter serial {E66 $x}');
  });

  test('nothing is retried for a non-transient outcome (real openocd, file missing)', async () => {
    const r = await fake({ attempts: 3 }).flash(join(dir, 'nope.bin'), 0x08000000, { verify: false });
    expect(r.attempts).toBe(1);
  });
});

describe('STM32F429 option bytes through options_read/options_write (fake openocd printing the stm32f2x lines)', () => {
  const BIN_OPTS = join(here, 'fixtures', 'fake-openocd-stm32-options.sh');
  const probe = () => new OpenOcdProbe({ target: 'stm32f429', interfaceCfg: 'interface/stlink.cfg', binary: BIN_OPTS, attempts: 1 });
  const runs = async (log: string) =>
    (await readFile(log, 'utf8'))
      .split('----\n')
      .filter(Boolean)
      .map((r) => r.split('\n').filter(Boolean));

  test('program() of the 16-byte block at 0x1FFFC000 sets BFB2 by options_write, keeping the other user bits', async () => {
    const log = join(dir, `opts-${Date.now()}.log`);
    process.env.FAKE_OPENOCD_LOG = log;
    const block = Buffer.from([0xfc, 0xaa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    await probe().program(0x1fffc000, block);
    const [read, write] = await runs(log);
    expect(read).toContain('stm32f2x options_read 0');
    expect(write).toContain('stm32f2x options_write 0 0x0FC');
    expect(write!.some((a) => a.startsWith('program'))).toBe(false);
  });

  test('no write when the user bits already match; RDP other than 0xAA is refused before openocd runs', async () => {
    const log = join(dir, `opts-same-${Date.now()}.log`);
    process.env.FAKE_OPENOCD_LOG = log;
    await probe().program(0x1fffc000, Buffer.from([0xec, 0xaa]));
    expect(await runs(log)).toHaveLength(1);
    await expect(probe().program(0x1fffc000, Buffer.from([0xec, 0xbb]))).rejects.toThrow(/refusing RDP 0xbb/);
    expect(await runs(log)).toHaveLength(1);
  });
});
