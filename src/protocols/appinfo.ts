/**
 * The app info block our sample apps carry (64 bytes at image offset 0x200, right after the
 * RP2040 boot2 area 0x000–0x0FF and the vector table at 0x100). The simulated app prints its
 * banner from it and the host shows a slot's version with it. A pure codec: no I/O.
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0  | 8  | magic, ASCII `HILAPP01` |
 * | 8  | 16 | version, ASCII, NUL-padded (e.g. `1.0.0`) |
 * | 24 | 4  | linkBase, u32 LE: the slot base the image is linked for |
 * | 28 | 4  | imageLength, u32 LE |
 * | 32 | 8  | buildId, 8 raw bytes (shown as 16 hex digits) |
 * | 40 | 16 | name, ASCII, NUL-padded (`hilrig-app`) |
 * | 56 | 4  | reserved, 0xFF |
 * | 60 | 4  | IEEE CRC-32 (zlib) of bytes 0–59, u32 LE |
 */
import { crc32 } from 'node:zlib';
import { hex, hex32 } from '../core/hex.js';

/** Offset of the block from the image start (image offset 0 = slot base). */
export const APPINFO_OFFSET = 0x200;
export const APPINFO_SIZE = 64;
export const APPINFO_MAGIC = 'HILAPP01';

const VERSION_AT = 8;
const VERSION_LEN = 16;
const LINK_BASE_AT = 24;
const IMAGE_LENGTH_AT = 28;
const BUILD_ID_AT = 32;
const BUILD_ID_LEN = 8;
const NAME_AT = 40;
const NAME_LEN = 16;
const RESERVED_AT = 56;
const CRC_AT = 60;

export interface AppInfo {
  /** Printable ASCII, at most 16 characters, e.g. "1.0.0". */
  version: string;
  /** The slot base address the image is linked for. */
  linkBase: number;
  /** Length of the image in bytes. */
  imageLength: number;
  /** 8 bytes as 16 lowercase hex digits. */
  buildId: string;
  /** Printable ASCII, at most 16 characters, e.g. "hilrig-app". */
  name: string;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

function checkText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw new TypeError(`appinfo ${field}: expected a string`);
  if (!PRINTABLE.test(value)) throw new TypeError(`appinfo ${field} ${JSON.stringify(value)}: only printable ASCII is allowed`);
  if (value.length > max) throw new RangeError(`appinfo ${field} ${JSON.stringify(value)}: at most ${max} characters`);
  return value;
}

function checkU32(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`appinfo ${field}: expected an unsigned 32-bit integer, got ${String(value)}`);
  }
  return value;
}

/** Encodes the 64-byte block. Throws TypeError/RangeError on a field that does not fit. */
export function encodeAppInfo(info: AppInfo): Buffer {
  const version = checkText('version', info.version, VERSION_LEN);
  const name = checkText('name', info.name, NAME_LEN);
  const linkBase = checkU32('linkBase', info.linkBase);
  const imageLength = checkU32('imageLength', info.imageLength);
  if (typeof info.buildId !== 'string' || !/^[0-9a-fA-F]{16}$/.test(info.buildId)) {
    throw new TypeError(`appinfo buildId: expected 16 hex digits (8 bytes), got ${JSON.stringify(info.buildId)}`);
  }
  const block = Buffer.alloc(APPINFO_SIZE, 0);
  block.write(APPINFO_MAGIC, 0, 'latin1');
  block.write(version, VERSION_AT, 'latin1');
  block.writeUInt32LE(linkBase, LINK_BASE_AT);
  block.writeUInt32LE(imageLength, IMAGE_LENGTH_AT);
  Buffer.from(info.buildId, 'hex').copy(block, BUILD_ID_AT);
  block.write(name, NAME_AT, 'latin1');
  block.fill(0xff, RESERVED_AT, CRC_AT);
  block.writeUInt32LE(crc32(block.subarray(0, CRC_AT)), CRC_AT);
  return block;
}

/** A NUL-padded ASCII field: text up to the first NUL, nothing but NULs after it. */
function readText(bytes: Uint8Array, at: number, len: number, field: string): string | { error: string } {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset + at, len);
  const nul = raw.indexOf(0);
  const end = nul < 0 ? len : nul;
  const text = raw.toString('latin1', 0, end);
  if (!PRINTABLE.test(text)) return { error: `appinfo ${field} is not printable ASCII` };
  for (let i = end; i < len; i++) {
    if (raw[i] !== 0) return { error: `appinfo ${field} is not NUL-padded (byte ${i} after the text is ${hex(raw[i], { width: 2 })})` };
  }
  return text;
}

/**
 * Decodes the first 64 bytes of `bytes` (the block itself, not the whole image: see
 * readAppInfo). Never throws: garbage, a wrong magic, a bad CRC or too few bytes give
 * `{ error }` with a sentence saying what is wrong.
 */
export function decodeAppInfo(bytes: Uint8Array): AppInfo | { error: string } {
  if (!(bytes instanceof Uint8Array)) return { error: 'appinfo: expected bytes' };
  if (bytes.length < APPINFO_SIZE) {
    return { error: `appinfo truncated: ${bytes.length} bytes, the block is ${APPINFO_SIZE}` };
  }
  const block = Buffer.from(bytes.buffer, bytes.byteOffset, APPINFO_SIZE);
  const magic = block.toString('latin1', 0, 8);
  if (magic !== APPINFO_MAGIC) {
    return { error: `appinfo magic is ${JSON.stringify(magic)}, expected "${APPINFO_MAGIC}"` };
  }
  const stored = block.readUInt32LE(CRC_AT);
  const actual = crc32(block.subarray(0, CRC_AT));
  if (stored !== actual) {
    return { error: `appinfo CRC mismatch: stored ${hex32(stored)}, computed ${hex32(actual)}` };
  }
  const version = readText(block, VERSION_AT, VERSION_LEN, 'version');
  if (typeof version !== 'string') return version;
  const name = readText(block, NAME_AT, NAME_LEN, 'name');
  if (typeof name !== 'string') return name;
  return {
    version,
    linkBase: block.readUInt32LE(LINK_BASE_AT),
    imageLength: block.readUInt32LE(IMAGE_LENGTH_AT),
    buildId: block.toString('hex', BUILD_ID_AT, BUILD_ID_AT + BUILD_ID_LEN),
    name,
  };
}

/** Decodes the block at APPINFO_OFFSET of a whole image (or slot). Never throws. */
export function readAppInfo(image: Uint8Array): AppInfo | { error: string } {
  if (!(image instanceof Uint8Array)) return { error: 'appinfo: expected bytes' };
  if (image.length < APPINFO_OFFSET + APPINFO_SIZE) {
    return { error: `appinfo: image is ${image.length} bytes, too short to hold the block at ${hex(APPINFO_OFFSET, { width: 0 })}` };
  }
  return decodeAppInfo(image.subarray(APPINFO_OFFSET, APPINFO_OFFSET + APPINFO_SIZE));
}

/** Narrows a decode result. */
export function isAppInfo(r: AppInfo | { error: string }): r is AppInfo {
  return !('error' in r);
}
