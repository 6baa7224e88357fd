/**
 * Deterministic sample images for the twin, laid out like an RP2040 app built for Mirn's SFU
 * A/B slots (reference/sfu-protocol.md §3): no real instructions, but every byte the boot
 * chain and the host look at is where a real build puts it.
 *
 * | image offset | content |
 * |---|---|
 * | 0x000–0x0FF | boot2-like pattern: 252 fixed bytes + their CRC-32/MPEG-2, as pico-sdk's boot2 (never executed in a slot) |
 * | 0x100 | vector table: initial SP, reset PC = slotBase + 0x301 (Thumb), then 47 handler words, odd, pointing into the image |
 * | after the table – 0x1FF | pseudo-random "code" |
 * | 0x200 | the app info block (src/protocols/appinfo.ts): version, linkBase = slotBase, imageLength = size |
 * | 0x240 – size | pseudo-random "code"; the last word of every 256-byte page (offset ≡ 0xFC mod 0x100, i.e. every 64th word) is an absolute Thumb pointer slotBase + target + 1 |
 *
 * The code bytes, the pointer and handler targets and the build id depend on (version, seed,
 * size) only, never on slotBase. So the same version linked for slot A and for slot B differs
 * only in the vector table's pointers, the pointer words, the info block's linkBase (and its
 * CRC), like a real relink: a BIN2Page stream of the pair stays small (about one
 * substitution per 256-byte block).
 */
import { createHash } from 'node:crypto';
import { APPINFO_OFFSET, APPINFO_SIZE, encodeAppInfo } from '../protocols/appinfo.js';
import { RP2040, SFU_SLOTS, SFU_SLOT_SIZE } from '../targets/rp2040.js';

export interface SampleAppOptions {
  /** Version string stored in the info block (printable ASCII, ≤ 16 characters). */
  version: string;
  /** The slot base the image is linked for, e.g. SFU_SLOTS.A.base. A multiple of 256. */
  slotBase: number;
  /** Image length in bytes: a multiple of 4 (as objcopy leaves a Cortex-M image), at least 0x400, at most one SFU slot area. */
  size: number;
  /** Varies the code bytes for the same version (default 0). */
  seed?: number;
}

/** Where things are in a sample image (offsets from the image start). */
export const SAMPLE_LAYOUT = {
  boot2Size: 0x100,
  vectorTable: 0x100,
  /** Initial SP, reset, and 47 more handler words. */
  vectorWords: 49,
  resetOffset: 0x300,
  appInfo: APPINFO_OFFSET,
  codeStart: APPINFO_OFFSET + APPINFO_SIZE,
  /** An absolute pointer sits at every offset ≥ codeStart with offset % pointerStride === pointerPhase. */
  pointerStride: 0x100,
  pointerPhase: 0xfc,
  minSize: 0x400,
  name: 'hilrig-app',
} as const;

/** Initial stack pointer of every sample: the top of the RP2040's SRAM. */
export const SAMPLE_INITIAL_SP = RP2040.sramTop;

/** xoshiro128**: small, fast, and the same on every platform. */
class Prng {
  private s: Uint32Array;
  constructor(seedBytes: Buffer) {
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) this.s[i] = seedBytes.readUInt32LE(i * 4);
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }
  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** An integer in [0, n), n ≤ 2^32 (the tiny modulo bias does not matter here). */
  below(n: number): number {
    return this.next() % n;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function prng(...parts: (string | number)[]): Prng {
  return new Prng(createHash('sha256').update(['hilrig-sample-app', ...parts].join('\0')).digest());
}

/** CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, not reflected): the checksum pico-sdk puts after boot2. */
function crc32Mpeg2(data: Uint8Array): number {
  let crc = 0xffff_ffff;
  for (const byte of data) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000_0000 ? (crc << 1) ^ 0x04c1_1db7 : crc << 1;
  }
  return crc >>> 0;
}

let boot2Cache: Buffer | undefined;

