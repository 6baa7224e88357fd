import { STM32F429, STM32_FACTORY_OPTIONS, optionBfb2, withBfb2 } from '../../targets/stm32f429.js';
import type { FlashOp } from '../flash/nor-flash.js';

/**
 * Time the app's option-byte change takes (OPTSTRT until BSY clears). RM0090 gives no figure;
 * tens of ms is what an option-byte sector rewrite costs on F4 parts [inferred].
 */
export const OPTION_PROGRAM_MS = 30;

/**
 * The user option bytes (STM32_OPTION_LAYOUT): a store of their own, next to the main flash.
 * The ROM and the core read BFB2 from here at every reset.
 *
 * A cut while the app programs them leaves the old value. The reference (§5.4) warns that on a
 * real part an interrupted option-byte program is worse (it can change RDP) and says not to cut
 * there; the twin models the benign case so that a sweep through that window stays meaningful.
 */
export class Stm32OptionBytes {
  private bytes: Buffer = Buffer.from(STM32_FACTORY_OPTIONS);
  /** Option-byte programs started by firmware so far. */
  programs = 0;

  get base(): number {
    return STM32F429.optionBytes.base;
  }

  get size(): number {
    return STM32F429.optionBytes.size;
  }

  get bfb2(): boolean {
    return optionBfb2(this.bytes);
  }

  read(): Buffer {
    return Buffer.from(this.bytes);
  }

  /** A probe's option-byte write (OpenOCD `stm32f2x options_write`): immediate, no power needed. */
  writeRaw(offset: number, data: Uint8Array): void {
    if (offset < 0 || offset + data.length > this.size) {
      throw new RangeError(`option bytes: ${data.length} bytes at offset ${offset} do not fit the ${this.size}-byte area at 0x${this.base.toString(16)}`);
    }
    this.bytes.set(data, offset);
  }

  reset(): void {
    this.bytes = Buffer.from(STM32_FACTORY_OPTIONS);
  }

  restore(bytes: Uint8Array): void {
    this.bytes = Buffer.from(bytes);
  }

  /** The app's option-byte program that sets or clears BFB2: lands whole when it completes, not at all when cut. */
  programBfb2(set: boolean): FlashOp {
    this.programs++;
    return this.programTo(withBfb2(this.bytes, set));
  }

  private programTo(next: Buffer): FlashOp {
    let done = false;
    const once = () => {
      if (done) throw new Error('option-byte program finished twice');
      done = true;
    };
    return {
      kind: 'program',
      address: this.base,
      length: this.size,
      durationMs: OPTION_PROGRAM_MS,
      complete: () => {
        once();
        this.bytes = next;
      },
      interrupt: () => {
        once();
        return 'skip';
      },
      // A sweep's torn cut of this program (not counted again: it is the same program).
      again: () => this.programTo(next),
    };
  }
}
