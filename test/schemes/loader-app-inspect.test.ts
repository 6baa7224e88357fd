/**
 * `hil inspect --scheme loader-app` with a RAM dump: the 256 B of shared RAM at 0x2000_0000 laid
 * out by hand from seed 001 and memfault's example (shared_memory.c: magic u32 0x0badcafe, flags
 * u32 with DFU_REQUESTED = bit 0, boot_counter u8; loader.c: DFU request first, then 3 attempts),
 * never taken from the twin; what the Loader then does; and a committed Updater in slot 2 (it
 * waits for a Loader). Bad RAM dumps get errors naming the file and the sizes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFwupBootloader, buildFwupImage } from '../../src/firmware/fwup-image.js';
import { InspectError } from '../../src/images/inspect-error.js';
import { formatLoaderAppInspection, inspectLoaderApp, loadLoaderAppDump, type LoaderAppDump } from '../../src/schemes/loader-app/index.js';
import { LOADER_APP_SLOTS } from '../../src/targets/stm32f429-fwup.js';
import { hil } from '../cli/hil.js';

const BOOT = buildFwupBootloader();
const LOADER = buildFwupImage({ type: 'loader', version: '1.0.0', size: 24 * 1024 });
const APP1 = buildFwupImage({ type: 'app', version: '1.0.0', size: 96 * 1024 });
const UPDATER = buildFwupImage({ type: 'updater', version: '1.0.0', size: 40 * 1024 });

function flash(slot1: Buffer | null = LOADER, slot2: Buffer | null = APP1): LoaderAppDump {
  const region = (name: 'boot' | 'slot1' | 'slot2', image: Buffer | null) => {
    const b = Buffer.alloc(LOADER_APP_SLOTS[name].size, 0xff);
    image?.copy(b);
    return b;
  };
  return { boot: region('boot', BOOT), slot1: region('slot1', slot1), slot2: region('slot2', slot2) };
}

/** The shared RAM as the example lays it out; the rest of the 256 B is whatever the programs left. */
function ram(fields: { magic?: number; flags?: number; counter?: number } = {}): Buffer {
  const b = Buffer.alloc(256, 0xa5);
  b.writeUInt32LE(fields.magic ?? 0x0badcafe, 0);
  b.writeUInt32LE(fields.flags ?? 0, 4);
  b[8] = fields.counter ?? 0;
  return b;
}