/** 252 fixed pseudo-random bytes and their CRC-32/MPEG-2: the same in every sample, like a real boot2. */
function boot2(): Buffer {
  if (!boot2Cache) {
    const b = Buffer.alloc(SAMPLE_LAYOUT.boot2Size);
    const r = prng('boot2');
    for (let at = 0; at < 252; at += 4) b.writeUInt32LE(r.next(), at);
    b.writeUInt32LE(crc32Mpeg2(b.subarray(0, 252)), 252);
    boot2Cache = b;
  }
  return boot2Cache;
}

function checkOptions(opts: SampleAppOptions): Required<SampleAppOptions> {
  const { version, slotBase, size, seed = 0 } = opts;
  if (!Number.isInteger(size) || size < SAMPLE_LAYOUT.minSize || size % 4 !== 0 || size > SFU_SLOT_SIZE) {
    throw new RangeError(
      `sample app size ${String(size)}: expected a multiple of 4 between 0x${SAMPLE_LAYOUT.minSize.toString(16)} and 0x${SFU_SLOT_SIZE.toString(16)}`,
    );
  }
  if (!Number.isInteger(slotBase) || slotBase < 0 || slotBase % 256 !== 0 || slotBase + size > 0x1_0000_0000) {
    throw new RangeError(`sample app slotBase ${String(slotBase)}: expected a 256-aligned address with room for ${size} bytes`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`sample app seed ${String(seed)}: expected an integer`);
  if (typeof version !== 'string') throw new TypeError('sample app version: expected a string');
  return { version, slotBase, size, seed };
}

/** A Thumb pointer to an even offset in [codeStart, size). */
function thumbTarget(r: Prng, size: number): number {
  const span = (size - SAMPLE_LAYOUT.codeStart) / 2;
  return SAMPLE_LAYOUT.codeStart + 2 * r.below(span);
}

/** Builds one sample image linked for `slotBase`. Same options, same bytes. */
export function buildSampleApp(options: SampleAppOptions): Buffer {
  const { version, slotBase, size, seed } = checkOptions(options);
  const L = SAMPLE_LAYOUT;
  const image = Buffer.alloc(size);

  // Code first (it fills everything from the vector table on), then the structures on top.
  const code = prng('code', version, seed);
  for (let at = L.vectorTable; at < size; at += 4) image.writeUInt32LE(code.next(), at);

  boot2().copy(image, 0);

  // Targets come from their own stream so the code bytes do not depend on the layout.
  const targets = prng('targets', version, seed, size);
  image.writeUInt32LE(SAMPLE_INITIAL_SP, L.vectorTable);
  image.writeUInt32LE(slotBase + L.resetOffset + 1, L.vectorTable + 4);
  for (let i = 2; i < L.vectorWords; i++) {
    image.writeUInt32LE(slotBase + thumbTarget(targets, size) + 1, L.vectorTable + 4 * i);
  }

  const buildId = createHash('sha256').update(`hilrig-sample-app build\0${version}\0${seed}`).digest('hex').slice(0, 16);
  encodeAppInfo({ version, linkBase: slotBase, imageLength: size, buildId, name: L.name }).copy(image, L.appInfo);

  for (const at of samplePointerOffsets(size)) {
    image.writeUInt32LE(slotBase + thumbTarget(targets, size) + 1, at);
  }
  return image;
}

/** Image offsets of the absolute pointer words in a sample of `size` bytes (vector table excluded). */
export function samplePointerOffsets(size: number): number[] {
  const out: number[] = [];
  const L = SAMPLE_LAYOUT;
  for (let page = L.codeStart - (L.codeStart % L.pointerStride); page < size; page += L.pointerStride) {
    const at = page + L.pointerPhase;
    if (at >= L.codeStart && at + 4 <= size) out.push(at);
  }
  return out;
}

/** The same version linked for both SFU slots: `a` for SFU_SLOTS.A.base, `b` for SFU_SLOTS.B.base. */
export function buildSamplePair(version: string, size: number, seed = 0): { a: Buffer; b: Buffer } {
  return {
    a: buildSampleApp({ version, slotBase: SFU_SLOTS.A.base, size, seed }),
    b: buildSampleApp({ version, slotBase: SFU_SLOTS.B.base, size, seed }),
  };
}
