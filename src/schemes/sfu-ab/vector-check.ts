/**
 * The RP2040-SFU bootloader's vector-table sanity check (`check_run_context`,
 * reference/sfu-protocol.md §3.4), applied to a slot image as the host reads it.
 */
import { RP2040, type SfuSlotMap } from '../../targets/rp2040.js';
import { hex32 as hex } from '../../core/hex.js';

export interface VectorCheck {
  /** Word at slot + 0x100: the initial stack pointer. */
  sp: number;
  /** Word at slot + 0x104: the reset handler. */
  pc: number;
  spOk: boolean;
  pcOk: boolean;
  ok: boolean;
  /** What the bootloader prints instead of `CONTEXT OK` (empty when ok). */
  bootloaderMessages: string[];
  /** Why, in words (empty when ok). */
  problems: string[];
}

const VECTOR_OFFSET = 0x100;

/**
 * SP is rejected when its top byte is not 0x20 and it is outside (SRAM base, SRAM top], or when
 * it is not 4-aligned; so in effect it must be 0x20xxxxxx and 4-aligned. PC is rejected when
 * ≤ MAIN_RUN_FROM, ≥ MAIN_END (the metadata sector), or even (Thumb bit clear).
 */
export function checkSfuVectorTable(slotImage: Buffer, slot: SfuSlotMap): VectorCheck {
  if (slotImage.length < VECTOR_OFFSET + 8) {
    throw new RangeError(`SFU vector check: slot image is ${slotImage.length} bytes, the vector table is at 0x100`);
  }
  const sp = slotImage.readUInt32LE(VECTOR_OFFSET);
  const pc = slotImage.readUInt32LE(VECTOR_OFFSET + 4);
  const problems: string[] = [];

  const spInSram = sp > RP2040.sramBase && sp <= RP2040.sramTop;
  const spTopByteOk = (sp & 0xff00_0000) >>> 0 === RP2040.sramBase;
  const spAligned = sp % 4 === 0;
  if (!spTopByteOk && !spInSram) problems.push(`initial SP ${hex(sp)} is not in SRAM (top byte must be 0x20)`);
  if (!spAligned) problems.push(`initial SP ${hex(sp)} is not 4-byte aligned`);
  const spOk = (spTopByteOk || spInSram) && spAligned;

  if (pc <= slot.runFrom || pc >= slot.metaBase) {
    problems.push(`reset PC ${hex(pc)} is outside slot ${slot.name} (${hex(slot.runFrom)}, ${hex(slot.metaBase)})`);
  }
  if (pc % 2 === 0) problems.push(`reset PC ${hex(pc)} is even (Thumb bit clear)`);
  const pcOk = pc > slot.runFrom && pc < slot.metaBase && pc % 2 === 1;

  const bootloaderMessages: string[] = [];
  if (!spOk) bootloaderMessages.push('Bootloader: STACK CONTEXT ERROR');
  else if (!pcOk) bootloaderMessages.push('Bootloader: FLASH CONTEXT ERROR');
  if (!spOk || !pcOk) bootloaderMessages.push('CONTEXT ERROR');

  return { sp, pc, spOk, pcOk, ok: spOk && pcOk, bootloaderMessages, problems };
}
