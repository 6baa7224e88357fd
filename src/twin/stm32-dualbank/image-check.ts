/**
 * The OTA app's own reading of an image (the twin side; src/images/ reads the same layout
 * independently): the vector words the ROM and the core use, and the memfault-style header.
 */
import { crc32 } from 'node:zlib';
import { APPINFO_SIZE, decodeAppInfo } from '../../protocols/appinfo.js';
import { STM32F429, STM32_IMAGE_HEADER, STM32_IMAGE_LAYOUT } from '../../targets/stm32f429.js';

/**
 * The ROM's dual-bank check (AN2606): the initial SP points into SRAM. The top of SRAM itself
 * (0x2003_0000, CubeIDE's `_estack` on a 192 KiB F429) counts: a Cortex-M stack is full-descending,
 * so that SP's first push lands on the last SRAM word. One word above it does not.
 */
export function spInSram(sp: number): boolean {
  return sp >= STM32F429.sramBase && sp <= STM32F429.sramEnd;
}

/** Reset PC as linked: a Thumb address inside the 1 MiB window at 0x0800_0000. */
export function pcInWindow(pc: number): boolean {
  const target = pc & ~1;
  return pc % 2 === 1 && target >= STM32F429.linkBase && target < STM32F429.linkBase + STM32F429.bankSize;
}

/** Why a whole image (as it will land in a bank) is not fit to boot, or undefined when it is. */
export function imageProblem(image: Buffer): string | undefined {
  const L = STM32_IMAGE_LAYOUT;
  const H = STM32_IMAGE_HEADER;
  if (image.length < L.appInfoOffset + APPINFO_SIZE) return `image of ${image.length} bytes is too short`;
  const sp = image.readUInt32LE(0);
  const pc = image.readUInt32LE(4);
  if (!spInSram(sp)) return `initial SP 0x${sp.toString(16)} is not in SRAM`;
  if (!pcInWindow(pc) || (pc & ~1) - STM32F429.linkBase >= image.length) return `reset PC 0x${pc.toString(16)} is not in the image`;
  const hdr = image.subarray(L.headerOffset, L.headerOffset + L.headerSize);
  if (hdr.readUInt16LE(H.at.magic) !== H.magic) return 'image header magic is not 0xCAFE';
  const dataSize = hdr.readUInt32LE(H.at.dataSize);
  // The upload may carry padding after the image (a .bin padded to a page): the header says where it ends.
  const end = dataSize + L.headerSize;
  if (end > image.length || end < L.appInfoOffset + APPINFO_SIZE) return `image header data_size ${dataSize} does not fit the ${image.length}-byte upload`;
  const crc = crc32(image.subarray(L.headerOffset + L.headerSize, end), crc32(image.subarray(0, L.headerOffset))) >>> 0;
  if (crc !== hdr.readUInt32LE(H.at.crc)) return `image CRC 0x${crc.toString(16)} does not match the header's 0x${hdr.readUInt32LE(H.at.crc).toString(16)}`;
  if (hdr.readUInt32LE(H.at.vectorAddr) !== STM32F429.linkBase) return 'image header vector_addr is not 0x08000000';
  const info = decodeAppInfo(image.subarray(L.appInfoOffset, L.appInfoOffset + APPINFO_SIZE));
  if ('error' in info) return info.error;
  if (info.linkBase !== STM32F429.linkBase) return `linked for 0x${info.linkBase.toString(16)}, not 0x08000000`;
  return undefined;
}

/** Image length a bank's header claims (data_size + 32), if its magic is right and it fits the bank. */
export function headerLength(bankStart: Buffer): number | undefined {
  const L = STM32_IMAGE_LAYOUT;
  const H = STM32_IMAGE_HEADER;
  if (bankStart.readUInt16LE(L.headerOffset + H.at.magic) !== H.magic) return undefined;
  const len = bankStart.readUInt32LE(L.headerOffset + H.at.dataSize) + L.headerSize;
  return len <= STM32F429.bankSize && len >= L.appInfoOffset + APPINFO_SIZE ? len : undefined;
}
