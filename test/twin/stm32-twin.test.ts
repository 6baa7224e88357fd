import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { SfuUploader } from '../../src/drivers/updater/sfu/index.js';
import { buildStm32Image } from '../../src/firmware/stm32-image.js';
import { SfuCode, decodeInfoReply, encodeFrame } from '../../src/protocols/sfu/index.js';
import { STM32_BANKS, STM32_FACTORY_OPTIONS, STM32_SECTORS, STM32F429, withBfb2 } from '../../src/targets/stm32f429.js';
import { FlashError, NorFlash } from '../../src/twin/flash/nor-flash.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { Rng } from '../../src/twin/rng.js';
import { Stm32DualBankTwin } from '../../src/twin/stm32-dualbank/device.js';
import { STM32F429_FLASH } from '../../src/twin/stm32-dualbank/geometry.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';

const V1 = buildStm32Image('1.0.0', 160 * 1024, 1);
const V2 = buildStm32Image('2.0.0', 256 * 1024, 2);
const V3 = buildStm32Image('3.0.0', 200 * 1024, 3);
const OPT = STM32F429.optionBytes.base;
const B1 = STM32_BANKS.bank1.base;
const B2 = STM32_BANKS.bank2.base;

function bench(opts: { bank1?: Buffer; bank2?: Buffer; bfb2?: boolean } = {}) {
  const clock = new VirtualClock();
  const twin = new Stm32DualBankTwin({ clock, powerLoss: 'torn', seed: 1 });
  if (opts.bank1) twin.programMemory(B1, opts.bank1);
  if (opts.bank2) twin.programMemory(B2, opts.bank2);
  if (opts.bfb2) twin.programMemory(OPT, withBfb2(STM32_FACTORY_OPTIONS, true));
  const link = connectInProcess(twin, { baud: 921600 });
  const console = new Console({ link, clock, sfuFrames: true });
  const uploader = new SfuUploader({ channel: console, clock });
  const events: { t: number; e: TwinEvent }[] = [];
  twin.onEvent((e) => events.push({ t: clock.now(), e }));
  const banner = async (fromLine = 0, timeoutMs = 3000) => (await console.expect(/^hilrig-app /, { timeoutMs, fromLine })).line.text;
  const text = (from = 0) => console.lines.slice(from).map((l) => l.text);
  return { clock, twin, link, console, uploader, events, banner, text };
}

let current: ReturnType<typeof bench> | undefined;
afterEach(() => {
  current?.console.close();
  current?.clock.dispose();
  current = undefined;
});

const popcount = (buf: Buffer) => [...buf].reduce((n, b) => n + [...b.toString(2)].filter((c) => c === '1').length, 0);

