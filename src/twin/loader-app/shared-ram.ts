/**
 * The 256 bytes of SRAM at 0x2000_0000 the bootloader, Loader, Application and Updater share
 * (seed 001, shared_memory.c): a packed { magic u32, flags u32, boot_counter u8 }. SRAM keeps its
 * contents over a system or watchdog reset, so this object lives on the board, not in a program;
 * a power-on fills it with what SRAM holds after power-up (deterministic per seed here: the
 * seeded-per-power-on model with reset-cause flags is issue 12 item 3).
 */
import { createHash } from 'node:crypto';
import { LOADER_APP_SHARED_RAM } from '../../targets/stm32f429-fwup.js';

/** Any value but 0 and all-ones: neither power-up SRAM nor a cleared word looks like it. */
export const SHARED_MAGIC = 0xd00d_f00d;
export const DFU_REQUESTED = 1 << 0;
const AT = { magic: 0, flags: 4, bootCounter: 8 } as const;

export class SharedRam {
  readonly bytes = Buffer.alloc(LOADER_APP_SHARED_RAM.size);

  constructor(private readonly seed: number) {}

  /** SRAM after a power-up: not zero, not ours. */
  powerUp(): void {
    createHash('sha256').update(`loader-app sram\0${this.seed}`).digest().copy(this.bytes);
    this.bytes.fill(0x5a, 32);
  }

  /** shared_memory_init: a wrong magic means the contents are not ours, so everything restarts at 0. */
  init(): boolean {
    if (this.bytes.readUInt32LE(AT.magic) === SHARED_MAGIC) return false;
    this.bytes.fill(0);
    this.bytes.writeUInt32LE(SHARED_MAGIC, AT.magic);
    return true;
  }

  get dfuRequested(): boolean {
    return (this.bytes.readUInt32LE(AT.flags) & DFU_REQUESTED) !== 0;
  }

  set dfuRequested(yes: boolean) {
    const flags = this.bytes.readUInt32LE(AT.flags);
    this.bytes.writeUInt32LE((yes ? flags | DFU_REQUESTED : flags & ~DFU_REQUESTED) >>> 0, AT.flags);
  }

  get bootCounter(): number {
    return this.bytes[AT.bootCounter]!;
  }

  set bootCounter(n: number) {
    this.bytes[AT.bootCounter] = n & 0xff;
  }
}
