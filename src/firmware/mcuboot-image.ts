/**
 * An imgtool-like builder for the twin's MCUboot images (reference/bootloader-formats-and-faults.md
 * §2.1–2.3): a 0x200-byte header, a sample app as the payload, an unprotected TLV area with the
 * SHA-256 of header + payload, and optionally the `--pad` trailer. Pure: same inputs, same bytes.
 *
 * | slot offset | content |
 * |---|---|
 * | 0x000 | image header (32 bytes), zero-padded to hdr_size (imgtool --pad-header) |
 * | 0x200 | payload offset 0: Cortex-M vector table, 64 words (SP, reset, 14 system + 48 nRF52840 IRQ vectors) |
 * | 0x200 + APPINFO_OFFSET | the app info block (src/protocols/appinfo.ts), linkBase = 0xC200 |
 * | 0x200 + size | TLV info {0x6907, tlv_tot=40}, then TLV {0x10, 32, SHA-256} |
 */
import { createHash } from 'node:crypto';
import { NRF52840, NRF52840_MCUBOOT, NRF52840_PARTITIONS } from '../targets/nrf52840.js';
import { SAMPLE_LAYOUT, buildSampleApp } from './sample-app.js';

export const MCUBOOT_IMAGE_MAGIC = 0x96f3b83d;
/** Trailer magic for BOOT_MAX_ALIGN = 8. */
export const MCUBOOT_TRAILER_MAGIC = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');
export const TLV_INFO_MAGIC = 0x6907;
export const TLV_SHA256 = 0x10;

/** The primary's execution address: where the payload (vector table) of a swapped-in image sits. */
export const MCUBOOT_LINK_BASE = NRF52840_PARTITIONS.primary.base + NRF52840_MCUBOOT.headerSize;

export interface McubootImageOptions {
  /** Varies the code bytes for the same version (default 0). */
  seed?: number;
  /** ih_hdr_size (default 0x200). */
  headerSize?: number;
  /** imgtool --pad: none (default), test (magic only), confirm (magic + image_ok). */
  pad?: 'none' | 'test' | 'confirm';
  /** Slot size for --pad and the fit check (default the nRF52840 slot, 0x67000). */
  slotSize?: number;
  /**
   * Address the payload is linked for (default MCUBOOT_LINK_BASE). Anything else gives a
   * correctly signed image that faults when run: the "bad build" a test swap must revert.
   */
  linkBase?: number;
}

export interface McubootVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

/** "1.2.3+4" or "1.2.3" (build 0). Throws RangeError on anything else. */
export function parseMcubootVersion(text: string): McubootVersion {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})(?:\+(\d{1,10}))?$/.exec(text);
  const v = m && { major: Number(m[1]), minor: Number(m[2]), revision: Number(m[3]), build: Number(m[4] ?? 0) };
  if (!v || v.major > 0xff || v.minor > 0xff || v.revision > 0xffff || v.build > 0xffff_ffff) {
    throw new RangeError(`MCUboot version ${JSON.stringify(text)}: expected major.minor.revision[+build] (u8.u8.u16+u32)`);
  }
  return v;
}

const WRITE = NRF52840_MCUBOOT.writeSize;
const ALIGN = NRF52840_MCUBOOT.maxAlign;
/** Status records of every sector and state plus magic, flags and swap_size (§2.3). */
export const MCUBOOT_SLOT_TRAILER_SIZE = NRF52840_MCUBOOT.maxSectors * 3 * WRITE + 4 * ALIGN + 16;

const VECTOR_WORDS = 64;

/** A small deterministic stream for the vector table's handler addresses. */
function handlerStream(version: string, seed: number): () => number {
  let counter = 0;
  let block = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + 4 > block.length) {
      block = createHash('sha256').update(`hilrig-mcuboot-vectors\0${version}\0${seed}\0${counter++}`).digest();
      at = 0;
    }
    const v = block.readUInt32LE(at);
    at += 4;
    return v;
  };
}

function buildPayload(version: string, size: number, seed: number, linkBase: number): Buffer {
  // The sample app gives the code bytes and the info block (linked for linkBase); its RP2040
  // boot2 area at offset 0 becomes the nRF52840 vector table.
  const payload = buildSampleApp({ version, slotBase: linkBase, size, seed });
  const next = handlerStream(version, seed);
  const codeSpan = (size - SAMPLE_LAYOUT.codeStart) / 2;
  payload.writeUInt32LE(NRF52840.sramTop, 0);
  payload.writeUInt32LE(linkBase + SAMPLE_LAYOUT.resetOffset + 1, 4);
  for (let i = 2; i < VECTOR_WORDS; i++) {
    payload.writeUInt32LE(linkBase + SAMPLE_LAYOUT.codeStart + 2 * (next() % codeSpan) + 1, 4 * i);
  }
  return payload;
}

