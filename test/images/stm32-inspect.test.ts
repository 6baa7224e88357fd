/**
 * stm32-dualbank inspection on dumps built by hand from the layouts, with literal numbers
 * (RM0090 banks, AN2606 rule, the image layout documented in src/firmware/stm32-image.ts), so
 * the tests check the memory map as well as the inspection; plus hostile dumps.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { buildStm32Image } from '../../src/firmware/stm32-image.js';
import { encodeAppInfo } from '../../src/protocols/appinfo.js';
import { InspectError } from '../../src/images/inspect-error.js';
import { loadStm32Dump } from '../../src/schemes/stm32-dualbank/dump.js';
import { formatStm32Inspection } from '../../src/schemes/stm32-dualbank/format.js';
import { inspectStm32, type Stm32SlotState } from '../../src/schemes/stm32-dualbank/inspect.js';

const MiB = 0x10_0000;
const FACTORY_OPTIONS = [0xec, 0xaa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function options(bfb2: boolean): Buffer {
  const o = Buffer.from(FACTORY_OPTIONS);
  if (bfb2) o[0] |= 0x10; // USER byte bit 4
  return o;
}

/**
 * A minimal app by hand: SP at 0, reset PC 0x0800_0401 at 4, image_hdr_t at 0x1C0 (magic 0xCAFE,
 * version 1, crc over everything but the header, data_size = length - 32, type 2, x.y.z,
 * vector_addr 0x0800_0000, reserved, git sha), app info at 0x200, code bytes up to `length`.
 */
function handImage(opts: { version?: [number, number, number]; length?: number; sp?: number; pc?: number; fill?: number } = {}): Buffer {
  const length = opts.length ?? 0x6000;
  const img = Buffer.alloc(length, opts.fill ?? 0x5a);
  img.writeUInt32LE(opts.sp ?? 0x2001_0000, 0);
  img.writeUInt32LE(opts.pc ?? 0x0800_0401, 4);
  const [a, b, c] = opts.version ?? [1, 2, 3];
  img.set(encodeAppInfo({ version: `${a}.${b}.${c}`, linkBase: 0x0800_0000, imageLength: length, buildId: '0123456789abcdef', name: 'hand' }), 0x200);
  const h = Buffer.alloc(32);
  h.writeUInt16LE(0xcafe, 0);
  h.writeUInt16LE(1, 2);
  h.writeUInt32LE(length - 32, 8);
  h[12] = 2;
  h[13] = a;
  h[14] = b;
  h[15] = c;
  h.writeUInt32LE(0x0800_0000, 16);
  h.writeUInt32LE(0xffff_ffff, 20);
  h.write('abc1234', 24, 'latin1');
  h.copy(img, 0x1c0);
  const crc = crc32(img.subarray(0x1e0), crc32(img.subarray(0, 0x1c0))) >>> 0;
  img.writeUInt32LE(crc, 0x1c0 + 4);
  return img;
}

function bank(content?: Buffer): Buffer {
  const b = Buffer.alloc(MiB, 0xff);
  content?.copy(b, 0);
  return b;
}

const state = (s: { scheme: Record<string, unknown> }) => s.scheme as Stm32SlotState;

