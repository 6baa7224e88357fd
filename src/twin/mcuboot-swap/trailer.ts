/**
 * The MCUboot image trailer and swap status as the twin's bootloader reads and writes them
 * (reference/bootloader-formats-and-faults.md §2.3–2.4, BOOT_MAX_ALIGN 8, write size 4, 128
 * sectors, 3 states). Offsets are absolute flash addresses (the nRF52840's flash starts at 0).
 */
import { NRF52840, NRF52840_MCUBOOT, NRF52840_PARTITIONS } from '../../targets/nrf52840.js';
import type { NorFlash } from '../flash/nor-flash.js';

export interface FlashArea {
  name: 'primary' | 'secondary' | 'scratch';
  base: number;
  size: number;
}

export const PRIMARY: FlashArea = { name: 'primary', ...NRF52840_PARTITIONS.primary };
export const SECONDARY: FlashArea = { name: 'secondary', ...NRF52840_PARTITIONS.secondary };
export const SCRATCH: FlashArea = { name: 'scratch', ...NRF52840_PARTITIONS.scratch };

export const SECTOR = NRF52840.pageSize;
export const WRITE_SZ = NRF52840_MCUBOOT.writeSize;
const A = NRF52840_MCUBOOT.maxAlign;
export const STATES = 3;
const INFO_SZ = 4 * A + 16;

export const BOOT_MAGIC = Buffer.from([0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80]);

export const SwapType = { NONE: 1, TEST: 2, PERM: 3, REVERT: 4 } as const;
export const SWAP_TYPE_NAMES: Record<number, string> = { 1: 'none', 2: 'test', 3: 'perm', 4: 'revert' };

export type Magic = 'good' | 'unset' | 'bad';
export type Flag = 'set' | 'unset' | 'bad';

/** The scratch holds the status of one region only. */
export function statusEntries(area: FlashArea): number {
  return (area.name === 'scratch' ? 1 : NRF52840_MCUBOOT.maxSectors) * STATES;
}

export function trailerSize(area: FlashArea): number {
  return statusEntries(area) * WRITE_SZ + INFO_SZ;
}

export function trailerOffsets(area: FlashArea) {
  const end = area.base + area.size;
  return {
    magic: end - 16,
    imageOk: end - 16 - A,
    copyDone: end - 16 - 2 * A,
    swapInfo: end - 16 - 3 * A,
    swapSize: end - 16 - 4 * A,
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

const ERASED = NRF52840.erasedValue;

function flag(byte: number): Flag {
  return byte === ERASED ? 'unset' : byte === 1 ? 'set' : 'bad';
}

/** boot_read_swap_state. */
export function readSwapState(flash: NorFlash, area: FlashArea): SwapState {
  const t = trailerOffsets(area);
  const m = flash.read(t.magic, 16);
  const magic: Magic = m.every((b) => b === ERASED) ? 'unset' : m.equals(BOOT_MAGIC) ? 'good' : 'bad';
  const info = flash.read(t.swapInfo, 1)[0]!;
  let swapType = info & 0x0f;
  let imageNum = info >> 4;
  if (info === ERASED || swapType > SwapType.REVERT || swapType < SwapType.NONE) {
    swapType = SwapType.NONE;
    imageNum = 0;
  }
  return {
    magic,
    imageOk: flag(flash.read(t.imageOk, 1)[0]!),
    copyDone: flag(flash.read(t.copyDone, 1)[0]!),
    swapType,
    imageNum,
    swapSize: flash.readU32(t.swapSize),
  };
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
export function readStatusRecords(flash: NorFlash, area: FlashArea): StatusRead {
  const off = trailerOffsets(area).status;
  const max = statusEntries(area);
  const bytes = flash.read(off, max * WRITE_SZ);
  let found = false;
  let foundIdx = 0;
  let inconsistent = false;
  let i = 0;
  for (; i < max; i++) {
    const erased = bytes[i * WRITE_SZ] === ERASED;
    if (erased) {
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
  return trailerOffsets(area).status + ((idx - 1) * STATES + (state - 1)) * WRITE_SZ;
}

/** One byte written as a whole word (boot_write_trailer with w = 4). */
export function wordOf(byte: number): Buffer {
  const b = Buffer.alloc(WRITE_SZ, ERASED);
  b[0] = byte;
  return b;
}
