/**
 * The host's own reading of a loader-app slot (seed 001's image_hdr_t at the slot's first byte;
 * layout in src/targets/stm32f429-fwup.ts), independent of the twin's: what the header
 * says, whether the data matches its CRC, and why the Loader (or the bootloader) would refuse it.
 */
import { crc32 } from 'node:zlib';
import { hex32 as hex } from '../core/hex.js';
import { LOADER_APP_HEADER as H, LOADER_APP_IMAGE_TYPES, type LoaderAppImageType, type LoaderAppSlot } from '../targets/stm32f429-fwup.js';

export interface FwupHeader {
  magic: number;
  headerVersion: number;
  crc: number;
  dataSize: number;
  imageType: number;
  /** 'loader' | 'app' | 'updater', or undefined for a type the seed does not define. */
  typeName?: LoaderAppImageType;
  version: string;
  vectorAddr: number;
  reserved: number;
  gitSha: string;
}

/** What the first 32 bytes of a slot are, before any CRC. */
export type FwupHeaderState = 'committed' | 'erased' | 'invalidated' | 'garbage';

export interface FwupSlotCheck {
  state: FwupHeaderState;
  /** Decoded whenever the magic is 0xCAFE (even when another field is wrong). */
  header: FwupHeader | null;
  /** CRC-32 of the data_size bytes after the header, when data_size fits the slot. */
  actualCrc: number | null;
  crcOk: boolean;
  /**
   * Every header field acceptable (CRC aside): what the boot code checks before it starts the
   * slot, since a header is only ever written after its data (seed 001's loader.c).
   */
  headerOk: boolean;
  /** Magic, header version, data_size, vector_addr and type all acceptable, and the CRC matches. */
  valid: boolean;
  /** Why it is not valid; empty when it is. */
  problems: string[];
}

const TYPE_NAMES = Object.fromEntries(Object.entries(LOADER_APP_IMAGE_TYPES).map(([k, v]) => [v, k as LoaderAppImageType])) as Record<number, LoaderAppImageType>;

function decode(h: Buffer): FwupHeader {
  const sha = h.subarray(H.at.gitSha, H.at.gitSha + 8);
  const nul = sha.indexOf(0);
  const imageType = h[H.at.imageType]!;
  const typeName = TYPE_NAMES[imageType];
  return {
    magic: h.readUInt16LE(H.at.magic),
    headerVersion: h.readUInt16LE(H.at.headerVersion),
    crc: h.readUInt32LE(H.at.crc),
    dataSize: h.readUInt32LE(H.at.dataSize),
    imageType,
    ...(typeName && { typeName }),
    version: `${h[H.at.major]}.${h[H.at.minor]}.${h[H.at.patch]}`,
    vectorAddr: h.readUInt32LE(H.at.vectorAddr),
    reserved: h.readUInt32LE(H.at.reserved),
    gitSha: sha
      .subarray(0, nul < 0 ? 8 : nul)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '?'),
  };
}

function headerState(h: Buffer): FwupHeaderState {
  if (h.every((b) => b === 0xff)) return 'erased';
  if (h.every((b) => b === 0x00)) return 'invalidated';
  return h.readUInt16LE(H.at.magic) === H.magic ? 'committed' : 'garbage';
}

/**
 * Reads and checks the header at the start of `content` (a slot's bytes, from its base).
 * `accept` lists the image types this slot may start (slot 1: the Loader; slot 2: the
 * Application or the Updater). Never throws on any bytes; a content shorter than a header
 * reads as garbage.
 */
export function checkFwupSlot(content: Buffer, slot: LoaderAppSlot, accept: readonly LoaderAppImageType[]): FwupSlotCheck {
  if (content.length < H.size)
    return { state: 'garbage', header: null, actualCrc: null, crcOk: false, headerOk: false, valid: false, problems: [`only ${content.length} bytes: no room for the 32-byte header`] };
  const raw = content.subarray(0, H.size);
  const state = headerState(raw);
  const problems: string[] = [];
  if (state === 'erased') problems.push('header erased (0xFF): no image committed');
  if (state === 'invalidated') problems.push('header zeroed: the image was invalidated');
  if (state === 'garbage') problems.push(`header magic 0x${raw.readUInt16LE(H.at.magic).toString(16).toUpperCase().padStart(4, '0')}, expected 0xCAFE: not a committed image`);
  if (state !== 'committed') return { state, header: null, actualCrc: null, crcOk: false, headerOk: false, valid: false, problems };

  const header = decode(raw);
  const maxData = Math.min(slot.size, content.length) - H.size;
  const sizeOk = header.dataSize > 0 && header.dataSize <= maxData;
  if (header.headerVersion !== H.headerVersion) problems.push(`header version ${header.headerVersion}, expected ${H.headerVersion}`);
  if (!sizeOk) problems.push(`data_size ${header.dataSize} does not fit the slot (1..${maxData})`);
  if (!header.typeName) problems.push(`image type ${header.imageType} is none of 1 (Loader), 2 (Application), 3 (Updater)`);
  else if (!accept.includes(header.typeName)) problems.push(`image type ${header.imageType} (${header.typeName}) does not belong in ${slot.name} (expected ${accept.join(' or ')})`);
  const vectorOk = header.vectorAddr >= slot.base + H.size && header.vectorAddr < slot.base + H.size + (sizeOk ? header.dataSize : 0) && header.vectorAddr % 4 === 0;
  if (!vectorOk) problems.push(`vector_addr ${hex(header.vectorAddr)} is not inside the image in ${slot.name} (${hex(slot.base)})`);
  const headerOk = problems.length === 0;
  const actualCrc = sizeOk ? crc32(content.subarray(H.size, H.size + header.dataSize)) >>> 0 : null;
  const crcOk = actualCrc !== null && actualCrc === header.crc;
  if (actualCrc !== null && !crcOk) problems.push(`CRC mismatch: header says ${hex(header.crc)}, the data gives ${hex(actualCrc)}`);
  return { state, header, actualCrc, crcOk, headerOk, valid: problems.length === 0, problems };
}
