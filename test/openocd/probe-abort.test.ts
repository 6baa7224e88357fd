/**
 * Probe operations stop on an abort (Ctrl-C during a baseline): the real openocd on the
 * dummy-adapter fake target, with `program` replaced by one that never finishes
 * (fixtures/hang-program.cfg). The running openocd is killed before the operation rejects, and it
 * rejects with the abort's reason (an interruption, exit 4), not a rig error (exit 3).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RigError } from '../../src/core/errors.js';
import { OpenOcdProbe } from '../../src/drivers/flasher/openocd.js';
import { TwinProbe } from '../../src/drivers/flasher/twin-probe.js';
import { createTwin } from '../../src/drivers/device/twin.js';
import { VirtualClock } from '../../src/core/clock.js';
import { SFU_SLOTS } from '../../src/targets/rp2040.js';
import { childNamed } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait-for.js';

const here = dirname(fileURLToPath(import.meta.url));
const FAKE = join(here, 'fixtures', 'fake.cfg');
const HANG_PROGRAM = join(here, 'fixtures', 'hang-program.cfg');
const FAKE_BIN = join(here, 'fixtures', 'fake-openocd-probe-missing.sh');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hil-openocd-abort-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('OpenOcdProbe operations stop on an abort (real openocd, fake target)', () => {
  test('program: the running openocd is killed, and the call rejects with the abort reason', async () => {
    const probe = new OpenOcdProbe({ target: 'generic', interfaceCfg: FAKE, configs: [HANG_PROGRAM], timeoutMs: 120_000, killGraceMs: 500 });
    const ac = new AbortController();
    const reason = new Error('Ctrl-C (test)');
    const programming = probe.program(0x08000000, Buffer.alloc(256, 0x5a), { signal: ac.signal });
    programming.catch(() => {});
    const pid = await waitFor('openocd to be running the program', () => childNamed(process.pid, 'openocd'));
    ac.abort(reason);
    await expect(programming).rejects.toBe(reason);
    // Rejected only once the process is gone: nothing is left writing to the target.
    expect(running(pid) && childNamed(process.pid, 'openocd') === pid).toBe(false);
  }, 60_000);

  test('without a signal the same program ends only at its timeout, as a rig error (the hang is real)', async () => {
    const probe = new OpenOcdProbe({ target: 'generic', interfaceCfg: FAKE, configs: [HANG_PROGRAM], timeoutMs: 1500, killGraceMs: 500, attempts: 1 });
    const err = await probe.program(0x08000000, Buffer.alloc(16)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/timeout/);
  }, 60_000);

  test('an operation asked for after the abort never starts openocd (FAKE BINARY logging its runs)', async () => {
    const log = join(dir, 'runs.log');
    process.env.FAKE_OPENOCD_LOG = log;
    const probe = new OpenOcdProbe({ target: 'rp2040', interfaceCfg: 'interface/cmsis-dap.cfg', binary: FAKE_BIN, attempts: 3, retryDelayMs: 10 });
    const ac = new AbortController();
    ac.abort(new Error('stopped'));
    await expect(probe.massErase({ signal: ac.signal })).rejects.toThrow('stopped');
    await expect(probe.program(0x10000000, Buffer.alloc(8), { signal: ac.signal })).rejects.toThrow('stopped');
    await expect(probe.dump([{ name: 'slotA', base: 0x10000000, size: 256 }], { signal: ac.signal })).rejects.toThrow('stopped');
    expect(existsSync(log) ? await readFile(log, 'utf8') : '').toBe('');
  });

  test('mass erase and dump are stopped the same way (real openocd, a config that hangs at start)', async () => {
    const HANG = join(here, 'fixtures', 'hang.cfg');
    const probe = new OpenOcdProbe({ target: 'generic', interfaceCfg: FAKE, configs: [HANG], timeoutMs: 120_000, killGraceMs: 500 });
    for (const op of [(s: AbortSignal) => probe.massErase({ signal: s }), (s: AbortSignal) => probe.dump([{ name: 'bank', base: 0x08000000, size: 64 }], { signal: s })]) {
      const ac = new AbortController();
      const reason = new Error('Ctrl-C (test)');
      const p = op(ac.signal);
      p.catch(() => {});
      const pid = await waitFor('openocd to be running', () => childNamed(process.pid, 'openocd'));
      ac.abort(reason);
      await expect(p).rejects.toBe(reason);
      expect(childNamed(process.pid, 'openocd') === pid && running(pid)).toBe(false);
    }
  }, 60_000);
});

describe('TwinProbe: an abort takes effect between operations (a real twin device)', () => {
  test('nothing is written or read once the signal is aborted', async () => {
    const clock = new VirtualClock();
    const device = createTwin('sfu-ab', { clock, variant: 'correct', powerLoss: 'skip', seed: 1 });
    const probe = new TwinProbe(device);
    const ac = new AbortController();
    await probe.massErase({ signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(probe.program(SFU_SLOTS.A.base, Buffer.alloc(256, 0x5a), { signal: ac.signal })).rejects.toThrow('stop');
    await expect(probe.massErase({ signal: ac.signal })).rejects.toThrow('stop');
    await expect(probe.dump([{ name: 'slotA', base: SFU_SLOTS.A.base, size: 256 }], { signal: ac.signal })).rejects.toThrow('stop');
    // The program that was refused left the erased flash as it was.
    expect(device.readMemory(SFU_SLOTS.A.base, 256).every((b) => b === 0xff)).toBe(true);
    clock.dispose();
  });
});
