import { crc32 } from 'node:zlib';

/**
 * zlib's CRC-32 of a concatenation from the CRCs of its parts: crc(A‖B) = shift_|B|(crc(A)) ^ crc(B),
 * where shift_n (feeding n zero bytes through the register) is linear over GF(2). For one fixed n
 * (a flash's sector size) the shift is four 256-entry tables, one per byte of the CRC, so a range
 * CRC over kept per-sector CRCs costs four lookups a sector instead of a pass over its bytes.
 */
export type CrcShift = (crc: number) => number;

const shifts = new Map<number, CrcShift>();

/** shift_n for n bytes (kept per n: a flash asks for its sector size only). */
export function crcShift(n: number): CrcShift {
  let shift = shifts.get(n);
  if (shift) return shift;
  const zeros = Buffer.alloc(n);
  // zlib inverts the register before and after: raw(zeros, r) = ~crc32(zeros, ~r).
  const raw = (r: number) => ~crc32(zeros, ~r >>> 0) >>> 0;
  const bit = Array.from({ length: 32 }, (_, i) => raw((1 << i) >>> 0));
  const tables = [0, 1, 2, 3].map((k) => {
    const t = new Uint32Array(256);
    for (let b = 1; b < 256; b++) {
      let v = 0;
      for (let i = 0; i < 8; i++) if (b & (1 << i)) v ^= bit[8 * k + i]!;
      t[b] = v >>> 0;
    }
    return t;
  });
  const [t0, t1, t2, t3] = tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  shift = (crc) => (t0[crc & 0xff]! ^ t1[(crc >>> 8) & 0xff]! ^ t2[(crc >>> 16) & 0xff]! ^ t3[crc >>> 24]!) >>> 0;
  shifts.set(n, shift);
  return shift;
}
