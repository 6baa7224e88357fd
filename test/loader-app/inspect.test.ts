/**
 * Host-side inspection of loader-app dumps (src/schemes/loader-app/, reading headers through
 * src/images/fwup-header.ts) against what the twin actually does: after a cut at each flash
 * operation of an application update, the twin's console and the host's reading of its flash
 * must say the same thing (which program runs, or DFU mode). Plus dump files and bad dumps.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { SfuUploader } from '../../src/drivers/updater/sfu/index.js';
import { buildFwupBootloader, buildFwupImage } from '../../src/firmware/fwup-image.js';
import { InspectError } from '../../src/images/inspect-error.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import { formatLoaderAppInspection, inspectLoaderApp, type LoaderAppDump } from '../../src/schemes/loader-app/index.js';
import { FWUP_DUMP_REGIONS, LOADER_APP_SLOTS } from '../../src/targets/stm32f429-fwup.js';
import { LoaderAppTwin } from '../../src/twin/loader-app/device.js';
import type { LoaderAppVariant } from '../../src/twin/loader-app/variants.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';

const BOOT = buildFwupBootloader();
const LOADER = buildFwupImage({ type: 'loader', version: '1.0.0', size: 24 * 1024 });
const APP1 = buildFwupImage({ type: 'app', version: '1.0.0', size: 96 * 1024 });
const APP2 = buildFwupImage({ type: 'app', version: '2.0.0', size: 136 * 1024 });
const KNOWN = [
  { name: 'v1', slotImage: { slot2: APP1 } },
  { name: 'v2', slotImage: { slot2: APP2 } },
];

function dumpOf(twin: LoaderAppTwin): LoaderAppDump {
  return Object.fromEntries(FWUP_DUMP_REGIONS.map((r) => [r.name, twin.readMemory(r.base, r.size)])) as LoaderAppDump;
}

function factoryDump(slot1: Buffer | null = LOADER, slot2: Buffer | null = APP1): LoaderAppDump {
  const region = (name: 'boot' | 'slot1' | 'slot2', image: Buffer | null) => {
    const b = Buffer.alloc(LOADER_APP_SLOTS[name].size, 0xff);
    image?.copy(b);
    return b;
  };
  return { boot: region('boot', BOOT), slot1: region('slot1', slot1), slot2: region('slot2', slot2) };
}

describe('inspectLoaderApp on dumps built from the layout', () => {
  it('factory: the Loader starts the committed application', () => {
    const i = inspectLoaderApp(factoryDump(), { known: KNOWN });
    expect(i).toMatchObject({ bootsNext: 'slot2', jumps: true, loaderRuns: true });
    expect(i.slots.map((s) => [s.slot, s.valid, s.matches])).toEqual([
      ['boot', true, undefined],
      ['slot1', true, undefined],
      ['slot2', true, 'v1'],
    ]);
    expect(formatLoaderAppInspection(i)).toMatch(/boots next: slot2\n/);
  });

  it('slot 2 erased header (a cut before the commit): DFU mode, waiting', () => {
    const d = factoryDump();
    d.slot2.fill(0xff, 0, 32);
    const i = inspectLoaderApp(d, { known: KNOWN });
    expect(i).toMatchObject({ bootsNext: null, noBootAs: 'waiting' });
    expect(formatLoaderAppInspection(i)).toMatch(/boots next: none \(waiting\)/);
  });

  it('slot 1 zeroed: the bootloader falls back to slot 2; both gone: bricked', () => {
    const d = factoryDump();
    d.slot1.fill(0, 0, 32);
    expect(inspectLoaderApp(d)).toMatchObject({ bootsNext: 'slot2', loaderRuns: false });
    d.slot2.fill(0, 0, 32);
    expect(inspectLoaderApp(d)).toMatchObject({ bootsNext: null, noBootAs: 'bricked' });
  });

  it('a committed header over data that does not match its CRC is started, and said to be invalid', () => {
    const d = factoryDump();
    d.slot2.fill(0xff, 0x8000, 0x1_0000);
    const i = inspectLoaderApp(d, { known: KNOWN });
    expect(i.bootsNext).toBe('slot2');
    expect(i.slots[2]).toMatchObject({ valid: false });
    expect(i.bootPath.join('\n')).toMatch(/header was written before all of its data/);
  });

  it('refuses a missing or wrongly sized region, naming it', () => {
    const d = factoryDump();
    expect(() => inspectLoaderApp({ ...d, slot1: Buffer.alloc(10) })).toThrow(InspectError);
    expect(() => inspectLoaderApp({ ...d, slot1: Buffer.alloc(10) })).toThrow(/region slot1 is 10 B|region slot1 is .*expected/);
    expect(() => inspectLoaderApp({ boot: d.boot, slot2: d.slot2 } as unknown as LoaderAppDump)).toThrow(/region slot1 is missing/);
  });
});

describe('hil inspect --scheme loader-app: dump files', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads the three region files and the first 1 MiB of flash alike', async () => {
    dir = await mkdtemp(join(tmpdir(), 'loader-app-'));
    const d = factoryDump();
    for (const r of FWUP_DUMP_REGIONS) await writeFile(join(dir, `${r.name}.bin`), d[r.name]);
    await writeFile(join(dir, 'flash.bin'), Buffer.concat([d.boot, d.slot1, d.slot2]));
    const host = await schemeAdapter('loader-app');
    const known = [{ name: 'v1', slotImage: { slot2: APP1 } }];
    const a = await host.inspectFiles(
      ['boot', 'slot1', 'slot2'].map((n) => join(dir!, `${n}.bin`)),
      known,
    );
    const b = await host.inspectFiles([join(dir, 'flash.bin')], known);
    expect(a.table).toBe(b.table);
    expect(a.table).toMatch(/slot2 +yes +committed +app +1\.0\.0 +yes +yes +yes +v1/);
  });
});

describe('twin and host agree after a cut at each flash operation of an application update', () => {
  async function cutAt(variant: LoaderAppVariant, op: number): Promise<{ console: string; host: string }> {
    const clock = new VirtualClock();
    const twin = new LoaderAppTwin({ clock, variant, powerLoss: 'torn', seed: op });
    twin.programMemory(LOADER_APP_SLOTS.boot.base, BOOT);
    twin.programMemory(LOADER_APP_SLOTS.slot1.base, LOADER);
    twin.programMemory(LOADER_APP_SLOTS.slot2.base, APP1);
    const link = connectInProcess(twin, { baud: 921600 });
    const console = new Console({ link, clock, sfuFrames: true });
    try {
      twin.powerOn();
      await console.expect(/^hilrig-app 1\.0\.0/, { timeoutMs: 3000 });
      let n = 0;
      const off = twin.onEvent((e) => {
        if (e.kind === 'flash' && ++n === op) queueMicrotask(() => twin.powerOff());
      });
      await new SfuUploader({ channel: console, clock }).upload(APP2).catch(() => undefined);
      off();
      if (twin.powered) twin.powerOff();
      const from = console.lines.length;
      const i = inspectLoaderApp(dumpOf(twin), { known: KNOWN });
      twin.powerOn();
      await clock.sleep(1500);
      const text = console.lines.slice(from).map((l) => l.text);
      const banner = text.find((l) => l.startsWith('hilrig-app '));
      const crashed = text.some((l) => l.includes('HardFault'));
      const seen = banner ? `runs ${banner.split(' ')[1]}` : crashed ? 'boot-loop' : text.some((l) => l.startsWith('Entering DFU Mode')) ? 'waiting' : text.join('|');
      const next = i.slots.find((s) => s.slot === i.bootsNext);
      const host = !i.bootsNext ? i.noBootAs : !i.jumps ? 'boot-loop' : `runs ${next?.version}`;
      return { console: seen, host };
    } finally {
      console.close();
      clock.dispose();
    }
  }

  it.each(['correct', 'header-first'] as const)('%s', async (variant) => {
    const seen = new Set<string>();
    // ~80 flash operations (invalidate, 2 erases, 2 KiB programs, commit): every 3rd, and the last ones.
    for (const op of [1, 2, 3, ...Array.from({ length: 26 }, (_, k) => 4 + 3 * k), 76, 77, 78, 79, 80]) {
      const r = await cutAt(variant, op);
      expect({ op, ...r }).toEqual({ op, console: r.host, host: r.host });
      seen.add(r.host);
    }
    if (variant === 'correct') expect([...seen].sort()).toEqual(expect.arrayContaining(['waiting']));
    if (variant === 'correct') expect([...seen].every((s) => s === 'waiting' || s === 'runs 1.0.0' || s === 'runs 2.0.0')).toBe(true);
  });
});
