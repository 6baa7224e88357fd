/**
 * The flash's fast paths a sweep leans on give what the plain ones give: word-wise programming
 * (aligned or not, within nWRITE or past it) and the SHA-256 of a range, kept across snapshots
 * but never stale once a sector is written again.
 */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { W25Q32, type FlashGeometry } from '../../src/twin/flash/geometry.js';
import { NorFlash } from '../../src/twin/flash/nor-flash.js';
import { crcShift } from '../../src/twin/flash/crc-combine.js';
import { stateDigest } from '../../src/twin/flash/state-digest.js';

/** nRF52840-like: word writes, two writes per word between erases, 4 KiB sectors, one program may span them. */
const NRF: FlashGeometry = { ...W25Q32, name: 'word-write test part', base: 0, size: 64 * 1024, pageSize: 64 * 1024, writeUnit: 4, maxWritesPerUnit: 2 };

function pattern(n: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + (i >> 3)) & 0xff));
}

/** The NOR rule byte by byte: what a program must leave when no word exceeds nWRITE. */
function anded(before: Buffer, at: number, data: Buffer): Buffer {
  const out = Buffer.from(before);
  for (let i = 0; i < data.length; i++) out[at + i]! &= data[i]!;
  return out;
}

describe('flash fast paths', () => {
  it('programs word-aligned and unaligned source buffers as the byte-wise AND, across a sector boundary', () => {
    const f = new NorFlash(NRF);
    const first = pattern(4096 + 512, 1);
    f.program(4096 - 256, first).complete();
    let expected = anded(Buffer.alloc(NRF.size, 0xff), 4096 - 256, first);
    // A second program of the same words (nWRITE = 2: still within spec) from an odd offset in its buffer.
    const backing = Buffer.alloc(1024 + 1);
    pattern(1024, 2).copy(backing, 1);
    const second = backing.subarray(1);
    f.program(4096 - 256, second).complete();
    expected = anded(expected, 4096 - 256, second);
    expect(f.read(0, NRF.size)).toEqual(expected);
    expect(f.overWrites).toBe(0);
  });

  it('a third write of a word is out of spec on only that word: the rest of the program is the plain AND', () => {
    const f = new NorFlash(NRF);
    const data = pattern(64, 3);
    f.program(0, data).complete();
    f.program(0, data).complete();
    f.program(8, data.subarray(0, 4)).complete();
    expect(f.overWrites).toBe(1);
    const plain = anded(anded(Buffer.alloc(64, 0xff), 0, data), 0, data);
    const now = f.read(0, 64);
    expect(now.subarray(0, 8)).toEqual(plain.subarray(0, 8));
    expect(now.subarray(12)).toEqual(plain.subarray(12));
    // The over-stressed word has no bit set that a plain AND would have cleared.
    for (let i = 8; i < 12; i++) expect(now[i]! & ~(plain[i]! & data[i - 8]!)).toBe(0);
  });

  it('sha256 of a range equals the digest of the bytes read, and is not stale after a snapshot and a later write', () => {
    const f = new NorFlash(W25Q32);
    f.writeRaw(W25Q32.base + 100, pattern(3 * 4096, 4));
    const digest = (at: number, n: number) => createHash('sha256').update(f.read(at, n)).digest();
    const at = W25Q32.base + 50;
    const n = 2 * 4096 + 333;
    expect(f.sha256(at, n)).toEqual(digest(at, n));
    const snap = f.snapshot();
    // Shared with the snapshot: the kept digest, still right.
    expect(f.sha256(at, n)).toEqual(digest(at, n));
    expect(f.sha256(at, n)).toEqual(digest(at, n));
    f.program(W25Q32.base + 4096 + 10, Buffer.from([0x00, 0x01])).complete();
    expect(f.sha256(at, n)).toEqual(digest(at, n));
    f.restore(snap);
    expect(f.sha256(at, n)).toEqual(digest(at, n));
    // Written in place while owned, then read again: a fresh digest each time.
    f.writeRaw(W25Q32.base + 60, Buffer.from([0x12]));
    expect(f.sha256(at, n)).toEqual(digest(at, n));
    f.writeRaw(W25Q32.base + 61, Buffer.from([0x34]));
    expect(f.sha256(at, n)).toEqual(digest(at, n));
  });

  it('crc32 of a range is not stale after a snapshot, a later write and a restore', () => {
    const f = new NorFlash(W25Q32);
    f.writeRaw(W25Q32.base, pattern(2 * 4096, 5));
    const at = W25Q32.base + 7;
    const n = 2 * 4096 - 7;
    const zlib = () => crc32(f.read(at, n)) >>> 0;
    const before = zlib();
    const snap = f.snapshot();
    expect(f.crc32(at, n)).toBe(before);
    expect(f.crc32(at, n)).toBe(before);
    f.program(W25Q32.base + 4096 + 1, Buffer.from([0x00])).complete();
    expect(f.crc32(at, n)).toBe(zlib());
    expect(f.crc32(at, n)).not.toBe(before);
    f.restore(snap);
    expect(f.crc32(at, n)).toBe(before);
  });

  it("crc32 combined from kept sector CRCs is zlib's CRC of the bytes: partial ends, erased, shared and owned sectors", () => {
    const f = new NorFlash(W25Q32);
    const b = W25Q32.base;
    f.writeRaw(b + 4096, pattern(5 * 4096 + 100, 6));
    const ranges: [number, number][] = [
      [b, 8 * 4096],
      [b + 1, 8 * 4096 - 2],
      [b + 4096, 4096],
      [b + 4095, 2],
      [b + 3 * 4096 + 17, 0],
      [b + 2 * 4096, 3 * 4096 + 5],
    ];
    const zlib = (at: number, n: number) => crc32(f.read(at, n)) >>> 0;
    const check = () => {
      for (const [at, n] of ranges) expect([at, n, f.crc32(at, n)]).toEqual([at, n, zlib(at, n)]);
    };
    check(); // every sector owned: read each time
    const snap = f.snapshot();
    check(); // shared: kept CRCs, twice
    check();
    f.program(b + 2 * 4096 + 3, Buffer.from([0x00, 0x10])).complete(); // one sector owned again
    check();
    f.erase(b + 4 * 4096, 4096).complete();
    check();
    f.restore(snap);
    check();
  });

  it("the CRC shift for n bytes is crc(A+B) = shift(crc(A)) ^ crc(B) for |B| = n, as zlib's crc32_combine", () => {
    for (const n of [1, 4, 256, 4096]) {
      const shift = crcShift(n);
      for (const seed of [1, 2, 3]) {
        const a = pattern(37 * seed, seed);
        const tail = pattern(n, seed + 10);
        expect(((shift(crc32(a) >>> 0) ^ (crc32(tail) >>> 0)) >>> 0).toString(16)).toBe((crc32(Buffer.concat([a, tail])) >>> 0).toString(16));
      }
    }
  });

  it('the state digest is the sha256 over sector digests, for equal contents in fresh buffers and sectors that differ in one unsampled byte', () => {
    const plain = (sectors: Buffer[]) => {
      const h = createHash('sha256');
      for (const s of sectors) h.update(createHash('sha256').update(s).digest());
      return h.digest('hex');
    };
    const a = [pattern(4096, 7), pattern(4096, 8)];
    expect(stateDigest({ sectors: a })).toBe(plain(a));
    // The same bytes in new buffers (a recovery that wrote what another one did): still the same digest.
    const copies = a.map((s) => Buffer.from(s));
    expect(stateDigest({ sectors: copies })).toBe(plain(a));
    // One byte changed between the fingerprint's samples: a different digest, never the neighbour's.
    for (const at of [1, 137, 2049, 4094]) {
      const changed = a.map((s) => Buffer.from(s));
      changed[1]![at] ^= 0x01;
      expect(stateDigest({ sectors: changed })).toBe(plain(changed));
      expect(stateDigest({ sectors: changed })).not.toBe(plain(a));
    }
    // States of one length hashed in turn, sharing some buffers (each hash starts from the last one's digests): each its own.
    const mixed = [a[0]!, Buffer.from(pattern(4096, 9))];
    for (const s of [a, mixed, a, [mixed[1]!, a[1]!], mixed]) expect(stateDigest({ sectors: s })).toBe(plain(s));
  });

  it('peek gives the bytes read gives, in one sector or across two', () => {
    const f = new NorFlash(W25Q32);
    const b = W25Q32.base;
    f.writeRaw(b, pattern(3 * 4096, 9));
    for (const [at, n] of [
      [b + 10, 1024],
      [b + 4096 - 1024, 1024],
      [b + 4096 - 100, 1024],
      [b + 2 * 4096, 4096],
    ] as const) {
      expect(f.peek(at, n)).toEqual(f.read(at, n));
    }
  });

  it('counts writes per word as a plain per-word count does, across alignments, lengths and erases (nWRITE = 2)', () => {
    const f = new NorFlash(NRF);
    const writes = new Uint8Array(NRF.size / 4);
    let over = 0;
    let state = 7;
    const rand = (n: number) => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n;
    for (let step = 0; step < 400; step++) {
      if (rand(40) === 0) {
        const sector = rand(2) * 4096;
        f.erase(sector, 4096).complete();
        writes.fill(0, sector / 4, sector / 4 + 1024);
        continue;
      }
      const words = 1 + rand(rand(2) ? 12 : 300);
      const first = rand(2048 - words); // two sectors: words are written again and again
      f.program(first * 4, pattern(words * 4, step)).complete();
      for (let w = first; w < first + words; w++) if (++writes[w]! > 2) over++;
    }
    expect(f.overWrites).toBe(over);
    expect(over).toBeGreaterThan(0);
  });

  it('finds the last byte that is not erased in a range, across sectors, erased ones skipped', () => {
    const f = new NorFlash(NRF);
    expect(f.lastWritten(0, NRF.size)).toBe(-1);
    f.program(4096 * 3 + 100, Buffer.from([0x12, 0x34, 0x56, 0x78])).complete();
    f.program(8, Buffer.from([0, 0, 0, 0])).complete();
    // The naive scan, byte by byte from the end, is the reference.
    const naive = (at: number, n: number) => {
      const bytes = f.read(at, n);
      for (let i = n - 1; i >= 0; i--) if (bytes[i] !== 0xff) return i;
      return -1;
    };
    for (const [at, n] of [
      [0, NRF.size],
      [0, 4096 * 3 + 101],
      [0, 4096 * 3 + 100],
      [4, 4096 * 3],
      [12, 4096 * 3 + 90],
      [4096 * 3 + 104, 1000],
      [4096 * 3 + 103, 1],
    ] as const) {
      expect(f.lastWritten(at, n)).toBe(naive(at, n));
    }
    expect(f.lastWritten(0, NRF.size)).toBe(4096 * 3 + 103);
    expect(() => f.lastWritten(NRF.size - 4, 8)).toThrow(/outside/);
  });
});
