/**
 * The MCUboot image trailer and swap status as the twin's bootloader and apps read and write them
 * (reference/bootloader-formats-and-faults.md §2.3–2.4, swap-scratch: 3 states). Offsets are
 * device addresses, inside the area's part.
 */
import type { FlashArea, McubootConfig } from './flash-area.js';

export const STATES = 3;

export const BOOT_MAGIC = Buffer.from([0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80]);

export const SwapType = { NONE: 1, TEST: 2, PERM: 3, REVERT: 4 } as const;
export const SWAP_TYPE_NAMES: Record<number, string> = { 1: 'none', 2: 'test', 3: 'perm', 4: 'revert' };

export type Magic = 'good' | 'unset' | 'bad';
export type Flag = 'set' | 'unset' | 'bad';

/** The scratch holds the status of one region only. */
export function statusEntries(area: FlashArea): number {
  return (area.name === 'scratch' ? 1 : area.config.maxSectors) * STATES;
}

export function trailerSize(area: FlashArea): number {
  const c = area.config;
  return statusEntries(area) * c.writeSize + 4 * c.maxAlign + 16;
}

export function trailerOffsets(area: FlashArea) {
  const end = area.base + area.size;
  const a = area.config.maxAlign;
  return {
    magic: end - 16,
    imageOk: end - 16 - a,
    copyDone: end - 16 - 2 * a,
    swapInfo: end - 16 - 3 * a,
    swapSize: end - 16 - 4 * a,
    status: end - trailerSize(area),
  };
}

export interface SwapState {
  magic: Magic;
  imageOk: Flag;
  copyDone: Flag;
  /** 1 NONE, 2 TEST, 3 PERM, 4 REVERT (erased or out of range: NONE). */
  swapType: number;
  imageNum: number;
  swapSize: number;
}

function flag(byte: number, erased: number): Flag {
  return byte === erased ? 'unset' : byte === 1 ? 'set' : 'bad';
}

/** boot_read_swap_state, from the area's part as it is now. */
export function readSwapState(area: FlashArea): SwapState {
  const flash = area.flash;
  const erased = area.config.erasedValue;
  const t = trailerOffsets(area);
  const m = flash.read(t.magic, 16);
  const magic: Magic = m.every((b) => b === erased) ? 'unset' : m.equals(BOOT_MAGIC) ? 'good' : 'bad';
  const info = flash.read(t.swapInfo, 1)[0]!;
  let swapType = info & 0x0f;
  let imageNum = info >> 4;
  if (info === erased || swapType > SwapType.REVERT || swapType < SwapType.NONE) {
    swapType = SwapType.NONE;
    imageNum = 0;
  }
  return {
    magic,
    imageOk: flag(flash.read(t.imageOk, 1)[0]!, erased),
    copyDone: flag(flash.read(t.copyDone, 1)[0]!, erased),
    swapType,
    imageNum,
    swapSize: flash.readU32(t.swapSize),
  };
}

/** The span of the trailer's fields (magic down to swap_size): what a swap-state read transfers. */
export function trailerInfoSpan(area: FlashArea): { address: number; length: number } {
  const t = trailerOffsets(area);
  return { address: t.swapSize, length: area.base + area.size - t.swapSize };
}

/** MCUboot's log encoding: BOOT_FLAG_SET 1, BAD 2, UNSET 3. */
export function describeSwapState(s: SwapState): string {
  const f = (x: Flag) => (x === 'set' ? '0x1' : x === 'bad' ? '0x2' : '0x3');
  return `magic=${s.magic}, swap_type=0x${s.swapType.toString(16)}, copy_done=${f(s.copyDone)}, image_ok=${f(s.imageOk)}`;
}

export interface StatusRead {
  /** Some record is written. */
  found: boolean;
  /** Region (1 = the highest one) and state (1..3) to run next. */
  idx: number;
  state: number;
  /** written, erased, written again: an interrupted status write somewhere (tolerated). */
  inconsistent: boolean;
}

/** swap_read_status_bytes for swap-scratch: scan forward for the first erased record after a written one. */
export function readStatusRecords(area: FlashArea): StatusRead {
  const w = area.config.writeSize;
  const erased = area.config.erasedValue;
  const off = trailerOffsets(area).status;
  const max = statusEntries(area);
  const bytes = area.flash.read(off, max * w);
  let found = false;
  let foundIdx = 0;
  let inconsistent = false;
  let i = 0;
  for (; i < max; i++) {
    const isErased = bytes[i * w] === erased;
    if (isErased) {
      if (found && !foundIdx) foundIdx = i;
    } else if (!found) {
      found = true;
    } else if (foundIdx) {
      inconsistent = true;
      break;
    }
  }
  if (!found) return { found, idx: 0, state: 0, inconsistent };
  if (!foundIdx) foundIdx = i;
  return { found, idx: Math.floor(foundIdx / STATES) + 1, state: (foundIdx % STATES) + 1, inconsistent };
}

/** Address of the record of (idx, state) in `area`. */
export function statusRecordAddress(area: FlashArea, idx: number, state: number): number {
  return trailerOffsets(area).status + ((idx - 1) * STATES + (state - 1)) * area.config.writeSize;
}

/** One byte written as a whole word (boot_write_trailer with w = writeSize). */
export function wordOf(byte: number, config: McubootConfig): Buffer {
  const b = Buffer.alloc(config.writeSize, config.erasedValue);
  b[0] = byte;
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}
