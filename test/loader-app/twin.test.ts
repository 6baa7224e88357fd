/**
 * The loader-app twin (seed 001) on a virtual clock: what starts at reset, DFU mode, an
 * application update through the unchanged SfuUploader with the header committed last, cuts
 * during that update, and the seeded bugs of this slice.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { SfuUploader } from '../../src/drivers/updater/sfu/index.js';
import { buildFwupBootloader, buildFwupImage } from '../../src/firmware/fwup-image.js';
import { checkFwupSlot } from '../../src/images/fwup-header.js';
import { LOADER_APP_SLOTS } from '../../src/targets/stm32f429-fwup.js';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import { LoaderAppTwin } from '../../src/twin/loader-app/device.js';
import type { LoaderAppVariant } from '../../src/twin/loader-app/variants.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';

const BOOT = buildFwupBootloader();
const LOADER = buildFwupImage({ type: 'loader', version: '1.0.0', size: 24 * 1024 });
const LOADER2 = buildFwupImage({ type: 'loader', version: '1.1.0', size: 28 * 1024 });
const APP1 = buildFwupImage({ type: 'app', version: '1.0.0', size: 160 * 1024 });
const APP2 = buildFwupImage({ type: 'app', version: '2.0.0', size: 200 * 1024 });
const UPDATER = buildFwupImage({ type: 'updater', version: '1.0.0', size: 40 * 1024 });
const CRASHES = buildFwupImage({ type: 'app', version: '2.0.1', size: 64 * 1024, linkBase: 0x0803_0000 });
const { boot: BOOT_SLOT, slot1: SLOT1, slot2: SLOT2 } = LOADER_APP_SLOTS;

function bench(opts: { slot1?: Buffer | null; slot2?: Buffer | null; variant?: LoaderAppVariant; powerLoss?: PowerLossMode } = {}) {
  const clock = new VirtualClock();
  const twin = new LoaderAppTwin({ clock, variant: opts.variant ?? 'correct', powerLoss: opts.powerLoss ?? 'torn', seed: 1 });
  twin.programMemory(BOOT_SLOT.base, BOOT);
  if (opts.slot1 !== null) twin.programMemory(SLOT1.base, opts.slot1 ?? LOADER);
  if (opts.slot2 !== null) twin.programMemory(SLOT2.base, opts.slot2 ?? APP1);
  const link = connectInProcess(twin, { baud: 921600 });
  const console = new Console({ link, clock, sfuFrames: true });
  const uploader = new SfuUploader({ channel: console, clock });
  const events: { t: number; e: TwinEvent }[] = [];
  twin.onEvent((e) => events.push({ t: clock.now(), e }));
  const line = async (re: RegExp, fromLine = 0, timeoutMs = 3000) => (await console.expect(re, { timeoutMs, fromLine })).line.text;
  const text = (from = 0) => console.lines.slice(from).map((l) => l.text);
  const slot = (s: typeof SLOT1, accept: Parameters<typeof checkFwupSlot>[2]) => checkFwupSlot(twin.readMemory(s.base, s.size), s, accept);
  return { clock, twin, console, uploader, events, line, text, slot };
}

let current: ReturnType<typeof bench> | undefined;
afterEach(() => {
  current?.console.close();
  current?.clock.dispose();
  current = undefined;
});

describe('loader-app twin: what starts at reset', () => {
  it('factory: bootloader -> Loader -> application, boot counter 1 then cleared once the app is stable (500 ms by default)', async () => {
    const b = (current = bench());
    b.twin.powerOn();
    expect(await b.line(/^hilrig-app /)).toMatch(/^hilrig-app 1\.0\.0 running from slot slot2 @0x08020000 build [0-9a-f]{16}$/);
    expect(b.text()).toEqual(expect.arrayContaining(['Loader 1.0.0 started', 'Shared memory uninitialized, setting magic', 'Booting slot 2 (app 1.0.0), attempt 1']));
    expect(b.events.filter((x) => x.e.kind === 'boot').map((x) => (x.e as { slot: string }).slot)).toEqual(['boot', 'slot1', 'slot2']);
    expect(b.twin.sharedRam.bootCounter).toBe(1);
    await b.line(/^Marking app as stable$/);
    expect(b.twin.sharedRam.bootCounter).toBe(0);
  });

  it('no committed application in slot 2: the Loader says so and waits in DFU mode', async () => {
    const b = (current = bench({ slot2: null }));
    b.twin.powerOn();
    await b.line(/^Entering DFU Mode/);
    expect(b.text()).toContain('No image found in slot 2');
    await b.clock.sleep(2000);
    expect(b.text().some((l) => /hilrig-app|HardFault/.test(l))).toBe(false);
  });

  it('a zeroed (invalidated) Loader header: the bootloader falls back to slot 2', async () => {
    const b = (current = bench({ slot2: UPDATER }));
    b.twin.programMemory(SLOT1.base, Buffer.alloc(32, 0)); // erases sector 1 then writes zeros: no Loader
    b.twin.powerOn();
    expect(await b.line(/^hilrig-updater /)).toMatch(/1\.0\.0 running from slot slot2/);
    expect(b.text()).toContain('boot: no valid Loader in slot 1, starting slot 2');
  });

  it('no valid Loader and nothing in slot 2: the bootloader says it cannot boot and stays', async () => {
    const b = (current = bench({ slot1: null, slot2: null }));
    b.twin.powerOn();
    await b.line(/Unable to find bootable image/);
  });

  it('an application that crashes at start: watchdog resets keep SRAM, and after 3 attempts the Loader stays in DFU mode', async () => {
    const b = (current = bench({ slot2: CRASHES }));
    b.twin.powerOn();
    await b.line(/^App unstable, dropping back into DFU mode$/, 0, 5000);
    const t = b.text();
    expect(t.filter((l) => l === '=== ERROR HardFault ===')).toHaveLength(3);
    expect(t.filter((l) => /^Booting slot 2/.test(l))).toEqual(['Booting slot 2 (app 2.0.1), attempt 1', 'Booting slot 2 (app 2.0.1), attempt 2', 'Booting slot 2 (app 2.0.1), attempt 3']);
    expect(t.filter((l) => l === 'Shared memory uninitialized, setting magic')).toHaveLength(1);
    await b.clock.sleep(2000);
    expect(b.text().filter((l) => l === '=== ERROR HardFault ===')).toHaveLength(3);
  });
});

describe('loader-app twin: application update (DFU in the Loader)', () => {
  it('the app reboots into DFU mode on the uploader INFO poll; data first, header last; then the new app runs', async () => {
    const b = (current = bench());
    b.twin.powerOn();
    await b.line(/^hilrig-app 1\.0\.0/);
    const r = await b.uploader.upload(APP2);
    expect(r).toMatchObject({ ok: true, verdict: 'crc-ok', slotBase: 0x0802_0000, bytes: APP2.length });
    expect(await b.line(/^hilrig-app 2\.0\.0/, b.console.lines.length)).toMatch(/running from slot slot2 @0x08020000/);
    expect(b.twin.readMemory(SLOT2.base, APP2.length).equals(APP2)).toBe(true);
    expect(b.text()).toEqual(expect.arrayContaining(['Rebooting into DFU mode', 'DFU requested', 'COMMIT slot2 app 2.0.0']));
    const phases = b.events.filter((x) => x.e.kind === 'phase').map((x) => (x.e as { name: string }).name);
    expect(phases).toEqual(['dfu', 'invalidate', 'erase', 'write', 'verify', 'commit']);
    // The invalidation is one program of 32 zero bytes over the old header, before any erase;
    // the commit is the last two programs: header words 1-7, then the magic word.
    const flash = b.events.filter((x) => x.e.kind === 'flash').map((x) => x.e as { op: string; address: number; length: number });
    expect(flash[0]).toMatchObject({ op: 'program', address: 0x0802_0000, length: 32 });
    expect(flash[1]).toMatchObject({ op: 'erase', address: 0x0802_0000 });
    expect(flash.slice(-2)).toEqual([expect.objectContaining({ op: 'program', address: 0x0802_0004, length: 28 }), expect.objectContaining({ op: 'program', address: 0x0802_0000, length: 4 })]);
    expect(flash.slice(2, -2).every((f) => f.op === 'erase' || f.address >= 0x0802_0020)).toBe(true);
  });

  it('a cut at every 25th flash operation of the update leaves the old app (before the invalidation), DFU mode, or the new app: never a half-written one', async () => {
    const seen = new Set<string>();
    for (let cutAt = 1; cutAt < 120; cutAt += 25) {
      const b = (current = bench());
      b.twin.powerOn();
      await b.line(/^hilrig-app 1\.0\.0/);
      let n = 0;
      const off = b.twin.onEvent((e) => {
        if (e.kind === 'flash' && ++n === cutAt) queueMicrotask(() => b.twin.powerOff());
      });
      await b.uploader.upload(APP2).catch(() => undefined);
      off();
      if (b.twin.powered) b.twin.powerOff();
      const from = b.console.lines.length;
      b.twin.powerOn();
      await b.clock.sleep(1500);
      const t = b.text(from);
      const check = b.slot(SLOT2, ['app', 'updater']);
      const banner = t.find((l) => l.startsWith('hilrig-app '));
      const state = banner ? banner.split(' ')[1]! : t.some((l) => l.startsWith('Entering DFU Mode')) ? 'dfu' : 'other';
      expect({ cutAt, state: state === 'other' ? t.join('|') : 'ok' }).toEqual({ cutAt, state: 'ok' });
      if (state === '2.0.0') expect(check.valid).toBe(true);
      if (state === 'dfu') expect(check.valid).toBe(false);
      expect(t.some((l) => l.includes('HardFault'))).toBe(false);
      seen.add(state);
      b.console.close();
      b.clock.dispose();
      current = undefined;
    }
    expect(seen.has('dfu')).toBe(true);
  });

  it('a cut during the update, then the host sends the image again to the waiting Loader: updated', async () => {
    const b = (current = bench());
    b.twin.powerOn();
    await b.line(/^hilrig-app 1\.0\.0/);
    let n = 0;
    const off = b.twin.onEvent((e) => {
      if (e.kind === 'flash' && ++n === 40) queueMicrotask(() => b.twin.powerOff());
    });
    await b.uploader.upload(APP2).catch(() => undefined);
    off();
    b.twin.powerOn();
    await b.line(/^Entering DFU Mode/, b.console.lines.length);
    const r = await b.uploader.upload(APP2);
    expect(r.ok).toBe(true);
    await b.line(/^hilrig-app 2\.0\.0/, b.console.lines.length);
  });
});

describe('loader-app twin: Loader update through the Updater', () => {
  it('Updater into slot 2, the Updater writes the new Loader, which then waits for the application', async () => {
    const b = (current = bench());
    b.twin.powerOn();
    await b.line(/^hilrig-app 1\.0\.0/);
    expect((await b.uploader.upload(UPDATER)).ok).toBe(true);
    await b.line(/^hilrig-updater 1\.0\.0/, b.console.lines.length);
    expect((await b.uploader.upload(LOADER2)).ok).toBe(true);
    await b.line(/^Loader 1\.1\.0 started$/, b.console.lines.length);
    await b.line(/^Entering DFU Mode/, b.console.lines.length);
    expect(b.twin.readMemory(SLOT1.base, LOADER2.length).equals(LOADER2)).toBe(true);
    expect((await b.uploader.upload(APP2)).ok).toBe(true);
    await b.line(/^hilrig-app 2\.0\.0/, b.console.lines.length);
  });
});

describe('loader-app twin: seeded bugs', () => {
  it('header-first: a cut in the middle of the data leaves a committed header over a half-written app, and the Loader starts it', async () => {
    const b = (current = bench({ variant: 'header-first' }));
    b.twin.powerOn();
    await b.line(/^hilrig-app 1\.0\.0/);
    let n = 0;
    const off = b.twin.onEvent((e) => {
      if (e.kind === 'flash' && ++n === 60) queueMicrotask(() => b.twin.powerOff());
    });
    await b.uploader.upload(APP2).catch(() => undefined);
    off();
    const from = b.console.lines.length;
    b.twin.powerOn();
    expect(await b.line(/^hilrig-app /, from)).toMatch(/^hilrig-app 2\.0\.0/);
    const check = b.slot(SLOT2, ['app']);
    expect(check).toMatchObject({ state: 'committed', crcOk: false, valid: false });
  });

  it('erase-to-invalidate: a cut 1 % (10 ms) into the first sector erase leaves the old header over half-erased code: a crash loop; the correct design stays in DFU mode', async () => {
    for (const [variant, expected] of [
      ['erase-to-invalidate', 'boot-loop'],
      ['correct', 'dfu'],
    ] as const) {
      const b = (current = bench({ variant }));
      b.twin.powerOn();
      await b.line(/^hilrig-app 1\.0\.0/);
      const off = b.twin.onEvent((e) => {
        if (e.kind === 'flash' && e.op === 'erase') b.clock.setTimer(10, () => b.twin.powerOff());
      });
      await b.uploader.upload(APP2).catch(() => undefined);
      off();
      const from = b.console.lines.length;
      b.twin.powerOn();
      await b.clock.sleep(1000);
      const t = b.text(from);
      const seen = t.some((l) => l.includes('HardFault')) ? 'boot-loop' : t.some((l) => l.startsWith('Entering DFU Mode')) ? 'dfu' : t.join('|');
      expect({ variant, seen }).toEqual({ variant, seen: expected });
      b.console.close();
      b.clock.dispose();
      current = undefined;
    }
  });

  it('no-slot2-fallback: with slot 1 invalidated the bootloader starts it anyway and the core faults in a loop', async () => {
    const b = (current = bench({ variant: 'no-slot2-fallback', slot2: UPDATER }));
    b.twin.programMemory(SLOT1.base, Buffer.alloc(32, 0));
    b.twin.powerOn();
    await b.clock.sleep(1000);
    expect(b.text().filter((l) => l === '=== ERROR HardFault ===').length).toBeGreaterThanOrEqual(3);
    expect(b.text().some((l) => l.startsWith('hilrig-updater'))).toBe(false);
  });
});
