import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { VirtualClock } from '../../src/core/clock.js';
import { buildMcubootImage, mcubootPendingBlock, mcubootTrailerWrites, MCUBOOT_TRAILER_MAGIC } from '../../src/firmware/mcuboot-image.js';
import { readAppInfo } from '../../src/protocols/appinfo.js';
import { NRF52840_NVMC, NRF52840_PARTITIONS as P } from '../../src/targets/nrf52840.js';
import type { FlashGeometry } from '../../src/twin/flash/geometry.js';
import { FlashError, NorFlash } from '../../src/twin/flash/nor-flash.js';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { McubootSwapTwin } from '../../src/twin/mcuboot-swap/device.js';
import type { McubootVariant } from '../../src/twin/mcuboot-swap/variants.js';
import { Rng } from '../../src/twin/rng.js';
import { sameBytes } from '../helpers/bytes.js';

const KIB = 1024;
const V1 = buildMcubootImage('1.0.0', 32 * KIB);
const V2 = buildMcubootImage('2.0.0', 32 * KIB, { seed: 1 });
const S = P.primary.size;

let clocks: VirtualClock[] = [];
afterEach(() => {
  for (const c of clocks) c.dispose();
  clocks = [];
});

function bench(opts: { variant?: McubootVariant; powerLoss?: PowerLossMode; confirmAfterMs?: number | null; factory?: Buffer } = {}) {
  const clock = new VirtualClock();
  clocks.push(clock);
  const twin = new McubootSwapTwin({ clock, variant: opts.variant, powerLoss: opts.powerLoss ?? 'skip', confirmAfterMs: opts.confirmAfterMs });
  let text = '';
  twin.onUartTx((b) => (text += b.toString('latin1')));
  const events: { t: number; e: TwinEvent }[] = [];
  twin.onEvent((e) => events.push({ t: clock.now(), e }));
  twin.programMemory(P.primary.base, opts.factory ?? V1);
  let mark = 0;
  return {
    clock,
    twin,
    events,
    /** Console text since the last mark() */
    get text() {
      return text.slice(mark);
    },
    mark() {
      mark = text.length;
    },
    stage(image: Buffer, permanent = false) {
      twin.programMemory(P.secondary.base, image);
      const blk = mcubootPendingBlock(S, { permanent });
      twin.programMemory(P.secondary.base + blk.offset, blk.bytes);
    },
    banners(): string[] {
      return [...text.slice(mark).matchAll(/hilrig-app (\S+) running from slot primary/g)].map((m) => m[1]!);
    },
    async boot(ms = 20_000) {
      mark = text.length;
      if (twin.powered) twin.powerOff();
      twin.powerOn();
      await clock.sleep(ms);
    },
    trailer(base: number) {
      const t = twin.readMemory(base + S - 48, 48);
      return { magic: t.subarray(32).equals(MCUBOOT_TRAILER_MAGIC), imageOk: t[24], copyDone: t[16], swapInfo: t[8] };
    },
  };
}

describe('nRF52840 NVMC flash model', () => {
  const g: FlashGeometry = NRF52840_NVMC;
  it('writes whole aligned words only, 41 us each, and erases 4 KiB pages in 85 ms', () => {
    const f = new NorFlash(g);
    expect(() => f.program(2, Buffer.alloc(4))).toThrow(FlashError);
    expect(() => f.program(0, Buffer.alloc(3))).toThrow(/whole aligned 4-byte words/);
    expect(() => f.erase(0x800, 4096)).toThrow(/not aligned/);
    const op = f.program(0x1000, Buffer.alloc(1024, 0));
    expect(op.durationMs).toBeCloseTo(256 * 0.041, 6);
    op.complete();
    expect(f.erase(0x1000, 4096).durationMs).toBe(85);
  });

  it('allows two writes per word between erases; a third lands with random bits cleared', () => {
    const f = new NorFlash(g);
    f.program(0x2000, Buffer.from([0xfe, 0xff, 0xff, 0xff])).complete();
    f.program(0x2000, Buffer.from([0xfc, 0xff, 0xff, 0xff])).complete();
    expect(f.overWrites).toBe(0);
    expect([...f.read(0x2000, 4)]).toEqual([0xfc, 0xff, 0xff, 0xff]);
    f.program(0x2000, Buffer.from([0xf8, 0xff, 0xff, 0xff])).complete();
    expect(f.overWrites).toBe(1);
    const e = f.erase(0x2000, 4096);
    e.complete();
    f.program(0x2000, Buffer.from([0x01, 0xff, 0xff, 0xff])).complete();
    f.program(0x2000, Buffer.from([0x01, 0xff, 0xff, 0xff])).complete();
    expect(f.overWrites).toBe(1);
  });

  it('cuts: skip leaves nothing, complete lands, torn leaves k words and a partial one, torn erase leaves the page indeterminate', () => {
    const data = Buffer.alloc(1024, 0x00);
    const f = new NorFlash(g);
    const snap = f.snapshot();
    expect(f.program(0, data).interrupt('skip', 0.5, new Rng(1))).toBe('skip');
    expect(f.isErased(0, 1024)).toBe(true);
    f.program(0, data).interrupt('complete', 0.5, new Rng(1));
    expect(f.read(0, 1024).every((b) => b === 0)).toBe(true);
    f.restore(snap);
    f.program(0, data).interrupt('torn', 0.5, new Rng(7));
    const got = f.read(0, 1024);
    expect(got.subarray(0, 512).every((b) => b === 0)).toBe(true);
    expect(got.subarray(516).every((b) => b === 0xff)).toBe(true);
    f.writeRaw(0x3000, Buffer.alloc(4096, 0));
    f.erase(0x3000, 4096).interrupt('torn', 0.5, new Rng(3));
    const page = f.read(0x3000, 4096);
    const ones = page.reduce((n, b) => n + (b === 0xff ? 1 : 0), 0);
    expect(ones).toBeGreaterThan(0);
    expect(ones).toBeLessThan(4096);
  });
});