describe('inspectStm32 on hand-built dumps', () => {
  it('BFB2 clear: bank 1 starts directly; both banks valid, versions from the info block', () => {
    const i = inspectStm32({ bank1: bank(handImage()), bank2: bank(handImage({ version: [2, 0, 0], fill: 0x33 })), options: options(false) });
    expect(i).toMatchObject({ scheme: 'stm32-dualbank', bootsNext: 'bank1', jumps: true, bfb2: false, optionsKnown: true, rdp: 0xaa });
    expect(i.slots.map((s) => [s.slot, s.base, s.present, s.valid, s.version])).toEqual([
      ['bank1', 0x0800_0000, true, true, '1.2.3'],
      ['bank2', 0x0810_0000, true, true, '2.0.0'],
    ]);
    expect(state(i.slots[0]!)).toMatchObject({ sp: 0x2001_0000, pc: 0x0800_0401, spOk: true, pcOk: true, codeThere: true, headerOk: true, crcOk: true });
    expect(state(i.slots[0]!).header).toMatchObject({ magic: 0xcafe, headerVersion: 1, dataSize: 0x6000 - 32, imageType: 2, version: '1.2.3', vectorAddr: 0x0800_0000, gitSha: 'abc1234' });
    expect(i.slots.every((s) => s.problems.length === 0)).toBe(true);
  });

  it('BFB2 set: bank 2 when its SP is in SRAM, else bank 1, else the ROM stays', () => {
    const good = bank(handImage());
    expect(inspectStm32({ bank1: good, bank2: bank(handImage({ fill: 1 })), options: options(true) }).bootsNext).toBe('bank2');
    expect(inspectStm32({ bank1: good, bank2: bank(), options: options(true) })).toMatchObject({ bootsNext: 'bank1', jumps: true });
    const none = inspectStm32({ bank1: bank(), bank2: bank(), options: options(true) });
    expect(none).toMatchObject({ bootsNext: null, jumps: false });
    expect(none.bootPath.at(-1)).toMatch(/stays in the system bootloader/);
  });

  // 192 KiB of SRAM1-3 at 0x2000_0000 end at 0x2002_FFFF; CubeIDE's `_estack` is one past it. The
  // stack is full-descending, so that SP is valid and the ROM starts the bank; a word above is not.
  it('an initial SP of exactly 0x2003_0000 (top of SRAM, _estack) is valid for the ROM; 0x2003_0004 is not', () => {
    const good = bank(handImage());
    const top = inspectStm32({ bank1: good, bank2: bank(handImage({ sp: 0x2003_0000, fill: 1 })), options: options(true) });
    expect(top).toMatchObject({ bootsNext: 'bank2', jumps: true });
    expect(state(top.slots[1]!).spOk).toBe(true);
    expect(top.slots[1]!.valid).toBe(true);
    expect(top.slots[1]!.problems).toEqual([]);
    const last = inspectStm32({ bank1: good, bank2: bank(handImage({ sp: 0x2002_fffc, fill: 1 })), options: options(true) });
    expect(last.bootsNext).toBe('bank2');
    const above = inspectStm32({ bank1: good, bank2: bank(handImage({ sp: 0x2003_0004, fill: 1 })), options: options(true) });
    expect(above.bootsNext).toBe('bank1');
    expect(above.slots[1]!.problems.join('\n')).toMatch(/initial SP 0x20030004 is not in SRAM \[0x20000000, 0x20030000\]/);
    // The 64 KiB CCM at 0x1000_0000 is not what the ROM accepts.
    const ccm = inspectStm32({ bank1: good, bank2: bank(handImage({ sp: 0x1001_0000, fill: 1 })), options: options(true) });
    expect(ccm.bootsNext).toBe('bank1');
  });

  it('the trap: a half-written bank 2 with intact vectors is what the ROM starts, and it is not valid', () => {
    const half = bank(handImage({ length: 0x6000 }).subarray(0, 0x4000)); // first 16 KiB sector only
    const i = inspectStm32({ bank1: bank(handImage()), bank2: half, options: options(true) });
    expect(i).toMatchObject({ bootsNext: 'bank2', jumps: true });
    expect(i.slots[1]!.valid).toBe(false);
    expect(state(i.slots[1]!).crcOk).toBe(false);
    expect(i.slots[1]!.problems.join('\n')).toMatch(/CRC mismatch[\s\S]*ROM would start this bank/);
  });

  it('BFB2 clear with bank 1 erased: bootsNext bank1, but no jump (the core faults)', () => {
    const i = inspectStm32({ bank1: bank(), bank2: bank(handImage()), options: options(false) });
    expect(i).toMatchObject({ bootsNext: 'bank1', jumps: false });
    expect(formatStm32Inspection(i)).toMatch(/boots next: bank1 \(faults at once\)/);
  });

  it('an uncommitted bank (no header yet) and a header that lies about its CRC', () => {
    const noHeader = handImage();
    noHeader.fill(0xff, 0x1c0, 0x1e0);
    const badCrc = handImage();
    badCrc[0x5000] ^= 1;
    const i = inspectStm32({ bank1: bank(noHeader), bank2: bank(badCrc), options: options(false) });
    expect(i.slots[0]!.valid).toBe(false);
    expect(state(i.slots[0]!).header).toBeNull();
    expect(i.slots[0]!.problems.join('\n')).toMatch(/no image header at 0x1c0 \(magic 0xFFFF, expected 0xCAFE\): not committed/);
    expect(i.slots[1]!.valid).toBe(false);
    expect(i.slots[1]!.problems.join('\n')).toMatch(/image CRC mismatch: header says 0x[0-9A-F]{8}, the bank gives 0x[0-9A-F]{8}/);
  });

  it('SP outside SRAM, PC outside the bank, erased code at the reset vector', () => {
    const i = inspectStm32({
      bank1: bank(handImage({ sp: 0x1000_8000 })),
      bank2: bank(handImage({ pc: 0x0810_0401 })),
      options: options(true),
    });
    expect(i.slots[0]!.problems.join('\n')).toMatch(/initial SP 0x10008000 is not in SRAM/);
    expect(i.slots[1]!.problems.join('\n')).toMatch(/reset vector 0x08100401 is not a Thumb address/);
    expect(i.bootsNext).toBe('bank2');
    expect(i.jumps).toBe(false);
    const noCode = handImage();
    noCode.fill(0xff, 0x400, 0x500);
    const j = inspectStm32({ bank1: bank(noCode), bank2: bank(), options: options(false) });
    expect(j.jumps).toBe(false);
    expect(j.slots[0]!.problems.join('\n')).toMatch(/code at the reset vector \(bank offset 0x400\) is erased/);
  });

  it('garbage everywhere never throws, and a garbage header with the right magic is reported, not trusted', () => {
    const g = Buffer.alloc(MiB);
    for (let i = 0; i < g.length; i += 4) g.writeUInt32LE((Math.imul(i, 2654435761) ^ 0xdeadbeef) >>> 0, i);
    g.writeUInt16LE(0xcafe, 0x1c0);
    g.writeUInt32LE(0xffff_ff00, 0x1c8); // data_size beyond the bank
    const i = inspectStm32({ bank1: g, bank2: Buffer.alloc(MiB, 0), options: Buffer.alloc(16, 0xff) });
    expect(i.bfb2).toBe(true);
    expect(i.slots.every((s) => !s.valid)).toBe(true);
    expect(i.slots[0]!.problems.join('\n')).toMatch(/data_size 4294967040 does not fit the bank/);
    expect(formatStm32Inspection(i)).toMatch(/RDP is 0xFF/);
  });

  it('matches known images bit-exactly, in either bank, and reports a sha256 over the image', () => {
    const v1 = buildStm32Image('1.0.0', 150 * 1024, 1);
    const v2 = buildStm32Image('2.0.0', 160 * 1024, 2);
    const known = [
      { name: 'v1', slotImage: { bank1: v1, bank2: v1 } },
      { name: 'v2', slotImage: { bank1: v2, bank2: v2 } },
    ];
    const i = inspectStm32({ bank1: bank(v2), bank2: bank(v1), options: options(true) }, { known });
    expect(i.slots.map((s) => [s.matches, s.valid, s.version])).toEqual([
      ['v2', true, '2.0.0'],
      ['v1', true, '1.0.0'],
    ]);
    expect(state(i.slots[0]!).sha256Length).toBe(160 * 1024);
    const torn = bank(v2);
    torn[0x9000] &= 0x0f;
    expect(inspectStm32({ bank1: torn, bank2: bank(), options: options(false) }, { known }).slots[0]!.matches).toBeUndefined();
    expect(() => inspectStm32({ bank1: bank(), bank2: bank() }, { known: [{ name: 'x', slotImage: { A: v1 } }] })).toThrow(/unknown slot/);
  });

  it('the sample builder follows the documented layout', () => {
    const img = buildStm32Image('4.5.6', 0x8000, 9);
    expect(img.readUInt32LE(0)).toBe(0x2002_0000);
    expect(img.readUInt32LE(4)).toBe(0x0800_0301);
    expect(img.readUInt16LE(0x1c0)).toBe(0xcafe);
    expect([img[0x1cd], img[0x1ce], img[0x1cf]]).toEqual([4, 5, 6]);
    expect(img.readUInt32LE(0x1c4)).toBe(crc32(img.subarray(0x1e0), crc32(img.subarray(0, 0x1c0))) >>> 0);
    expect(img.readUInt32LE(0x1c8)).toBe(0x8000 - 32);
    expect(img.toString('latin1', 0x200, 0x208)).toBe('HILAPP01');
    expect(buildStm32Image('4.5.6', 0x8000, 9).equals(img)).toBe(true);
    expect(buildStm32Image('4.5.6', 0x8000, 10).equals(img)).toBe(false);
  });

  it('a dump without option bytes assumes BFB2 clear and says so', () => {
    const i = inspectStm32({ bank1: bank(handImage()), bank2: bank() });
    expect(i).toMatchObject({ optionsKnown: false, bfb2: false, bootsNext: 'bank1' });
    expect(formatStm32Inspection(i)).toMatch(/no option bytes in the dump/);
  });

  it('formats a small table', () => {
    const i = inspectStm32({ bank1: bank(handImage()), bank2: bank(), options: options(false) });
    const text = formatStm32Inspection(i);
    expect(text.split('\n')[0]).toMatch(/^bank\s+present\s+SP ok\s+PC ok\s+header\s+CRC ok\s+valid\s+version\s+matches$/);
    expect(text).toMatch(/^bank1\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+1\.2\.3\s+-$/m);
    expect(text).toMatch(/^bank2\s+no\s+-\s+-\s+-\s+-\s+no\s+-\s+-$/m);
    expect(text).toMatch(/BFB2 clear: the core starts bank 1 directly/);
    expect(text).toMatch(/bank2: erased \(no image\)/);
  });
});

