/**
 * RP2040-SFU flash dumps built by hand from reference/sfu-protocol.md §3, with literal
 * numbers on purpose (no simulator, no src/targets constants): the tests then check the
 * memory map as well as the inspection.
 */
import { crc32 } from 'node:zlib';

export const SLOT_SIZE = 0x1e_f000; // 1980 KiB image area
export const META_SIZE = 0x1000;
export const A_BASE = 0x1001_0000;
export const B_BASE = 0x1021_0000;
export const A_META = 0x101f_f000; // MAIN_END of A
export const B_META = 0x103f_f000;
export const NV_PARAM = 0x1000_f000;
export const ERASED_SLOT_CRC = 0xe040_107a;

export interface HandDump {
  slotA: Buffer;
  metaA: Buffer;
  slotB: Buffer;
  metaB: Buffer;
  nvParam?: Buffer;
}

/** Everything erased, first start already done (nvParam byte 0 = 0x00). */
export function erasedDump(): HandDump {
  const nvParam = Buffer.alloc(0x1000, 0xff);
  nvParam[0] = 0x00;
  return {
    slotA: Buffer.alloc(SLOT_SIZE, 0xff),
    metaA: Buffer.alloc(META_SIZE, 0xff),
    slotB: Buffer.alloc(SLOT_SIZE, 0xff),
    metaB: Buffer.alloc(META_SIZE, 0xff),
    nvParam,
  };
}

/** A minimal app: a vector table at 0x100 (SP, reset PC) and some bytes after it. */
export function putApp(slot: Buffer, base: number, opts: { sp?: number; pc?: number; length?: number; fill?: number } = {}): void {
  const length = opts.length ?? 0x2000;
  slot.fill(opts.fill ?? 0x5a, 0, length);
  slot.writeUInt32LE(opts.sp ?? 0x2004_2000, 0x100);
  slot.writeUInt32LE(opts.pc ?? base + 0x301, 0x104);
}

/** Signs a slot as the bootloader does: sector erased, CRC and generation in the first 8 bytes. */
export function sign(meta: Buffer, slot: Buffer, generation: number, crc = crc32(slot)): void {
  meta.fill(0xff);
  meta.writeUInt32LE(crc >>> 0, 0);
  meta.writeUInt32LE(generation >>> 0, 4);
}

/** The whole 4 MiB flash of a dump (offset = address - 0x10000000). */
export function wholeFlash(d: HandDump): Buffer {
  const flash = Buffer.alloc(4 * 1024 * 1024, 0xff);
  d.slotA.copy(flash, A_BASE - 0x1000_0000);
  d.metaA.copy(flash, A_META - 0x1000_0000);
  d.slotB.copy(flash, B_BASE - 0x1000_0000);
  d.metaB.copy(flash, B_META - 0x1000_0000);
  d.nvParam?.copy(flash, NV_PARAM - 0x1000_0000);
  return flash;
}
