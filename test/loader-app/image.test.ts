/**
 * loader-app images (seed 001's image_hdr_t at offset 0 of a slot): the sample builder against
 * the layout written out with literal numbers, and the host-side reader on good and bad headers.
 */
import { describe, expect, it } from '@jest/globals';
import { crc32 } from 'node:zlib';
import { buildFwupBootloader, buildFwupImage } from '../../src/firmware/fwup-image.js';
import { checkFwupSlot } from '../../src/images/fwup-header.js';
import { decodeAppInfo } from '../../src/protocols/appinfo.js';
import { LOADER_APP_SLOTS } from '../../src/targets/stm32f429-fwup.js';

const SLOT1 = LOADER_APP_SLOTS.slot1;
const SLOT2 = LOADER_APP_SLOTS.slot2;

describe('the memory map', () => {
  it('is the example memory_map.ld: boot 16 KiB @0x08000000, slot 1 112 KiB @0x08004000, slot 2 896 KiB @0x08020000', () => {
    expect(LOADER_APP_SLOTS.boot).toMatchObject({ base: 0x0800_0000, size: 0x4000 });
    expect(SLOT1).toMatchObject({ base: 0x0800_4000, size: 0x1_c000 });
    expect(SLOT2).toMatchObject({ base: 0x0802_0000, size: 0xe_0000 });
    // Contiguous, and slot 2 ends at the end of bank 1.
    expect(SLOT1.base).toBe(0x0800_0000 + 0x4000);
    expect(SLOT2.base).toBe(SLOT1.base + SLOT1.size);
    expect(SLOT2.base + SLOT2.size).toBe(0x0810_0000);
  });
});

describe('buildFwupImage', () => {
  const app = buildFwupImage({ type: 'app', version: '1.2.3', size: 0x2000 });

  it('writes the 32-byte header at offset 0, field by field', () => {
    expect(app.readUInt16LE(0)).toBe(0xcafe);
    expect(app.readUInt16LE(2)).toBe(1);
    expect(app.readUInt32LE(8)).toBe(0x2000 - 32);
    expect(app.readUInt32LE(4)).toBe(crc32(app.subarray(32)) >>> 0);
    expect(app[12]).toBe(2);
    expect([...app.subarray(13, 16)]).toEqual([1, 2, 3]);
    expect(app.readUInt32LE(16)).toBe(0x0802_0200);
    expect(app.readUInt32LE(20)).toBe(0xffff_ffff);
    expect(app.subarray(24, 32).toString('latin1')).toMatch(/^[0-9a-f]{7}\0$/);
  });

  it('puts the vector table at 0x200 (SP in SRAM, Thumb reset PC inside the slot) and the info block at 0x3C0', () => {
    expect(app.readUInt32LE(0x200)).toBe(0x2002_0000);
    expect(app.readUInt32LE(0x204)).toBe(0x0802_0401);
    const info = decodeAppInfo(app.subarray(0x3c0, 0x400));
    expect(info).toMatchObject({ version: '1.2.3', linkBase: 0x0802_0000, imageLength: 0x2000, name: 'hilrig-app' });
  });

  it('builds the Loader for slot 1 (type 1) and the Updater for slot 2 (type 3)', () => {
    const loader = buildFwupImage({ type: 'loader', version: '1.0.0', size: 0x1000 });
    expect(loader[12]).toBe(1);
    expect(loader.readUInt32LE(16)).toBe(0x0800_4200);
    expect(loader.readUInt32LE(0x204)).toBe(0x0800_4401);
    const updater = buildFwupImage({ type: 'updater', version: '1.0.0', size: 0x1000 });
    expect(updater[12]).toBe(3);
    expect(updater.readUInt32LE(16)).toBe(0x0802_0200);
  });

  it('gives the same bytes for the same options, and different code for another version or seed', () => {
    expect(buildFwupImage({ type: 'app', version: '1.2.3', size: 0x2000 }).equals(app)).toBe(true);
    expect(buildFwupImage({ type: 'app', version: '2.0.0', size: 0x2000 }).subarray(0x400).equals(app.subarray(0x400))).toBe(false);
    expect(buildFwupImage({ type: 'app', version: '1.2.3', size: 0x2000, seed: 1 }).subarray(0x400).equals(app.subarray(0x400))).toBe(false);
  });

  it('refuses sizes that do not fit the slot and versions that do not fit a byte', () => {
    expect(() => buildFwupImage({ type: 'loader', version: '1.0.0', size: 0x1_c004 })).toThrow(/between 0x800 and 0x1c000/);
    expect(() => buildFwupImage({ type: 'app', version: '1.0.0', size: 0x801 })).toThrow(/multiple of 4/);
    expect(() => buildFwupImage({ type: 'app', version: '1.256.0', size: 0x800 })).toThrow(/fitting a byte/);
  });

  it('builds a bootloader without a header: vector table at 0', () => {
    const boot = buildFwupBootloader();
    expect(boot.length).toBe(0x2000);
    expect(boot.readUInt32LE(0)).toBe(0x2002_0000);
    expect(boot.readUInt32LE(4)).toBe(0x0800_0401);
    expect(boot.readUInt16LE(0)).not.toBe(0xcafe);
  });
});

