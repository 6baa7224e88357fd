/**
 * RP2040-SFU slot metadata ("signature", reference/sfu-protocol.md §3.2) and the slot CRC it
 * signs. Read here independently of the twin and of the uploader.
 */
import { crc32 } from 'node:zlib';
import { SFU_SLOT_SIZE } from '../../targets/rp2040.js';

/** Generation (timestamp) word of an unsigned slot: erased flash. */
export const SFU_UNSIGNED = 0xffff_ffff;

export interface SfuMetadata {
  /** Word 0 of the metadata sector, u32 LE: IEEE CRC-32 of the whole slot image area. */
  storedCrc: number;
  /** Word 1, u32 LE: the generation counter ("timestamp"); SFU_UNSIGNED when not signed. */
  generation: number;
  /** generation !== SFU_UNSIGNED */
  signed: boolean;
}

/** Reads the first 8 bytes of a slot's metadata sector. */
export function readSfuMetadata(metaSector: Buffer): SfuMetadata {
  if (metaSector.length < 8) throw new RangeError(`SFU metadata: need 8 bytes, got ${metaSector.length}`);
  const storedCrc = metaSector.readUInt32LE(0);
  const generation = metaSector.readUInt32LE(4);
  return { storedCrc, generation, signed: generation !== SFU_UNSIGNED };
}

/**
 * The slot CRC the bootloader computes: IEEE CRC-32 (zlib) over the entire 0x1EF000-byte image
 * area, erased tail included. An erased slot gives 0xE040107A.
 */
export function sfuSlotCrc(slotArea: Buffer): number {
  if (slotArea.length !== SFU_SLOT_SIZE) {
    throw new RangeError(`SFU slot CRC: the image area is ${SFU_SLOT_SIZE} bytes, got ${slotArea.length}`);
  }
  return crc32(slotArea) >>> 0;
}

/** "0000ABCD": the bootloader's %08X. */
export { hexDigits as hex8 } from '../../core/hex.js';
