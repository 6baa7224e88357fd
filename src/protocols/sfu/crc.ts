/**
 * The two CRC-32 flavours of the SFU protocol (reference/sfu-protocol.md §1.3, §3.2).
 * They share a polynomial but not a bit order, so they are not interchangeable: packets and the
 * START stream check use the STM32 one, the slot signature uses the zlib one.
 */
import zlib from 'node:zlib';

const POLY = 0x04c11db7;

/** Runs the MSB-first register over `bits` zero bits: the building block of every table entry. */
function clockZeros(register: number, bits: number): number {
  let reg = register >>> 0;
  for (let i = 0; i < bits; i++) {
    reg = reg & 0x8000_0000 ? ((reg << 1) ^ POLY) >>> 0 : (reg << 1) >>> 0;
  }
  return reg;
}

/**
 * Slice-by-4 tables: TABLES[k][v] is the register after a whole word whose byte k (LE) is v.
 * A word is the unit the STM32 CRC peripheral eats, so one lookup per byte of the word and no
 * per-byte loop state keeps this well above the megabytes-per-upload the twin pushes through it.
 */
const TABLES = [0, 1, 2, 3].map((k) => Uint32Array.from({ length: 256 }, (_, v) => clockZeros((v << (8 * k)) >>> 0, 32)));
const [T0, T1, T2, T3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/**
 * STM32-hardware-style CRC: poly 0x04C11DB7, MSB first, over 32-bit little-endian words, no final
 * XOR. No final XOR is what makes chaining work: pass the previous result as `init`.
 */
export function sfuCrc(data: Uint8Array, init = 0xffff_ffff): number {
  const n = data.length;
  if (n % 4 !== 0) {
    throw new RangeError(`sfuCrc: length ${n} is not a multiple of 4 (the CRC runs over 32-bit words)`);
  }
  let crc = init >>> 0;
  for (let i = 0; i < n; i += 4) {
    crc ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    crc = T3[crc >>> 24]! ^ T2[(crc >>> 16) & 0xff]! ^ T1[(crc >>> 8) & 0xff]! ^ T0[crc & 0xff]!;
  }
  return crc >>> 0;
}

/** Standard CRC-32 (IEEE 802.3 / zlib); `prev` continues an earlier result. */
export function crc32Ieee(data: Uint8Array, prev = 0): number {
  return zlib.crc32(data, prev) >>> 0;
}