function header(v: McubootVersion, headerSize: number, imgSize: number): Buffer {
  const h = Buffer.alloc(headerSize, 0);
  h.writeUInt32LE(MCUBOOT_IMAGE_MAGIC, 0);
  h.writeUInt32LE(0, 4); // ih_load_addr
  h.writeUInt16LE(headerSize, 8);
  h.writeUInt16LE(0, 10); // no protected TLVs
  h.writeUInt32LE(imgSize, 12);
  h.writeUInt32LE(0, 16); // ih_flags
  h.writeUInt8(v.major, 20);
  h.writeUInt8(v.minor, 21);
  h.writeUInt16LE(v.revision, 22);
  h.writeUInt32LE(v.build, 24);
  return h;
}

/** Unprotected TLV area: info header, then the SHA-256 over header + payload. */
function tlvArea(hashed: Buffer): Buffer {
  const tlvs = Buffer.alloc(4 + 4 + 32);
  tlvs.writeUInt16LE(TLV_INFO_MAGIC, 0);
  tlvs.writeUInt16LE(tlvs.length, 2);
  tlvs.writeUInt16LE(TLV_SHA256, 4);
  tlvs.writeUInt16LE(32, 6);
  createHash('sha256').update(hashed).digest().copy(tlvs, 8);
  return tlvs;
}

/**
 * Builds a signed (hashed) image of a sample app of `size` payload bytes. Without a pad the
 * result is header + payload + TLVs; with one it is the whole slot, 0xFF-filled, with the trailer
 * magic (and image_ok for 'confirm') at its end.
 */
export function buildMcubootImage(version: string, size: number, opts: McubootImageOptions = {}): Buffer {
  const v = parseMcubootVersion(version);
  const headerSize = opts.headerSize ?? NRF52840_MCUBOOT.headerSize;
  const slotSize = opts.slotSize ?? NRF52840_PARTITIONS.primary.size;
  const linkBase = opts.linkBase ?? MCUBOOT_LINK_BASE;
  if (!Number.isInteger(headerSize) || headerSize < 32 || headerSize > 0xffff || headerSize % 4) {
    throw new RangeError(`MCUboot header size ${String(headerSize)}: expected a multiple of 4 in 32..0xFFFF`);
  }
  const hashed = Buffer.concat([header(v, headerSize, size), buildPayload(version, size, opts.seed ?? 0, linkBase)]);
  const image = Buffer.concat([hashed, tlvArea(hashed)]);
  if (image.length > slotSize - MCUBOOT_SLOT_TRAILER_SIZE) {
    throw new RangeError(`MCUboot image of ${image.length} bytes does not fit a ${slotSize}-byte slot with its ${MCUBOOT_SLOT_TRAILER_SIZE}-byte trailer`);
  }
  const pad = opts.pad ?? 'none';
  if (pad === 'none') return image;
  const slot = Buffer.alloc(slotSize, NRF52840.erasedValue);
  image.copy(slot, 0);
  for (const w of mcubootTrailerWrites(slotSize, { permanent: pad === 'confirm', swapInfo: false })) w.bytes.copy(slot, w.offset);
  return slot;
}

export interface TrailerWrite {
  /** Offset from the slot start. */
  offset: number;
  /** Whole 32-bit words. */
  bytes: Buffer;
}

const SWAP_TYPE_TEST = 2;
const SWAP_TYPE_PERM = 3;

/** One flag byte written as a whole word, the rest erased (boot_write_trailer with w = 4). */
function flagWord(value: number): Buffer {
  const b = Buffer.alloc(WRITE, NRF52840.erasedValue);
  b[0] = value;
  return b;
}

/**
 * The writes `boot_set_pending` does on the secondary's trailer, in its order: magic (16 bytes
 * at S-16), image_ok = 1 at S-24 when permanent, swap_info at S-40 (TEST 2 or PERM 3, image 0).
 * `swapInfo: false` leaves swap_info out (what imgtool --pad writes).
 */
export function mcubootTrailerWrites(slotSize: number, opts: { permanent: boolean; swapInfo?: boolean }): TrailerWrite[] {
  const writes: TrailerWrite[] = [{ offset: slotSize - 16, bytes: Buffer.from(MCUBOOT_TRAILER_MAGIC) }];
  if (opts.permanent) writes.push({ offset: slotSize - 16 - ALIGN, bytes: flagWord(1) });
  if (opts.swapInfo !== false) writes.push({ offset: slotSize - 16 - 3 * ALIGN, bytes: flagWord(opts.permanent ? SWAP_TYPE_PERM : SWAP_TYPE_TEST) });
  return writes;
}

/**
 * The same writes merged into one block [S-40, S) with erased bytes between them, for a probe
 * that erases the sectors it touches before writing (one write, the last sector erased once).
 * The image must then end before the slot's last 4 KiB page.
 */
export function mcubootPendingBlock(slotSize: number, opts: { permanent: boolean }): TrailerWrite {
  const start = slotSize - 16 - 3 * ALIGN;
  const bytes = Buffer.alloc(slotSize - start, NRF52840.erasedValue);
  for (const w of mcubootTrailerWrites(slotSize, opts)) w.bytes.copy(bytes, w.offset - start);
  return { offset: start, bytes };
}