describe('STM32F429 flash model', () => {
  it('has the RM0090 sector map: 4 x 16K, 64K, 7 x 128K per bank, with x32 erase times', async () => {
    expect(STM32_SECTORS).toHaveLength(24);
    expect(STM32_SECTORS[4]).toMatchObject({ index: 4, address: 0x0801_0000, size: 0x1_0000, eraseMs: 550 });
    expect(STM32_SECTORS[12]).toMatchObject({ index: 12, inBank: 0, bank: 'bank2', address: 0x0810_0000, size: 0x4000, eraseMs: 250 });
    expect(STM32_SECTORS[23]).toMatchObject({ address: 0x081e_0000, size: 0x2_0000, eraseMs: 1000 });
    const f = new NorFlash(STM32F429_FLASH);
    f.writeRaw(B1, Buffer.alloc(0x4_0000, 0));
    const op = f.erase(0x0802_0000, 0x2_0000);
    expect(op.durationMs).toBe(1000);
    op.complete();
    expect(f.isErased(0x0802_0000, 0x2_0000)).toBe(true);
    expect(f.isErased(0x0801_0000, 16)).toBe(false);
    expect(f.sectorAt(0x0810_5000)).toEqual({ address: 0x0810_4000, size: 0x4000 });
    expect(() => f.erase(0x0802_0000, 0x4000)).toThrow(/128K|131072 bytes/);
    expect(() => f.erase(0x0802_4000, 0x4000)).toThrow(FlashError);
  });

  it('programs runs of whole words, 16 µs a word, 1->0 only (no write limit)', () => {
    const f = new NorFlash(STM32F429_FLASH);
    const p = f.program(B1, Buffer.alloc(16, 0x0f));
    expect(p.durationMs).toBeCloseTo(0.064);
    p.complete();
    for (let i = 0; i < 5; i++) f.program(B1, Buffer.from([0xf3, 0xff, 0xff, 0xff])).complete();
    expect([...f.read(B1, 5)]).toEqual([0x03, 0x0f, 0x0f, 0x0f, 0x0f]);
    expect(f.overWrites).toBe(0);
    // A run of words is one model operation of n x 16 us, up to 2 KiB without crossing a 2 KiB boundary.
    expect(f.program(B1 + 0x100, Buffer.alloc(2048 - 0x100)).durationMs).toBeCloseTo((0.016 * (2048 - 0x100)) / 4);
    expect(() => f.program(B1 + 0x7f0, Buffer.alloc(32))).toThrow(/crosses/);
    expect(() => f.program(B1 + 2, Buffer.alloc(4))).toThrow(/whole aligned 4-byte words/);
  });

  it('power loss: skip, complete, torn write (k words, then a partial one), torn erase (bits only go back to 1)', () => {
    const f = new NorFlash(STM32F429_FLASH);
    const rng = new Rng(5);
    expect(f.program(B1, Buffer.alloc(16, 0)).interrupt('skip', 0.5, rng)).toBe('skip');
    expect(f.isErased(B1, 16)).toBe(true);
    f.program(B1, Buffer.alloc(16, 0)).interrupt('complete', 0.1, rng);
    expect(popcount(f.read(B1, 16))).toBe(0);

    f.program(B1 + 16, Buffer.alloc(16, 0)).interrupt('torn', 0.3, rng); // k = 1
    const row = f.read(B1 + 16, 16);
    expect(row.readUInt32LE(0)).toBe(0);
    expect(popcount(row.subarray(4, 8))).toBeGreaterThan(0);
    expect(popcount(row.subarray(4, 8))).toBeLessThan(32);
    expect(row.subarray(8).every((b) => b === 0xff)).toBe(true);

    f.writeRaw(B2, Buffer.alloc(0x4000, 0x5a));
    f.erase(B2, 0x4000).interrupt('torn', 0.5, rng);
    const after = f.read(B2, 0x4000);
    expect(after.every((b) => (b & 0x5a) === 0x5a)).toBe(true); // never a 1 turned to 0
    expect(after.some((b) => b !== 0x5a)).toBe(true);
    expect(after.some((b) => b !== 0xff)).toBe(true);
  });
});

