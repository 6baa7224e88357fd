/**
 * The product's MCUboot slots as the two apps see them, at their virtual addresses
 * (src/targets/nrf91-nrf52-product.ts), and the few trailer and image facts the apps read and
 * write themselves: the pending request (boot_set_pending), the confirm (boot_set_confirmed), the
 * running image's app info, an image's header version and extent. The swap is the
 * bootloader's (src/twin/mcuboot/).
 */
import { APPINFO_OFFSET, APPINFO_SIZE, decodeAppInfo } from '../../protocols/appinfo.js';
import { NRF52840_MCUBOOT } from '../../targets/nrf52840.js';
import { PRODUCT_RUN_ADDRESS, productSlotAddress, type ProductMemberName } from '../../targets/nrf91-nrf52-product.js';
import { PRODUCT_MEMBERS } from '../../targets/nrf91-nrf52-product.js';

export interface Slot {
  readonly name: 'primary' | 'secondary' | 'scratch';
  /** Virtual address. */
  readonly base: number;
  readonly size: number;
}

export function memberSlot(member: ProductMemberName, name: Slot['name']): Slot {
  const m = PRODUCT_MEMBERS.find((x) => x.name === member)!;
  return { name, base: productSlotAddress(member, name), size: m.slots[name].size };
}

/** The real address each member's app runs from (its banner prints it). */
export const RUN_ADDRESS = PRODUCT_RUN_ADDRESS;

const A = NRF52840_MCUBOOT.maxAlign;
const WRITE = NRF52840_MCUBOOT.writeSize;
export const TRAILER_MAGIC = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');
const IMAGE_MAGIC = 0x96f3b83d;
/** The sector holding a slot's trailer (the last 4 KiB: the trailer of 128 sectors is 1,584 bytes). */
export const TRAILER_SECTOR = 4096;

export function trailerAddresses(slot: Slot) {
  const end = slot.base + slot.size;
  return { magic: end - 16, imageOk: end - 16 - A, copyDone: end - 16 - 2 * A, sector: end - TRAILER_SECTOR };
}

/** One byte written as a whole word (boot_write_trailer). */
export function flagWord(byte: number): Buffer {
  const b = Buffer.alloc(WRITE, 0xff);
  b[0] = byte;
  return b;
}

export type TrailerMagic = 'good' | 'unset' | 'bad';

export interface TrailerView {
  magic: TrailerMagic;
  imageOk: boolean;
  copyDone: boolean;
}

/** A slot's trailer from its last 16 + 3 * maxAlign bytes, as `read` gives them. */
export function readTrailer(read: (address: number, length: number) => Buffer, slot: Slot): TrailerView {
  const t = trailerAddresses(slot);
  const m = read(t.magic, 16);
  const magic: TrailerMagic = m.every((b) => b === 0xff) ? 'unset' : m.equals(TRAILER_MAGIC) ? 'good' : 'bad';
  return { magic, imageOk: read(t.imageOk, 1)[0] === 1, copyDone: read(t.copyDone, 1)[0] === 1 };
}

/** The running image's app info (version, build id), or undefined when the primary holds none. */
export function runningApp(read: (address: number, length: number) => Buffer, primary: Slot, headerSize = NRF52840_MCUBOOT.headerSize): { version: string; buildId: string } | undefined {
  const info = decodeAppInfo(read(primary.base + headerSize + APPINFO_OFFSET, APPINFO_SIZE));
  return 'error' in info ? undefined : { version: info.version, buildId: info.buildId };
}

/** ih_ver of an image header as `1.2.3`, or undefined without the image magic. */
export function headerVersion(header: Buffer): string | undefined {
  if (header.length < 28 || header.readUInt32LE(0) !== IMAGE_MAGIC) return undefined;
  return `${header[20]}.${header[21]}.${header.readUInt16LE(22)}`;
}

/** Bytes an image's check reads: header + payload + TLVs, from its header (undefined without one). */
export function imageExtent(header: Buffer, slotSize: number): { hashed: number; total: number } | undefined {
  if (header.length < 16 || header.readUInt32LE(0) !== IMAGE_MAGIC) return undefined;
  const hashed = header.readUInt16LE(8) + header.readUInt16LE(10) + header.readUInt32LE(12);
  if (hashed + 8 > slotSize - TRAILER_SECTOR) return undefined;
  return { hashed, total: hashed + 4 + 4 + 32 };
}