describe('the shared RAM decides before slot 2 does', () => {
  it('magic good, no request, counter 0: the Loader starts the application (attempt 1)', () => {
    const i = inspectLoaderApp({ ...flash(), ram: ram() });
    expect(i).toMatchObject({ bootsNext: 'slot2', jumps: true, ram: { magicOk: true, dfuRequested: false, bootCounter: 0, decision: 'start-slot2', reinitialised: false } });
    expect(i.ramDecides).toBeUndefined();
    const table = formatLoaderAppInspection(i);
    expect(table).toContain('shared RAM at 0x20000000: magic 0x0BADCAFE (ok), flags 0x00000000, boot counter 0');
    expect(table).toMatch(/the Loader starts slot 2 if it holds a committed image \(attempt 1\)/);
    expect(table).toMatch(/boots next: slot2\n/);
    expect(table).not.toContain('taken as clear');
  });

  it('DFU requested: DFU mode although slot 2 holds a committed application', () => {
    const i = inspectLoaderApp({ ...flash(), ram: ram({ flags: 1, counter: 1 }) });
    expect(i).toMatchObject({ bootsNext: null, noBootAs: 'waiting', ramDecides: 'dfu-requested', ram: { dfuRequested: true } });
    const table = formatLoaderAppInspection(i);
    expect(table).toContain('flags 0x00000001 (DFU requested)');
    expect(table).toContain('DFU requested: the Loader enters DFU mode (and clears the request)');
    expect(table).toContain('slot 2 holds a committed app 1.0.0, not started this time: the Loader waits in DFU mode');
    expect(table).toContain('boots next: none (waiting: dfu-requested)');
  });

  it('boot counter at 3: app unstable, DFU mode; at 2: one more attempt', () => {
    const unstable = inspectLoaderApp({ ...flash(), ram: ram({ counter: 3 }) });
    expect(unstable).toMatchObject({ bootsNext: null, noBootAs: 'waiting', ramDecides: 'app-unstable' });
    expect(formatLoaderAppInspection(unstable)).toMatch(/boot counter 3 >= 3: .*"App unstable"/);
    expect(inspectLoaderApp({ ...flash(), ram: ram({ counter: 200 }) }).ramDecides).toBe('app-unstable');
    const third = inspectLoaderApp({ ...flash(), ram: ram({ counter: 2 }) });
    expect(third.bootsNext).toBe('slot2');
    expect(formatLoaderAppInspection(third)).toContain('(attempt 3)');
  });

  it('magic wrong (power-up contents): re-initialised, so a stale request and counter do not count', () => {
    const i = inspectLoaderApp({ ...flash(), ram: ram({ magic: 0xd00df00d, flags: 1, counter: 7 }) });
    expect(i).toMatchObject({ bootsNext: 'slot2', ram: { magicOk: false, reinitialised: true, effective: { dfuRequested: false, bootCounter: 0 } } });
    expect(formatLoaderAppInspection(i)).toContain('magic 0xD00DF00D (expected 0x0BADCAFE)');
    expect(formatLoaderAppInspection(i)).toMatch(/re-initialises the shared RAM \(no DFU request, boot counter 0\)/);
  });

  it('a DFU request with slot 2 empty: DFU mode either way', () => {
    const i = inspectLoaderApp({ ...flash(LOADER, null), ram: ram({ flags: 1 }) });
    expect(i).toMatchObject({ bootsNext: null, noBootAs: 'waiting', ramDecides: 'dfu-requested' });
    expect(i.bootPath.join('\n')).toContain('slot 2 has no committed image (erased) either');
  });

  it('no valid Loader: the bootloader starts slot 2 itself and never reads the RAM', () => {
    const d = flash();
    d.slot1.fill(0, 0, 32);
    const i = inspectLoaderApp({ ...d, ram: ram({ flags: 1, counter: 3 }) });
    expect(i).toMatchObject({ bootsNext: 'slot2', loaderRuns: false });
    expect(i.ramDecides).toBeUndefined();
    expect(i.bootPath.join('\n')).toContain('falls back to slot 2 (it does not read the shared RAM)');
  });

  it('without a RAM dump the flags are taken as clear, and it says so', () => {
    const i = inspectLoaderApp(flash());
    expect(i.ram).toBeUndefined();
    expect(formatLoaderAppInspection(i)).toContain('(DFU flag and boot counter taken as clear: no RAM dump given)');
  });

  it('refuses a RAM dump of the wrong size, naming the sizes', () => {
    expect(() => inspectLoaderApp({ ...flash(), ram: Buffer.alloc(192 * 1024) })).toThrow(InspectError);
    expect(() => inspectLoaderApp({ ...flash(), ram: Buffer.alloc(9) })).toThrow(/loader-app RAM dump is 9 bytes \(0x9\), expected 256 bytes \(0x100\): the shared RAM from 0x20000000/);
  });
});

describe('a committed Updater in slot 2', () => {
  it('started by the Loader or by the fallback, it waits for a Loader: waiting, not a start of slot 2', () => {
    const i = inspectLoaderApp(flash(LOADER, UPDATER));
    expect(i).toMatchObject({ bootsNext: null, noBootAs: 'waiting', updaterWaits: true, jumps: false });
    expect(formatLoaderAppInspection(i)).toContain('boots next: none (waiting: the Updater waits for a Loader)');
    const d = flash(LOADER, UPDATER);
    d.slot1.fill(0, 0, 32);
    expect(inspectLoaderApp(d)).toMatchObject({ bootsNext: null, noBootAs: 'waiting', updaterWaits: true, loaderRuns: false });
  });
});

