/**
 * Deterministic sample images for the stm32-dualbank twin: an STM32F429 app linked for
 * 0x0800_0000. Both banks hold the same bytes (the ROM remaps the bank it boots to 0x0800_0000,
 * reference/bootloader-formats-and-faults.md §6), so one image serves either bank.
 *
 * | image offset | content |
 * |---|---|
 * | 0x000 | initial SP 0x2002_0000 (in SRAM, 64 KiB below its top: some ROMs refuse the very top) |
 * | 0x004 | reset PC = 0x0800_0301 (Thumb), into the code |
 * | 0x008–0x1AB | 105 more handler words (F429: 16 exceptions + 91 IRQs), odd, pointing into the code |
 * | 0x1AC–0x1BF | pseudo-random "code" |
 * | 0x1C0–0x1DF | memfault-style image_hdr_t (seed 001; layout in STM32_IMAGE_HEADER) |
 * | 0x1E0–0x1FF | pseudo-random "code" |
 * | 0x200–0x23F | the app info block (src/protocols/appinfo.ts), linkBase 0x0800_0000 |
 * | 0x240–size | pseudo-random "code" (seeded by version and seed) |
 *
 * Header crc = IEEE CRC-32 (zlib) over every image byte except the 32 header bytes, i.e.
 * [0x000, 0x1C0) then [0x1E0, size); data_size = size − 32; vector_addr = 0x0800_0000;
 * reserved = 0xFFFFFFFF; git_sha = first 7 hex digits of the build id + NUL.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { encodeAppInfo } from '../protocols/appinfo.js';
import { STM32F429, STM32_IMAGE_HEADER, STM32_IMAGE_LAYOUT } from '../targets/stm32f429.js';

export const STM32_SAMPLE = {
  initialSp: 0x2002_0000,
  resetOffset: 0x300,
  codeStart: STM32_IMAGE_LAYOUT.appInfoOffset + 64,
  minSize: 0x400,
  maxSize: STM32F429.bankSize,
  name: 'hilrig-app',
} as const;

/** Parses "1.2.3" (anything after the third number is ignored, missing parts are 0). */
function semver(version: string): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  const parts = [m?.[1], m?.[2], m?.[3]].map((p) => (p === undefined ? 0 : Number(p)));
  if (parts.some((p) => p > 255)) throw new RangeError(`stm32 image version ${JSON.stringify(version)}: each of major.minor.patch must fit a byte`);
  return parts as [number, number, number];
}

/** Seeded byte stream (SHA-256 in counter mode): the same on every platform. */
function fill(target: Buffer, from: number, ...key: (string | number)[]): void {
  const prefix = ['hilrig-stm32-image', ...key].join('\0');
  let block = 0;
  for (let at = from; at < target.length; block++) {
    const chunk = createHash('sha256').update(`${prefix}\0${block}`).digest();
    at += chunk.copy(target, at);
  }
}

/** Image CRC as the header stores it: every byte except the header's own 32. */
export function stm32ImageCrc(image: Uint8Array, dataSize: number): number {
  const L = STM32_IMAGE_LAYOUT;
  const head = image.subarray(0, L.headerOffset);
  const tail = image.subarray(L.headerOffset + L.headerSize, L.headerSize + dataSize);
  return crc32(tail, crc32(head)) >>> 0;
}

/**
 * Builds a sample image of `size` bytes (a multiple of 4, 0x400..1 MiB). Same arguments, same
 * bytes. The version goes into both the app info block and the header's major/minor/patch.
 */
export function buildStm32Image(version: string, size: number, seed = 0): Buffer {
  if (!Number.isInteger(size) || size < STM32_SAMPLE.minSize || size > STM32_SAMPLE.maxSize || size % 4 !== 0) {
    throw new RangeError(`stm32 image size ${String(size)}: expected a multiple of 4 between 0x400 and 0x${STM32_SAMPLE.maxSize.toString(16)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`stm32 image seed ${String(seed)}: expected an integer`);
  const [major, minor, patch] = semver(version);
  const L = STM32_IMAGE_LAYOUT;
  const H = STM32_IMAGE_HEADER;
  const base = STM32F429.linkBase;
  const image = Buffer.alloc(size);
  fill(image, 0, 'code', version, seed);

  const targets = Buffer.alloc(4 * L.vectorWords);
  fill(targets, 0, 'targets', version, seed, size);
  const codeSpan = (size - STM32_SAMPLE.codeStart) / 2;
  image.writeUInt32LE(STM32_SAMPLE.initialSp, 0);
  image.writeUInt32LE(base + STM32_SAMPLE.resetOffset + 1, 4);
  for (let i = 2; i < L.vectorWords; i++) {
    const target = STM32_SAMPLE.codeStart + 2 * (targets.readUInt32LE(4 * i) % codeSpan);
    image.writeUInt32LE(base + target + 1, 4 * i);
  }

  const buildId = createHash('sha256').update(`hilrig-stm32-image build\0${version}\0${seed}`).digest('hex').slice(0, 16);
  encodeAppInfo({ version, linkBase: base, imageLength: size, buildId, name: STM32_SAMPLE.name }).copy(image, L.appInfoOffset);

  const hdr = Buffer.alloc(L.headerSize);
  const dataSize = size - L.headerSize;
  hdr.writeUInt16LE(H.magic, H.at.magic);
  hdr.writeUInt16LE(H.headerVersion, H.at.headerVersion);
  hdr.writeUInt32LE(dataSize, H.at.dataSize);
  hdr[H.at.imageType] = H.imageTypeApp;
  hdr[H.at.major] = major;
  hdr[H.at.minor] = minor;
  hdr[H.at.patch] = patch;
  hdr.writeUInt32LE(base, H.at.vectorAddr);
  hdr.writeUInt32LE(0xffff_ffff, H.at.reserved);
  hdr.write(buildId.slice(0, 7), H.at.gitSha, 'latin1');
  hdr.copy(image, L.headerOffset);
  image.writeUInt32LE(stm32ImageCrc(image, dataSize), L.headerOffset + H.at.crc);
  return image;
}
