/**
 * The boot code's own reading of a slot (the twin side; src/images/fwup-header.ts reads the
 * same layout independently). What the seed's programs check:
 * - before starting an image (bootloader, Loader): the header alone, as image_get_header does:
 *   magic, header version, an image type the slot may start, a data_size that fits and a
 *   vector_addr inside the image. The header is the commit record: it is only ever written after
 *   its data, so its presence is trusted and the CRC is not recomputed at every boot;
 * - before writing a header (dfu.c image_validate): the CRC over the data in flash.
 */
import { crc32 } from 'node:zlib';
import { LOADER_APP_HEADER as H, LOADER_APP_IMAGE_TYPES, type LoaderAppImageType, type LoaderAppSlot } from '../../targets/stm32f429-fwup.js';
import type { NorFlash } from '../flash/nor-flash.js';

export interface SlotHeader {
  type: LoaderAppImageType;
  crc: number;
  dataSize: number;
  vectorAddr: number;
  version: string;
}

/** The header the boot code would start `slot` on, or undefined (not committed, or not for this slot). */
export function bootableHeader(flash: NorFlash, slot: LoaderAppSlot, accept: readonly LoaderAppImageType[]): SlotHeader | undefined {
  const h = flash.read(slot.base, H.size);
  return parseHeader(h, slot, accept);
}

export function parseHeader(h: Buffer, slot: LoaderAppSlot, accept: readonly LoaderAppImageType[]): SlotHeader | undefined {
  if (h.readUInt16LE(H.at.magic) !== H.magic || h.readUInt16LE(H.at.headerVersion) !== H.headerVersion) return undefined;
  const type = (Object.keys(LOADER_APP_IMAGE_TYPES) as LoaderAppImageType[]).find((k) => LOADER_APP_IMAGE_TYPES[k] === h[H.at.imageType]);
  if (!type || !accept.includes(type)) return undefined;
  const dataSize = h.readUInt32LE(H.at.dataSize);
  const vectorAddr = h.readUInt32LE(H.at.vectorAddr);
  if (dataSize === 0 || dataSize > slot.size - H.size) return undefined;
  if (vectorAddr < slot.base + H.size || vectorAddr >= slot.base + H.size + dataSize || vectorAddr % 4) return undefined;
  return { type, crc: h.readUInt32LE(H.at.crc), dataSize, vectorAddr, version: `${h[H.at.major]}.${h[H.at.minor]}.${h[H.at.patch]}` };
}

/** image_validate: the CRC of the data_size bytes after the header, as flash holds them now. */
export function dataCrcMatches(flash: NorFlash, slot: LoaderAppSlot, header: SlotHeader): boolean {
  return crc32(flash.read(slot.base + H.size, header.dataSize)) >>> 0 === header.crc >>> 0;
}

/** image_validate over an image still in RAM (the Updater checks the Loader before slot 1 is touched). */
export function imageCrcMatches(image: Buffer, header: SlotHeader): boolean {
  return crc32(image.subarray(H.size, H.size + header.dataSize)) >>> 0 === header.crc >>> 0;
}