describe('RAM dump files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loader-app-ram-'));
    const d = flash();
    for (const n of ['boot', 'slot1', 'slot2'] as const) writeFileSync(join(dir, `${n}.bin`), d[n]);
    writeFileSync(join(dir, 'shared.bin'), ram({ counter: 3 }));
    writeFileSync(join(dir, 'sram.bin'), Buffer.alloc(192 * 1024));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const regions = () => ['boot', 'slot1', 'slot2'].map((n) => join(dir, `${n}.bin`));

  it('reads a RAM dump of any name beside the region files', async () => {
    const d = await loadLoaderAppDump(regions(), join(dir, 'shared.bin'));
    expect(inspectLoaderApp(d).ramDecides).toBe('app-unstable');
  });

  it('a missing RAM file or a whole-SRAM dump: an error naming the file, the sizes and how to take it', async () => {
    await expect(loadLoaderAppDump(regions(), join(dir, 'nope.bin'))).rejects.toThrow(`loader-app RAM dump ${join(dir, 'nope.bin')}: cannot read it (no such file)`);
    const err = await loadLoaderAppDump(regions(), join(dir, 'sram.bin')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InspectError);
    expect((err as InspectError).message).toBe(
      `loader-app RAM dump ${join(dir, 'sram.bin')} is 196608 bytes (0x30000), expected 256 bytes (0x100): the shared RAM only, 256 bytes from 0x20000000 (OpenOCD: dump_image ram.bin 0x20000000 256)`,
    );
    expect((err as InspectError).file).toBe(join(dir, 'sram.bin'));
  });
});

describe('hil inspect --scheme loader-app --ram (the built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loader-app-cli-'));
    const d = flash();
    writeFileSync(join(dir, 'flash.bin'), Buffer.concat([d.boot, d.slot1, d.slot2]));
    writeFileSync(join(dir, 'ram.bin'), ram({ flags: 1 }));
    writeFileSync(join(dir, 'short.bin'), Buffer.alloc(128));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a whole-flash dump and a RAM dump: the DFU request keeps the Loader in DFU mode', async () => {
    const r = await hil(['inspect', '--scheme', 'loader-app', join(dir, 'flash.bin'), '--ram', join(dir, 'ram.bin')]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('flags 0x00000001 (DFU requested)');
    expect(r.stdout).toContain('boots next: none (waiting: dfu-requested)');
    const doc = JSON.parse((await hil(['inspect', '--scheme', 'loader-app', join(dir, 'flash.bin'), '--ram', join(dir, 'ram.bin'), '--json'])).stdout);
    expect(doc).toMatchObject({ bootsNext: null, ramDecides: 'dfu-requested', ram: { magic: 0x0badcafe, dfuRequested: true, bootCounter: 0 } });
  });

  it('bad RAM dumps and a scheme without one: exit 2 and a message naming what is wrong', async () => {
    const short = await hil(['inspect', '--scheme', 'loader-app', join(dir, 'flash.bin'), '--ram', join(dir, 'short.bin')]);
    expect(short.exitCode).toBe(2);
    expect(short.stderr).toContain(`loader-app RAM dump ${join(dir, 'short.bin')} is 128 bytes (0x80), expected 256 bytes (0x100)`);
    const missing = await hil(['inspect', '--scheme', 'loader-app', join(dir, 'flash.bin'), '--ram', join(dir, 'missing.bin')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('missing.bin: cannot read it (no such file)');
    const other = await hil(['inspect', '--scheme', 'mcuboot-swap', join(dir, 'flash.bin'), '--ram', join(dir, 'ram.bin')]);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain('--ram: mcuboot-swap keeps no boot state in RAM that its inspection reads (--ram is for loader-app)');
  });

  it('--help lists --ram with an example, and each target once', async () => {
    const r = await hil(['inspect', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--ram FILE');
    expect(r.stdout).toContain('loader-app: 256 B at 0x20000000');
    expect(r.stdout).toMatch(/hil inspect --scheme loader-app .* --ram dump\/ram\.bin/);
    const targets = /implied by the scheme \(([^)]*)\)/.exec(r.stdout)![1]!.split(' | ');
    expect(targets.length).toBe(new Set(targets).size);
    expect(targets).toContain('stm32f429');
  });
});