describe('stm32-dualbank twin: what starts at reset (AN2606)', () => {
  it('BFB2 set: bank 2 when its SP is in SRAM, remapped (banner shows the physical bank)', async () => {
    const b = (current = bench({ bank1: V1, bank2: V2, bfb2: true }));
    b.twin.powerOn();
    expect(await b.banner()).toMatch(/^hilrig-app 2\.0\.0 running from slot bank2 @0x08100000 build [0-9a-f]{16}$/);
    expect(b.events.filter((x) => x.e.kind === 'boot').map((x) => x.e)).toEqual([
      { kind: 'boot', image: 'bootloader', slot: 'rom' },
      { kind: 'boot', image: 'app', slot: 'bank2' },
    ]);
  });

  it('BFB2 set: falls back to bank 1 when bank 2 has no SP in SRAM (erased, or one word above the top of SRAM)', async () => {
    const b = (current = bench({ bank1: V1, bfb2: true }));
    b.twin.powerOn();
    expect(await b.banner()).toMatch(/1\.0\.0 running from slot bank1 @0x08000000/);
    const top = Buffer.from(V2);
    top.writeUInt32LE(STM32F429.sramEnd + 4, 0);
    b.twin.powerOff();
    b.twin.programMemory(B2, top);
    const from = b.console.lines.length;
    b.twin.powerOn();
    expect(await b.banner(from)).toMatch(/1\.0\.0 running from slot bank1/);
  });

  it('BFB2 set, neither bank has an SP in SRAM: the ROM stays in the system bootloader, silent', async () => {
    const b = (current = bench({ bfb2: true }));
    b.twin.powerOn();
    await b.clock.sleep(3000);
    expect(b.console.lines).toHaveLength(0);
    expect(b.events.some((x) => x.e.kind === 'boot' && x.e.image === 'app')).toBe(false);
  });

  it('BFB2 clear: bank 1 starts directly, unchecked: bank 2 is ignored, an erased bank 1 faults in a loop', async () => {
    const b = (current = bench({ bank2: V2 }));
    b.twin.powerOn();
    await b.clock.sleep(1000);
    const t = b.text();
    expect(t.filter((l) => l === '=== ERROR HardFault ===').length).toBeGreaterThanOrEqual(5);
    expect(t.some((l) => l.startsWith('hilrig-app'))).toBe(false);
    expect(b.events.some((x) => x.e.kind === 'boot' && x.e.image === 'bootloader')).toBe(false);
  });

  it('the trap: a half-written bank 2 whose vector table is intact is started (no CRC, no header check)', async () => {
    // Only the first 16 KiB sector of V2: vectors, header, info block, the reset handler; the rest erased.
    const b = (current = bench({ bank1: V1, bank2: V2.subarray(0, 0x4000), bfb2: true }));
    b.twin.powerOn();
    expect(await b.banner()).toMatch(/2\.0\.0 running from slot bank2/);
    // Just the vector table: the reset handler at 0x300 is still erased: HardFault loop.
    b.twin.powerOff();
    b.twin.programMemory(B2, V2.subarray(0, 0x100));
    const from = b.console.lines.length;
    b.twin.powerOn();
    await b.clock.sleep(1000);
    expect(b.text(from).filter((l) => l === '=== ERROR HardFault ===').length).toBeGreaterThanOrEqual(5);
  });
});

