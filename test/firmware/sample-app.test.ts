import { describe, it, expect } from '@jest/globals';
import { readAppInfo } from '../../src/protocols/appinfo.js';
import { buildSampleApp, buildSamplePair, samplePointerOffsets } from '../../src/firmware/sample-app.js';
import { checkSfuVectorTable } from '../../src/schemes/sfu-ab/vector-check.js';
import { SFU_SLOTS } from '../../src/targets/rp2040.js';

// Slot bases from reference/sfu-protocol.md §3.1, written out on purpose.
const A = 0x1001_0000;
const B = 0x1021_0000;
const SIZE = 0x4000;

/** Offsets of the 4-byte words where a and b differ. */
function differingWords(a: Buffer, b: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < a.length; at += 4) if (a.readUInt32LE(at) !== b.readUInt32LE(at)) out.push(at);
  return out;
}

describe('buildSampleApp', () => {
  it('is deterministic, and varies with version and seed', () => {
    const one = buildSampleApp({ version: '1.0.0', slotBase: A, size: SIZE });
    expect(buildSampleApp({ version: '1.0.0', slotBase: A, size: SIZE, seed: 0 }).equals(one)).toBe(true);
    expect(one.length).toBe(SIZE);
    const v2 = buildSampleApp({ version: '2.0.0', slotBase: A, size: SIZE });
    const seeded = buildSampleApp({ version: '1.0.0', slotBase: A, size: SIZE, seed: 7 });
    expect(differingWords(one, v2).length).toBeGreaterThan(SIZE / 8);
    expect(differingWords(one, seeded).length).toBeGreaterThan(SIZE / 8);
    // boot2 is the same in every build, like a real one.
    expect(v2.subarray(0, 0x100)).toEqual(one.subarray(0, 0x100));
    expect(seeded.subarray(0, 0x100)).toEqual(one.subarray(0, 0x100));
  });

  it('has the expected vector table', () => {
    for (const base of [A, B]) {
      const img = buildSampleApp({ version: '1.0.0', slotBase: base, size: SIZE });
      expect(img.readUInt32LE(0x100)).toBe(0x2004_2000);
      expect(img.readUInt32LE(0x104)).toBe(base + 0x301);
      for (let i = 2; i < 49; i++) {
        const handler = img.readUInt32LE(0x100 + 4 * i);
        expect(handler % 2).toBe(1);
        expect(handler).toBeGreaterThanOrEqual(base + 0x240);
        expect(handler).toBeLessThan(base + SIZE);
      }
    }
  });

  it('passes the SFU vector check in its own slot only', () => {
    const { a, b } = buildSamplePair('1.0.0', SIZE);
    expect(checkSfuVectorTable(a, SFU_SLOTS.A).ok).toBe(true);
    expect(checkSfuVectorTable(b, SFU_SLOTS.B).ok).toBe(true);
    expect(checkSfuVectorTable(b, SFU_SLOTS.A).pcOk).toBe(false);
    expect(checkSfuVectorTable(a, SFU_SLOTS.B).pcOk).toBe(false);
  });

  it('carries an app info block that decodes', () => {
    const { a, b } = buildSamplePair('2.0.0', SIZE, 3);
    const ia = readAppInfo(a);
    const ib = readAppInfo(b);
    expect(ia).toEqual({ version: '2.0.0', linkBase: A, imageLength: SIZE, buildId: expect.stringMatching(/^[0-9a-f]{16}$/), name: 'hilrig-app' });
    expect(ib).toEqual({ ...ia, linkBase: B });
    const other = readAppInfo(buildSampleApp({ version: '2.0.0', slotBase: A, size: SIZE, seed: 4 }));
    expect(other).toEqual({ ...ia, buildId: expect.not.stringMatching((ia as { buildId: string }).buildId) });
  });

  it('A and B builds differ only at the pointer words and the info block linkBase (and its CRC)', () => {
    const { a, b } = buildSamplePair('1.0.0', 160 * 1024);
    const diffs = differingWords(a, b);
    const vectorHandlers = Array.from({ length: 48 }, (_, i) => 0x104 + 4 * i);
    const pointers = samplePointerOffsets(a.length);
    expect(pointers.length).toBe(160 * 4 - 2); // one per 256-byte page from 0x2FC on
    expect(pointers.every((at) => at % 256 === 0xfc && at >= 0x240)).toBe(true);
    const allowed = new Set([...vectorHandlers, ...pointers, 0x200 + 24, 0x200 + 60]);
    expect(diffs.filter((at) => !allowed.has(at))).toEqual([]);
    // Every pointer is relinked: B's value is A's plus the slot distance, and odd (Thumb).
    const notRelinked = [...vectorHandlers, ...pointers].filter(
      (at) => b.readUInt32LE(at) - a.readUInt32LE(at) !== B - A || a.readUInt32LE(at) % 2 !== 1,
    );
    expect(notRelinked).toEqual([]);
    let differingBytes = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differingBytes++;
    expect(differingBytes).toBeLessThanOrEqual(48 + pointers.length + 1 + 4);
  });

  it('code bytes do not depend on the slot base', () => {
    const x = buildSampleApp({ version: '1.0.0', slotBase: 0x1000_0000, size: SIZE });
    const a = buildSampleApp({ version: '1.0.0', slotBase: A, size: SIZE });
    const pointerish = new Set([...Array.from({ length: 48 }, (_, i) => 0x104 + 4 * i), ...samplePointerOffsets(SIZE), 0x218, 0x23c]);
    expect(differingWords(x, a).every((at) => pointerish.has(at))).toBe(true);
  });

  it('rejects bad sizes, bases and versions', () => {
    expect(() => buildSampleApp({ version: '1', slotBase: A, size: 0x3ff00 + 1 })).toThrow(RangeError);
    expect(() => buildSampleApp({ version: '1', slotBase: A, size: 0x300 })).toThrow(/multiple of 4 between/);
    expect(() => buildSampleApp({ version: '1', slotBase: A, size: 0x200000 })).toThrow(RangeError);
    expect(() => buildSampleApp({ version: '1', slotBase: A + 2, size: SIZE })).toThrow(/slotBase/);
    expect(() => buildSampleApp({ version: 'x'.repeat(17), slotBase: A, size: SIZE })).toThrow(/at most 16/);
    expect(() => buildSampleApp({ version: '1', slotBase: A, size: SIZE, seed: 1.5 })).toThrow(/seed/);
    expect(buildSampleApp({ version: '1', slotBase: A, size: 0x400 }).length).toBe(0x400);
    expect(() => buildSampleApp({ version: '1', slotBase: A, size: 0x402 })).toThrow(/multiple of 4/);
    expect(buildSampleApp({ version: '1', slotBase: A, size: 0x404 }).length).toBe(0x404);
  });
});