describe('hostile dumps are InspectErrors, never traces', () => {
  const good = () => ({ bank1: bank(handImage()), bank2: bank(), options: options(false) });
  it('truncated or oversized regions name the region and both sizes', () => {
    for (const [region, value, size] of [
      ['bank1', Buffer.alloc(MiB - 4), MiB - 4],
      ['bank2', Buffer.alloc(MiB + 1), MiB + 1],
      ['options', Buffer.alloc(15), 15],
    ] as const) {
      let err: unknown;
      try {
        inspectStm32({ ...good(), [region]: value });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InspectError);
      expect(err).toMatchObject({ region, actual: size });
      expect((err as Error).message).toMatch(new RegExp(`region ${region} is ${size} bytes`));
    }
  });

  it('missing regions, non-buffers, not an object', () => {
    expect(() => inspectStm32({ bank1: bank() } as never)).toThrow(/region bank2 is missing \(expected 1048576 bytes/);
    expect(() => inspectStm32({ ...good(), bank1: 'x' } as never)).toThrow(InspectError);
    expect(() => inspectStm32(null as never)).toThrow(InspectError);
  });
});

describe('loadStm32Dump', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hil-stm32-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads bank1.bin, bank2.bin, options.bin from any directory, in any order', async () => {
    const sub = join(dir, 'regions');
    await mkdir(sub);
    const d = good();
    for (const [name, buf] of Object.entries(d)) await writeFile(join(sub, `${name}.bin`), buf);
    const dump = await loadStm32Dump([join(sub, 'options.bin'), join(sub, 'bank2.bin'), join(sub, 'bank1.bin')]);
    expect(dump.bank1.equals(d.bank1)).toBe(true);
    expect(dump.options!.equals(d.options)).toBe(true);
    expect(inspectStm32(dump).bootsNext).toBe('bank1');
    await expect(loadStm32Dump([join(sub, 'bank1.bin'), join(sub, 'bank2.bin')])).rejects.toThrow(/missing options\.bin/);
    await expect(loadStm32Dump([join(sub, 'bank1.bin'), join(sub, 'bank1.bin')])).rejects.toThrow(/given twice/);
    await expect(loadStm32Dump([join(sub, 'flash.bin')])).rejects.toThrow(/unexpected file/);
    await expect(loadStm32Dump([join(sub, 'nope', 'bank1.bin'), join(sub, 'bank2.bin'), join(sub, 'options.bin')])).rejects.toThrow(/no such file/);
  });

  it('loads a whole 2 MiB flash file (+ optional options) and names a truncated one', async () => {
    const d = good();
    const whole = join(dir, 'flash.bin');
    await writeFile(whole, Buffer.concat([d.bank1, Buffer.from(bank(handImage({ fill: 7 })))]));
    const opt = join(dir, 'opt.bin');
    await writeFile(opt, options(true));
    const dump = await loadStm32Dump({ wholeFlash: whole, options: opt });
    expect(inspectStm32(dump)).toMatchObject({ bfb2: true, bootsNext: 'bank2', optionsKnown: true });
    expect((await loadStm32Dump({ wholeFlash: whole })).options).toBeUndefined();
    const short = join(dir, 'short.bin');
    await writeFile(short, Buffer.alloc(2 * MiB - 16));
    const err = await loadStm32Dump({ wholeFlash: short }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InspectError);
    expect(err).toMatchObject({ file: short, region: 'wholeFlash', expected: 2 * MiB, actual: 2 * MiB - 16 });
    await writeFile(join(dir, 'bad-opt.bin'), Buffer.alloc(4));
    await expect(loadStm32Dump({ wholeFlash: whole, options: join(dir, 'bad-opt.bin') })).rejects.toThrow(/option-byte dump .* is 4 bytes \(0x4\), expected 16 bytes/);
    await expect(loadStm32Dump({} as never)).rejects.toThrow(InspectError);
  });

  function good() {
    return { bank1: bank(handImage()), bank2: bank(), options: options(false) };
  }
});
