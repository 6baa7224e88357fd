/**
 * Deterministic sample images for the loader-app scheme (seed 001): the immutable bootloader, the
 * Loader (slot 1), and the Application and the Updater (slot 2). Layout and header:
 * src/targets/stm32f429-fwup.ts.
 *
 * | offset | content (Loader, Application, Updater) |
 * |---|---|
 * | 0x000 | image_hdr_t, 32 bytes (crc over the data_size bytes after it) |
 * | 0x020–0x1FF | 0x00 (objcopy's fill between the header section and the aligned vectors) |
 * | 0x200 | vector table: initial SP 0x2002_0000, reset PC slot base + 0x401, 105 more handlers |
 * | 0x3AC–0x3BF | 0x00 |
 * | 0x3C0 | the app info block (src/protocols/appinfo.ts), linkBase = slot base |
 * | 0x400–size | pseudo-random "code" (seeded by type, version and seed) |
 *
 * The bootloader has no header: a vector table at offset 0, then code (the core starts it from
 * 0x0800_0000 whatever it holds, so nothing could check a header of its own).
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { encodeAppInfo } from '../protocols/appinfo.js';
import { LOADER_APP_HEADER, LOADER_APP_IMAGE_LAYOUT, LOADER_APP_IMAGE_TYPES, LOADER_APP_SLOTS, type LoaderAppImageType } from '../targets/stm32f429-fwup.js';

export const FWUP_SAMPLE = {
  initialSp: 0x2002_0000,
  minSize: 0x800,
  /** App info `name` per program: the twin's banner and the host's table show it. */
  names: { loader: 'hilrig-loader', app: 'hilrig-app', updater: 'hilrig-updater', bootloader: 'hilrig-boot' },
} as const;

/** The slot each image type is built for. */
export function fwupSlotFor(type: LoaderAppImageType): 'slot1' | 'slot2' {
  return type === 'loader' ? 'slot1' : 'slot2';
}

function semver(version: string): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  const parts = [m?.[1], m?.[2], m?.[3]].map((p) => (p === undefined ? 0 : Number(p)));
  if (!m || parts.some((p) => p > 255)) throw new RangeError(`fwup image version ${JSON.stringify(version)}: expected major.minor.patch, each fitting a byte`);
  return parts as [number, number, number];
}

/** Seeded byte stream (SHA-256 in counter mode): the same on every platform. */
function fill(target: Buffer, from: number, ...key: (string | number)[]): void {
  const prefix = ['hilrig-fwup-image', ...key].join('\0');
  for (let at = from, block = 0; at < target.length; block++) {
    at += createHash('sha256').update(`${prefix}\0${block}`).digest().copy(target, at);
  }
}

/** The header's crc: IEEE CRC-32 of the data_size bytes after the 32-byte header. */
export function fwupImageCrc(image: Uint8Array, dataSize: number): number {
  return crc32(image.subarray(LOADER_APP_HEADER.size, LOADER_APP_HEADER.size + dataSize)) >>> 0;
}

function writeVectors(image: Buffer, at: number, linkBase: number, codeStart: number, seed: (string | number)[]): void {
  const words = LOADER_APP_IMAGE_LAYOUT.vectorWords;
  const targets = Buffer.alloc(4 * words);
  fill(targets, 0, 'targets', ...seed);
  const codeSpan = Math.floor((image.length - codeStart) / 2);
  image.writeUInt32LE(FWUP_SAMPLE.initialSp, at);
  image.writeUInt32LE(linkBase + codeStart + 1, at + 4);
  for (let i = 2; i < words; i++) image.writeUInt32LE(linkBase + codeStart + 2 * (targets.readUInt32LE(4 * i) % codeSpan) + 1, at + 4 * i);
}

function checkSize(size: number, max: number, what: string): void {
  if (!Number.isInteger(size) || size < FWUP_SAMPLE.minSize || size > max || size % 4 !== 0) {
    throw new RangeError(`${what} size ${String(size)}: expected a multiple of 4 between 0x${FWUP_SAMPLE.minSize.toString(16)} and 0x${max.toString(16)}`);
  }
}

export interface FwupImageOptions {
  type: LoaderAppImageType;
  version: string;
  size: number;
  seed?: number;
  /**
   * Links the image for this address instead of its slot's base (a crashing image: valid header
   * and CRC, but its reset vector and info block point elsewhere, so it faults at start).
   */
  linkBase?: number;
}

/** A Loader, Application or Updater image for its slot. Same options, same bytes. */
export function buildFwupImage(opts: FwupImageOptions): Buffer {
  const slot = LOADER_APP_SLOTS[fwupSlotFor(opts.type)];
  checkSize(opts.size, slot.size, `fwup ${opts.type} image`);
  const seed = opts.seed ?? 0;
  const [major, minor, patch] = semver(opts.version);
  const L = LOADER_APP_IMAGE_LAYOUT;
  const H = LOADER_APP_HEADER;
  const linkBase = opts.linkBase ?? slot.base;
  const key = [opts.type, opts.version, seed, linkBase];
  const image = Buffer.alloc(opts.size);
  fill(image, L.codeOffset, 'code', ...key);
  writeVectors(image, L.vectorOffset, linkBase, L.codeOffset, key);
  const buildId = createHash('sha256').update(`hilrig-fwup build\0${key.join('\0')}`).digest('hex').slice(0, 16);
  encodeAppInfo({ version: opts.version, linkBase, imageLength: opts.size, buildId, name: FWUP_SAMPLE.names[opts.type] }).copy(image, L.appInfoOffset);

  const dataSize = opts.size - H.size;
  image.writeUInt16LE(H.magic, H.at.magic);
  image.writeUInt16LE(H.headerVersion, H.at.headerVersion);
  image.writeUInt32LE(dataSize, H.at.dataSize);
  image[H.at.imageType] = LOADER_APP_IMAGE_TYPES[opts.type];
  image[H.at.major] = major;
  image[H.at.minor] = minor;
  image[H.at.patch] = patch;
  // Where the table sits in the slot, whatever it was linked for.
  image.writeUInt32LE(slot.base + L.vectorOffset, H.at.vectorAddr);
  image.writeUInt32LE(0xffff_ffff, H.at.reserved);
  image.write(buildId.slice(0, 7), H.at.gitSha, 'latin1');
  image.writeUInt32LE(fwupImageCrc(image, dataSize), H.at.crc);
  return image;
}

/** The immutable bootloader for 0x0800_0000: vector table at 0, info block at 0x3C0, no header. */
export function buildFwupBootloader(version = '1.0.0', size = 8 * 1024): Buffer {
  const boot = LOADER_APP_SLOTS.boot;
  checkSize(size, boot.size, 'fwup bootloader');
  const L = LOADER_APP_IMAGE_LAYOUT;
  const image = Buffer.alloc(size);
  fill(image, L.codeOffset, 'boot-code', version);
  writeVectors(image, 0, boot.base, L.codeOffset, ['boot', version]);
  const buildId = createHash('sha256').update(`hilrig-fwup boot\0${version}`).digest('hex').slice(0, 16);
  encodeAppInfo({ version, linkBase: boot.base, imageLength: size, buildId, name: FWUP_SAMPLE.names.bootloader }).copy(image, L.appInfoOffset);
  return image;
}
