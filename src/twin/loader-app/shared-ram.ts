/**
 * The 256 bytes of SRAM at 0x2000_0000 the bootloader, Loader, Application and Updater share
 * (seed 001, shared_memory.c): a packed { magic u32, flags u32, boot_counter u8 }, followed here
 * by a CRC-32 of those 9 bytes (`check`) that every writer keeps current. The bytes live in the
 * MCU's RetainedRam: kept over system, watchdog and pin resets, power-up noise after a POR, kept
 * with maybe a few flipped bits after a BOR-only brownout.
 *
 * Whether to trust them is decided once per reset, in the bootloader's early init, from the reset
 * flags (`trustAfterReset`): the seed clears the magic on PORRSTF; the correct design also checks
 * the CRC after a brownout (BORRSTF without PORRSTF), since a magic that survived says nothing
 * about the flags and counter behind it. The CRC is this twin's addition, not the seed's.
 */
import { crc32Ieee } from '../../protocols/sfu/crc.js';
import { LOADER_APP_SHARED_RAM } from '../../targets/stm32f429-fwup.js';
import { BORRSTF, PORRSTF } from '../reset-cause.js';
import { RetainedRam } from '../retained-ram.js';

/** memfault's example's MAGIC (shared_memory.c), so a RAM dump of firmware built from it reads the same. */
export const SHARED_MAGIC = 0x0bad_cafe;
export const DFU_REQUESTED = 1 << 0;
const AT = { magic: 0, flags: 4, bootCounter: 8, check: 9 } as const;
const CHECKED = 9;
const NO_MAGIC = Buffer.alloc(4);

/** What the early init concluded about the shared RAM it found. */
export type RamTrust = 'kept' | 'power-on' | 'corrupt';

export class SharedRam {
  readonly ram: RetainedRam;

  constructor(seed: number, flipRate = 0) {
    this.ram = new RetainedRam(LOADER_APP_SHARED_RAM.size, seed, flipRate);
  }

  get bytes(): Buffer {
    return this.ram.bytes;
  }

  /**
   * Early init after a reset: drops the contents (clears the magic) when the reset flags say the
   * supply went away. `checkBrownout` false is the seeded bug that trusts a brownout's SRAM.
   */
  trustAfterReset(resetFlags: number, checkBrownout: boolean): RamTrust {
    if (resetFlags & PORRSTF) {
      // Through the RAM's own write: a POR's noise is made only if something reads past the magic.
      this.ram.write(AT.magic, NO_MAGIC);
      return 'power-on';
    }
    if (checkBrownout && resetFlags & BORRSTF && this.bytes.readUInt32LE(AT.magic) === SHARED_MAGIC && !this.checkOk()) {
      this.bytes.writeUInt32LE(0, AT.magic);
      return 'corrupt';
    }
    return 'kept';
  }

  /** The magic the seed checks, and nothing else: the reset cause and the CRC are the early init's. */
  hasMagic(): boolean {
    return this.ram.readUInt32LE(AT.magic) === SHARED_MAGIC;
  }

  /** shared_memory_init: a wrong magic means the contents are not ours, so everything restarts at 0. */
  init(): boolean {
    if (this.hasMagic()) return false;
    this.ram.fill(0);
    this.bytes.writeUInt32LE(SHARED_MAGIC, AT.magic);
    this.seal();
    return true;
  }

  get dfuRequested(): boolean {
    return (this.bytes.readUInt32LE(AT.flags) & DFU_REQUESTED) !== 0;
  }

  set dfuRequested(yes: boolean) {
    const flags = this.bytes.readUInt32LE(AT.flags);
    this.bytes.writeUInt32LE((yes ? flags | DFU_REQUESTED : flags & ~DFU_REQUESTED) >>> 0, AT.flags);
    this.seal();
  }

  get bootCounter(): number {
    return this.bytes[AT.bootCounter]!;
  }

  set bootCounter(n: number) {
    this.bytes[AT.bootCounter] = n & 0xff;
    this.seal();
  }

  private checkOk(): boolean {
    return this.bytes.readUInt32LE(AT.check) === crc32Ieee(this.bytes.subarray(0, CHECKED));
  }

  private seal(): void {
    this.bytes.writeUInt32LE(crc32Ieee(this.bytes.subarray(0, CHECKED)), AT.check);
  }
}
