import { describe, it, expect } from '@jest/globals';
import { crc32 } from 'node:zlib';
import {
  APPINFO_OFFSET,
  APPINFO_SIZE,
  decodeAppInfo,
  encodeAppInfo,
  readAppInfo,
  type AppInfo,
} from '../../src/protocols/appinfo.js';

const info: AppInfo = {
  version: '1.0.0',
  linkBase: 0x1001_0000,
  imageLength: 163596,
  buildId: '0123456789abcdef',
  name: 'hilrig-app',
};

/** Re-seals a hand-edited block with a correct CRC. */
function reseal(block: Buffer): Buffer {
  block.writeUInt32LE(crc32(block.subarray(0, 60)), 60);
  return block;
}

describe('app info block', () => {
  it('sits at 0x200 and is 64 bytes', () => {
    expect(APPINFO_OFFSET).toBe(0x200);
    expect(APPINFO_SIZE).toBe(64);
  });

  it('encodes the documented layout', () => {
    const b = encodeAppInfo(info);
    expect(b.length).toBe(64);
    expect(b.toString('latin1', 0, 8)).toBe('HILAPP01');
    expect(b.subarray(8, 24)).toEqual(Buffer.concat([Buffer.from('1.0.0'), Buffer.alloc(11)]));
    expect(b.readUInt32LE(24)).toBe(0x1001_0000);
    expect(b.readUInt32LE(28)).toBe(163596);
    expect(b.toString('hex', 32, 40)).toBe('0123456789abcdef');
    expect(b.subarray(40, 56)).toEqual(Buffer.concat([Buffer.from('hilrig-app'), Buffer.alloc(6)]));
    expect(b.subarray(56, 60)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(b.readUInt32LE(60)).toBe(crc32(b.subarray(0, 60)));
  });

  it('round-trips, including full-width fields and an uppercase build id', () => {
    expect(decodeAppInfo(encodeAppInfo(info))).toEqual(info);
    const wide = { version: '1234567890abcdef', linkBase: 0xffff_ffff, imageLength: 0, buildId: 'ABCDEF0123456789', name: 'sixteen-chars-xx' };
    expect(decodeAppInfo(encodeAppInfo(wide))).toEqual({ ...wide, buildId: 'abcdef0123456789' });
  });

  it('reads the block from a whole image at 0x200', () => {
    const image = Buffer.alloc(0x400, 0xa5);
    encodeAppInfo(info).copy(image, 0x200);
    expect(readAppInfo(image)).toEqual(info);
    expect(readAppInfo(image.subarray(0, 0x220))).toEqual({ error: expect.stringMatching(/too short/) });
  });

  it('decodes a longer buffer from its first 64 bytes', () => {
    expect(decodeAppInfo(Buffer.concat([encodeAppInfo(info), Buffer.alloc(10, 7)]))).toEqual(info);
  });

  it('reports a truncated block', () => {
    expect(decodeAppInfo(encodeAppInfo(info).subarray(0, 63))).toEqual({ error: expect.stringMatching(/truncated: 63 bytes/) });
    expect(decodeAppInfo(Buffer.alloc(0))).toEqual({ error: expect.stringMatching(/truncated: 0 bytes/) });
  });

  it('reports a wrong magic', () => {
    const b = encodeAppInfo(info);
    b.write('HILAPP02', 0, 'latin1');
    expect(decodeAppInfo(reseal(b))).toEqual({ error: expect.stringMatching(/magic is "HILAPP02"/) });
    expect(decodeAppInfo(Buffer.alloc(64, 0xff))).toEqual({ error: expect.stringMatching(/magic/) });
  });

  it('reports a bad CRC for any flipped bit', () => {
    for (const at of [8, 24, 35, 45, 57, 61]) {
      const b = encodeAppInfo(info);
      b[at] ^= 0x10;
      expect(decodeAppInfo(b)).toEqual({ error: expect.stringMatching(/CRC mismatch/) });
    }
  });

  it('rejects text fields that are not NUL-padded ASCII, even with a good CRC', () => {
    const b = encodeAppInfo(info);
    b[8 + 7] = 0x41; // "1.0.0\0\0A"
    expect(decodeAppInfo(reseal(b))).toEqual({ error: expect.stringMatching(/version is not NUL-padded/) });
    const c = encodeAppInfo(info);
    c[40] = 0x07;
    expect(decodeAppInfo(reseal(c))).toEqual({ error: expect.stringMatching(/name is not printable/) });
  });

  it('never throws on garbage', () => {
    let x = 12345;
    for (let n = 0; n < 200; n++) {
      const g = Buffer.alloc(n % 80);
      for (let i = 0; i < g.length; i++) g[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
      if (n % 3 === 0 && g.length >= 8) g.write('HILAPP01', 0, 'latin1');
      if (n % 6 === 0 && g.length >= 64) reseal(g);
      expect(() => decodeAppInfo(g)).not.toThrow();
    }
    expect(decodeAppInfo(null as unknown as Uint8Array)).toEqual({ error: expect.any(String) });
    expect(decodeAppInfo('HILAPP01' as unknown as Uint8Array)).toEqual({ error: expect.any(String) });
  });

  it('refuses to encode fields that do not fit', () => {
    expect(() => encodeAppInfo({ ...info, version: '12345678901234567' })).toThrow(/at most 16/);
    expect(() => encodeAppInfo({ ...info, version: 'vé' })).toThrow(/ASCII/);
    expect(() => encodeAppInfo({ ...info, name: 'a\u0000b' })).toThrow(/ASCII/);
    expect(() => encodeAppInfo({ ...info, buildId: '0123' })).toThrow(/16 hex digits/);
    expect(() => encodeAppInfo({ ...info, linkBase: -1 })).toThrow(/linkBase/);
    expect(() => encodeAppInfo({ ...info, imageLength: 2 ** 32 })).toThrow(/imageLength/);
  });
});