describe('MCUboot image builder (imgtool-like)', () => {
  it('lays out the header, payload and TLVs per reference §2.1–2.2', () => {
    const img = buildMcubootImage('1.2.3+4', 0x1000);
    expect(img.readUInt32LE(0)).toBe(0x96f3b83d);
    expect(img.readUInt32LE(4)).toBe(0);
    expect(img.readUInt16LE(8)).toBe(0x200);
    expect(img.readUInt16LE(10)).toBe(0);
    expect(img.readUInt32LE(12)).toBe(0x1000);
    expect(img.readUInt32LE(16)).toBe(0);
    expect([img[20], img[21], img.readUInt16LE(22), img.readUInt32LE(24)]).toEqual([1, 2, 3, 4]);
    expect(img.subarray(32, 0x200).every((b) => b === 0)).toBe(true);
    const tlv = 0x200 + 0x1000;
    expect(img.readUInt16LE(tlv)).toBe(0x6907);
    expect(img.readUInt16LE(tlv + 2)).toBe(40);
    expect(img.readUInt16LE(tlv + 4)).toBe(0x10);
    expect(img.readUInt16LE(tlv + 6)).toBe(32);
    expect(img.subarray(tlv + 8, tlv + 40)).toEqual(createHash('sha256').update(img.subarray(0, tlv)).digest());
    expect(img.length).toBe(tlv + 40);
  });

  it('payload: vector table at offset 0 (SP in SRAM, PC into the code), app info linked for 0xC200', () => {
    const img = buildMcubootImage('2.0.0', 0x2000);
    const payload = img.subarray(0x200);
    expect(payload.readUInt32LE(0)).toBe(0x2004_0000);
    const pc = payload.readUInt32LE(4);
    expect(pc & 1).toBe(1);
    expect(pc).toBeGreaterThan(0xc200 + 0x240);
    expect(pc).toBeLessThan(0xc200 + 0x2000);
    const info = readAppInfo(payload);
    expect(info).toMatchObject({ version: '2.0.0', linkBase: 0xc200, imageLength: 0x2000 });
  });

  it('--pad test/confirm writes the trailer magic (and image_ok) at the slot end', () => {
    const t = buildMcubootImage('1.0.0', 0x1000, { pad: 'test' });
    const c = buildMcubootImage('1.0.0', 0x1000, { pad: 'confirm' });
    expect(t.length).toBe(S);
    expect(t.subarray(S - 16)).toEqual(MCUBOOT_TRAILER_MAGIC);
    expect(t[S - 24]).toBe(0xff);
    expect(c[S - 24]).toBe(0x01);
    expect(t.subarray(S - 40, S - 16).every((b) => b === 0xff)).toBe(true);
  });

  it('boot_set_pending writes: magic, image_ok if permanent, swap_info; word-aligned', () => {
    const w = mcubootTrailerWrites(S, { permanent: true });
    expect(w.map((x) => [x.offset, x.bytes.toString('hex')])).toEqual([
      [S - 16, MCUBOOT_TRAILER_MAGIC.toString('hex')],
      [S - 24, '01ffffff'],
      [S - 40, '03ffffff'],
    ]);
    expect(mcubootTrailerWrites(S, { permanent: false }).map((x) => x.bytes.toString('hex'))).toEqual([MCUBOOT_TRAILER_MAGIC.toString('hex'), '02ffffff']);
    for (const x of w) expect([x.offset % 4, x.bytes.length % 4]).toEqual([0, 0]);
    expect(() => buildMcubootImage('1.0', 0x1000)).toThrow(RangeError);
    expect(() => buildMcubootImage('1.0.0', S)).toThrow(/does not fit/);
  });
});

