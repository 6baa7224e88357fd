/**
 * Host-side decoding of an MCUboot trailer and its swap status (reference §2.3–2.4), for any
 * BOOT_MAX_ALIGN, write size and erased value. Swap-scratch: 3 states per status record.
 */
export type TrailerMagic = 'good' | 'unset' | 'bad';
export type TrailerFlag = 'set' | 'unset' | 'bad';
export type SwapTypeName = 'none' | 'test' | 'perm' | 'revert';

export interface TrailerGeometry {
  /** BOOT_MAX_ALIGN. */
  align: number;
  /** flash_area_align: one status record is this many bytes. */
  writeSize: number;
  erasedValue: number;
  /** MCUBOOT_MAX_IMG_SECTORS (128). */
  maxSectors: number;
}

export const STATUS_STATES = 3;
const MAGIC_A8 = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');
const MAGIC_TAIL = Buffer.from('2de15d29410b8d77679c110f1f8a', 'hex');

/** The 16 magic bytes for this alignment (A = 8: the classic ones; else u16 A + 14 bytes). */
export function trailerMagic(align: number): Buffer {
  if (align === 8) return MAGIC_A8;
  const b = Buffer.alloc(16);
  b.writeUInt16LE(align, 0);
  MAGIC_TAIL.copy(b, 2);
  return b;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Status entries of a slot (maxSectors × 3) or of the scratch (one region × 3). */
export function trailerSize(g: TrailerGeometry, scratch: boolean): number {
  const entries = (scratch ? 1 : g.maxSectors) * STATUS_STATES;
  return entries * g.writeSize + 4 * g.align + alignUp(16, g.align);
}

export interface TrailerState {
  magic: TrailerMagic;
  imageOk: TrailerFlag;
  copyDone: TrailerFlag;
  swapType: SwapTypeName;
  /** Raw swap_info byte. */
  swapInfo: number;
  imageNum: number;
  swapSize: number;
  /** Status records written (not erased). */
  statusWritten: number;
  /** Where MCUboot would resume, if any record is written. */
  status?: { idx: number; state: number };
  /** A written record after an erased one after a written one. */
  statusInconsistent: boolean;
  /** Offset of the status area from the area start. */
  statusOffset: number;
}

const SWAP_NAMES: Record<number, SwapTypeName> = { 2: 'test', 3: 'perm', 4: 'revert' };

export function decodeTrailer(area: Buffer, g: TrailerGeometry, scratch: boolean): TrailerState {
  const S = area.length;
  const A = g.align;
  const erased = (b: Buffer) => b.every((x) => x === g.erasedValue);
  const flag = (off: number): TrailerFlag => {
    const v = area[off];
    return v === g.erasedValue ? 'unset' : v === 1 ? 'set' : 'bad';
  };
  const magicBytes = area.subarray(S - 16, S);
  const magic: TrailerMagic = erased(magicBytes) ? 'unset' : magicBytes.equals(trailerMagic(A)) ? 'good' : 'bad';
  const magicOff = S - 16;
  const imageOkOff = Math.floor((magicOff - A) / A) * A;
  const copyDoneOff = imageOkOff - A;
  const swapInfoOff = copyDoneOff - A;
  const swapSizeOff = swapInfoOff - A;
  const swapInfo = area[swapInfoOff]!;
  const infoErased = swapInfo === g.erasedValue;
  const type = infoErased ? 1 : swapInfo & 0x0f;
  const statusOffset = S - trailerSize(g, scratch);
  const entries = (scratch ? 1 : g.maxSectors) * STATUS_STATES;
  let written = 0;
  let found = false;
  let foundIdx = -1;
  let inconsistent = false;
  for (let i = 0; i < entries; i++) {
    const at = statusOffset + i * g.writeSize;
    const isErased = area[at] === g.erasedValue;
    if (!isErased) written++;
    if (isErased) {
      if (found && foundIdx < 0) foundIdx = i;
    } else if (!found) {
      found = true;
    } else if (foundIdx >= 0) {
      inconsistent = true;
    }
  }
  if (found && foundIdx < 0) foundIdx = entries;
  return {
    magic,
    imageOk: flag(imageOkOff),
    copyDone: flag(copyDoneOff),
    swapType: SWAP_NAMES[type] ?? 'none',
    swapInfo,
    imageNum: infoErased ? 0 : swapInfo >> 4,
    swapSize: area.readUInt32LE(swapSizeOff),
    statusWritten: written,
    ...(found && { status: { idx: Math.floor(foundIdx / STATUS_STATES) + 1, state: (foundIdx % STATUS_STATES) + 1 } }),
    statusInconsistent: inconsistent,
    statusOffset,
  };
}