/** The slot as flash holds it: the image, then erased bytes up to `size`. */
function inSlot(image: Buffer, size = 0x4000): Buffer {
  const slot = Buffer.alloc(size, 0xff);
  image.copy(slot);
  return slot;
}

describe('checkFwupSlot', () => {
  const app = buildFwupImage({ type: 'app', version: '2.0.0', size: 0x2000 });

  it('accepts a committed image of an expected type', () => {
    const c = checkFwupSlot(inSlot(app), SLOT2, ['app', 'updater']);
    expect(c).toMatchObject({ state: 'committed', valid: true, crcOk: true, problems: [] });
    expect(c.header).toMatchObject({ version: '2.0.0', typeName: 'app', dataSize: 0x2000 - 32, vectorAddr: 0x0802_0200 });
  });

  it('says "not committed" for an erased header over intact data (a cut before the commit)', () => {
    const slot = inSlot(app);
    slot.fill(0xff, 0, 32);
    expect(checkFwupSlot(slot, SLOT2, ['app'])).toMatchObject({ state: 'erased', valid: false, header: null });
  });

  it('says "invalidated" for a zeroed header', () => {
    const slot = inSlot(app);
    slot.fill(0, 0, 32);
    const c = checkFwupSlot(slot, SLOT2, ['app']);
    expect(c).toMatchObject({ state: 'invalidated', valid: false });
    expect(c.problems.join()).toMatch(/invalidated/);
  });

  it('catches one flipped data bit through the CRC (a header written before all its data)', () => {
    const slot = inSlot(app);
    slot[0x1000] ^= 0x01;
    const c = checkFwupSlot(slot, SLOT2, ['app']);
    expect(c).toMatchObject({ state: 'committed', crcOk: false, valid: false });
    expect(c.problems.join()).toMatch(/CRC mismatch/);
  });

  it('catches data still erased behind a committed header', () => {
    const slot = inSlot(app.subarray(0, 0x1000));
    expect(checkFwupSlot(slot, SLOT2, ['app'])).toMatchObject({ crcOk: false, valid: false });
  });

  it('refuses a wrong magic, header version, data_size, vector_addr or type, naming the field', () => {
    const cases: [string, (b: Buffer) => void, RegExp][] = [
      ['magic', (b) => b.writeUInt16LE(0xcaff, 0), /magic 0xCAFF/],
      ['header version', (b) => b.writeUInt16LE(2, 2), /header version 2/],
      ['data_size 0', (b) => b.writeUInt32LE(0, 8), /data_size 0/],
      ['data_size past the slot', (b) => b.writeUInt32LE(0xe_0000, 8), /data_size 917504/],
      ['vector_addr in slot 1', (b) => b.writeUInt32LE(0x0800_4200, 16), /vector_addr 0x08004200/],
      ['type 7', (b) => (b[12] = 7), /image type 7 is none/],
      ['a Loader in slot 2', (b) => (b[12] = 1), /\(loader\) does not belong in slot2/],
    ];
    for (const [what, spoil, message] of cases) {
      const slot = inSlot(app);
      spoil(slot);
      const c = checkFwupSlot(slot, SLOT2, ['app', 'updater']);
      expect({ what, valid: c.valid, problems: c.problems.join('; ') }).toEqual({ what, valid: false, problems: expect.stringMatching(message) });
    }
  });

  it('never throws on short or random bytes', () => {
    expect(checkFwupSlot(Buffer.alloc(10), SLOT1, ['loader'])).toMatchObject({ state: 'garbage', valid: false });
    for (let i = 0; i < 50; i++) {
      const junk = Buffer.alloc(0x800);
      for (let j = 0; j < junk.length; j++) junk[j] = (i * 131 + j * 17) & 0xff;
      junk.writeUInt16LE(0xcafe, 0);
      expect(() => checkFwupSlot(junk, SLOT1, ['loader'])).not.toThrow();
    }
  });
});

describe('the committed samples (firmware/fwup-*.bin)', () => {
  it('are what src/firmware/fwup-samples.ts builds, and the factory baseline writes the same Loader', async () => {
    const { readFile } = await import('node:fs/promises');
    const { FWUP_SAMPLES } = await import('../../src/firmware/fwup-samples.js');
    const { FACTORY_LOADER } = await import('../../src/schemes/loader-app/setups.js');
    const dir = new URL('../../firmware/', import.meta.url);
    for (const s of FWUP_SAMPLES) expect({ file: s.file, same: (await readFile(new URL(s.file, dir))).equals(s.build()) }).toEqual({ file: s.file, same: true });
    expect((await readFile(new URL('fwup-loader-v1.bin', dir))).equals(buildFwupImage({ type: 'loader', ...FACTORY_LOADER }))).toBe(true);
    expect((await readFile(new URL('fwup-boot.bin', dir))).equals(buildFwupBootloader())).toBe(true);
  });
});