describe('MCUboot swap-scratch twin: upgrades', () => {
  it('boots a directly flashed image with the MCUboot log lines', async () => {
    const b = bench();
    await b.boot(3000);
    expect(b.text).toContain('I: Starting bootloader');
    expect(b.text).toContain('I: Swap type: none');
    expect(b.text).toContain('I: Bootloader chainload address offset: 0xc000');
    expect(b.text).toContain('I: Jumping to the first image slot');
    expect(b.text).toMatch(/hilrig-app 1\.0\.0 running from slot primary @0x0000c000 build [0-9a-f]{16}/);
  });

  it('TEST upgrade: the new image runs; without a confirm the next reset reverts to the old one', async () => {
    const b = bench({ confirmAfterMs: null });
    b.stage(V2);
    await b.boot();
    expect(b.text).toContain('I: Swap type: test');
    expect(b.text).toContain('I: Starting swap using scratch algorithm.');
    expect(b.banners()).toEqual(['2.0.0']);
    expect(b.trailer(P.primary.base)).toMatchObject({ magic: true, copyDone: 1, imageOk: 0xff });
    expect(b.trailer(P.secondary.base).magic).toBe(false);
    expect(sameBytes(b.twin.readMemory(P.secondary.base, V1.length), V1)).toBeUndefined();
    await b.boot();
    expect(b.text).toContain('I: Swap type: revert');
    expect(b.banners()).toEqual(['1.0.0']);
    expect(b.trailer(P.primary.base)).toMatchObject({ magic: true, copyDone: 1, imageOk: 1 });
    expect(sameBytes(b.twin.readMemory(P.primary.base, V1.length), V1)).toBeUndefined();
    expect(sameBytes(b.twin.readMemory(P.secondary.base, V2.length), V2)).toBeUndefined();
    await b.boot(3000);
    expect(b.text).toContain('I: Swap type: none');
    expect(b.twin.flash.overWrites).toBe(0);
  });

  it('a full swap of a 32 KiB image takes seconds of virtual time at real NVMC timings', async () => {
    const b = bench();
    b.stage(V2);
    await b.boot();
    const start = b.events.find((x) => x.e.kind === 'phase' && x.e.name === 'swap')!.t;
    const end = b.events.find((x) => x.e.kind === 'boot' && x.e.image === 'app')!.t;
    expect(end - start).toBeGreaterThan(3000);
    expect(end - start).toBeLessThan(15000);
  });

  it('confirms itself after confirmAfterMs: the next reset keeps the new image', async () => {
    const b = bench({ confirmAfterMs: 500 });
    b.stage(V2);
    await b.boot();
    expect(b.text).toContain('confirmed');
    expect(b.trailer(P.primary.base).imageOk).toBe(1);
    await b.boot(3000);
    expect(b.text).toContain('I: Swap type: none');
    expect(b.banners()).toEqual(['2.0.0']);
  });

  it('confirms on the console command `confirm`', async () => {
    const b = bench({ confirmAfterMs: null });
    b.stage(V2);
    await b.boot();
    expect(b.trailer(P.primary.base).imageOk).toBe(0xff);
    b.twin.uartRx(Buffer.from('confirm\n'));
    await b.clock.sleep(100);
    expect(b.text).toContain('confirmed');
    expect(b.trailer(P.primary.base).imageOk).toBe(1);
    await b.boot(3000);
    expect(b.banners()).toEqual(['2.0.0']);
  });

  it('PERM upgrade: never reverts, image_ok set by the bootloader', async () => {
    const b = bench({ confirmAfterMs: null });
    b.stage(V2, true);
    await b.boot();
    expect(b.text).toContain('I: Swap type: perm');
    expect(b.trailer(P.primary.base)).toMatchObject({ magic: true, copyDone: 1, imageOk: 1 });
    await b.boot(3000);
    expect(b.banners()).toEqual(['2.0.0']);
  });

  it('an imgtool --pad --confirm image flashed to the secondary is a PERM request', async () => {
    const b = bench({ confirmAfterMs: null });
    b.twin.programMemory(P.secondary.base, buildMcubootImage('3.0.0', 32 * KIB, { pad: 'confirm' }));
    await b.boot();
    expect(b.text).toContain('I: Swap type: perm');
    expect(b.banners()).toEqual(['3.0.0']);
  });

  it('a secondary that fails its hash is erased and the primary boots', async () => {
    const b = bench();
    const bad = Buffer.from(V2);
    bad[0x400] ^= 0xff;
    b.stage(bad);
    await b.boot();
    expect(b.text).toContain('E: Image in the secondary slot is not valid!');
    expect(b.banners()).toEqual(['1.0.0']);
    expect(b.twin.flash.isErased(P.secondary.base, S)).toBe(true);
  });

  it('a primary that fails validation: "Unable to find bootable image" and silence', async () => {
    const b = bench();
    const bad = Buffer.from(V1);
    bad[0x300] ^= 1;
    b.twin.programMemory(P.primary.base, bad);
    await b.boot(3000);
    expect(b.text).toContain('E: Unable to find bootable image');
    expect(b.banners()).toEqual([]);
  });

  it('a test image that faults is reverted after the watchdog reset (never-revert boot-loops)', async () => {
    const crash = buildMcubootImage('2.0.0', 32 * KIB, { linkBase: P.secondary.base + 0x200 });
    const ok = bench({ confirmAfterMs: null });
    ok.stage(crash);
    await ok.boot(30_000);
    expect(ok.text).toContain('=== ERROR HardFault ===');
    expect(ok.banners()).toEqual(['1.0.0']);
    const bad = bench({ variant: 'never-revert', confirmAfterMs: null });
    bad.stage(crash);
    await bad.boot(30_000);
    expect(bad.banners()).toEqual([]);
    expect(bad.text.match(/HardFault/g)!.length).toBeGreaterThan(3);
  });
});