describe('stm32-dualbank twin: the OTA app over SFU 0x0100', () => {
  it('answers INFO as the F4 original, naming the other bank at 0x08100000', async () => {
    const b = (current = bench({ bank1: V1 }));
    const frames: { code: number; body: Buffer }[] = [];
    b.console.onFrame((f) => frames.push(f));
    b.twin.powerOn();
    await b.banner();
    await b.link.write(encodeFrame('host', SfuCode.INFO));
    await b.clock.sleep(10);
    expect(frames[0]!.code).toBe(SfuCode.HWRESET);
    const info = decodeInfoReply(frames.find((f) => f.code === SfuCode.INFO)!.body);
    expect(info).toMatchObject({ sfuVersion: 0x0100, slotKib: 1024, rxBufferSize: 0x1c000, mainStartFrom: 0x0810_0000, mainRunFrom: 0x0810_0000, cpuType: 0x1003_0419 });
  });

  it('updates bank 2 from bank 1, then bank 1 from bank 2, through the unchanged SfuUploader', async () => {
    const b = (current = bench({ bank1: V1 }));
    b.twin.powerOn();
    expect(await b.banner()).toMatch(/^hilrig-app 1\.0\.0 running from slot bank1 @0x08000000/);
    const t0 = b.clock.now();
    const r = await b.uploader.upload(V2);
    expect(r).toMatchObject({ ok: true, verdict: 'crc-ok', slotBase: 0x0810_0000, bytes: V2.length });
    expect(await b.banner(b.console.lines.length)).toMatch(/^hilrig-app 2\.0\.0 running from slot bank2 @0x08100000/);
    const firstUpdateMs = b.clock.now() - t0;
    expect(b.twin.bfb2).toBe(true);
    expect(b.twin.readMemory(B2, V2.length).equals(V2)).toBe(true);
    expect(b.twin.readMemory(B1, V1.length).equals(V1)).toBe(true);
    const phases = b.events.filter((x) => x.e.kind === 'phase').map((x) => (x.e as { name: string }).name);
    expect(phases).toEqual(['erase', 'write', 'verify', 'commit', 'bfb2']);
    expect(b.text()).toEqual(expect.arrayContaining(['CRC OK', 'COMMIT bank2', 'boot bank2 selected (BFB2=1)']));

    const t1 = b.clock.now();
    const r2 = await b.uploader.upload(V3);
    expect(r2.verdict).toBe('crc-ok');
    expect(await b.banner(b.console.lines.length)).toMatch(/^hilrig-app 3\.0\.0 running from slot bank1 @0x08000000/);
    expect(b.twin.bfb2).toBe(false);
    expect(b.twin.readMemory(B1, V3.length).equals(V3)).toBe(true);
    expect(b.twin.readMemory(B2, V2.length).equals(V2)).toBe(true);
    // Virtual ms at time factor 1 (reported in the scheme notes): 256 KiB ~4.3 s, 200 KiB ~3.7 s.
    expect(firstUpdateMs).toBeGreaterThan(3500);
    expect(firstUpdateMs).toBeLessThan(5500);
    expect(b.clock.now() - t1).toBeLessThan(5000);
  });

  it('refuses to commit an image whose header CRC is wrong: no bank switch, bank 2 stays unbootable', async () => {
    const b = (current = bench({ bank1: V1, bfb2: true }));
    b.twin.powerOn();
    await b.banner();
    const bad = Buffer.from(V2);
    bad[0x8000] ^= 0xff;
    const r = await b.uploader.upload(bad);
    expect(r.ok).toBe(false);
    expect(b.text().some((l) => /^IMAGE INVALID: image CRC/.test(l))).toBe(true);
    expect(b.twin.readMemory(B2, 4).readUInt32LE(0)).toBe(0xffff_ffff);
    b.twin.powerOff();
    const from = b.console.lines.length;
    b.twin.powerOn();
    expect(await b.banner(from)).toMatch(/1\.0\.0 running from slot bank1/);
  });

  it('probe update path: write bank 2 and set BFB2 through the debug port', async () => {
    const b = (current = bench({ bank1: V1 }));
    b.twin.powerOn();
    await b.banner();
    b.twin.powerOff();
    b.twin.programMemory(B2, V2);
    const opts = b.twin.readMemory(OPT, 16);
    expect(opts.equals(STM32_FACTORY_OPTIONS)).toBe(true);
    b.twin.programMemory(OPT, withBfb2(opts, true));
    expect(b.twin.readMemory(OPT, 1)[0]).toBe(0xfc);
    const from = b.console.lines.length;
    b.twin.powerOn();
    expect(await b.banner(from)).toMatch(/2\.0\.0 running from slot bank2/);
    // programMemory erases whole sectors: a 4-byte write into sector 12 wipes its 16 KiB.
    b.twin.programMemory(B2 + 0x100, Buffer.alloc(4, 0));
    expect(b.twin.readMemory(B2, 4).readUInt32LE(0)).toBe(0xffff_ffff);
    expect(b.twin.readMemory(B2 + 0x4000, 16).equals(V2.subarray(0x4000, 0x4010))).toBe(true);
  });

  it('snapshots carry the option bytes', () => {
    const b = (current = bench({ bank1: V1 }));
    const snap = b.twin.snapshot();
    b.twin.programMemory(OPT, withBfb2(STM32_FACTORY_OPTIONS, true));
    b.twin.massErase();
    b.twin.restore(snap);
    expect(b.twin.bfb2).toBe(false);
    expect(b.twin.readMemory(B1, V1.length).equals(V1)).toBe(true);
  });
});