describe('MCUboot swap-scratch twin: resume after a cut in each swap state', () => {
  // A 130 KiB image spans two regions (30 + 3 sectors): idx 1 and idx 2 each pass states 1..3.
  const big1 = buildMcubootImage('1.0.0', 130 * KIB);
  const big2 = buildMcubootImage('2.0.0', 130 * KIB, { seed: 2 });
  const details: string[] = [];
  for (const idx of [1, 2]) for (const state of [1, 2, 3]) details.push(`idx ${idx} state ${state}`);

  it.each(details)('a cut in %s resumes from the journal and ends with the new image (both modes)', async (detail) => {
    for (const mode of ['skip', 'torn'] as const) {
      const b = bench({ factory: big1, powerLoss: mode });
      b.stage(big2);
      let cut = false;
      b.twin.onEvent((e) => {
        if (!cut && e.kind === 'phase' && e.detail === detail) {
          cut = true;
          // Well inside the step: after its first erase or copy started.
          b.clock.setTimer(150, () => b.twin.powerOff());
        }
      });
      b.twin.powerOn();
      await b.clock.sleep(40_000);
      expect(cut).toBe(true);
      await b.boot(40_000);
      expect(b.text).toMatch(/I: Boot source: (primary slot|scratch)/);
      // Before record 1 of region 1 there is no journal yet: the swap simply starts over.
      if (detail === 'idx 1 state 1') expect(b.text).toMatch(/I: Resuming interrupted test swap|I: Swap type: test/);
      else expect(b.text).toContain('I: Resuming interrupted test swap');
      expect(b.banners()).toEqual(['2.0.0']);
      expect(sameBytes(b.twin.readMemory(P.primary.base, big2.length), big2)).toBeUndefined();
      expect(sameBytes(b.twin.readMemory(P.secondary.base, big1.length), big1)).toBeUndefined();
      expect(b.twin.flash.overWrites).toBe(0);
    }
  });

  it('a near-full image swaps its trailer sector through the scratch (status in the scratch) and survives a cut there', async () => {
    const full1 = buildMcubootImage('1.0.0', S - 0x200 - 40 - 2048);
    const full2 = buildMcubootImage('2.0.0', S - 0x200 - 40 - 2048, { seed: 3 });
    const b = bench({ factory: full1 });
    // The image reaches the trailer page: stage it as one imgtool --pad image.
    b.twin.programMemory(P.secondary.base, buildMcubootImage('2.0.0', S - 0x200 - 40 - 2048, { seed: 3, pad: 'test' }));
    let cut = false;
    b.twin.onEvent((e) => {
      if (!cut && e.kind === 'phase' && e.detail === 'idx 1 state 2') {
        cut = true;
        b.clock.setTimer(100, () => b.twin.powerOff());
      }
    });
    b.twin.powerOn();
    await b.clock.sleep(120_000);
    await b.boot(200_000);
    expect(b.text).toContain('I: Boot source: scratch');
    expect(b.banners()).toEqual(['2.0.0']);
    expect(sameBytes(b.twin.readMemory(P.primary.base, full2.length), full2)).toBeUndefined();
    expect(b.twin.flash.overWrites).toBe(0);
  });
});
