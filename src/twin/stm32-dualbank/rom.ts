/**
 * What runs at reset on an STM32F42x with the boot pins on main flash (RM0090 BFB2, AN2606
 * "dual bank boot"; reference/bootloader-formats-and-faults.md §6):
 * - BFB2 clear: the core starts bank 1 directly, with no check at all (an erased or half-written
 *   bank 1 simply faults);
 * - BFB2 set: the system bootloader (ROM) runs. It checks that bank 2's initial SP (the word at
 *   0x0810_0000) points into SRAM: then it swaps the banks (bank 2 at 0x0800_0000) and jumps.
 *   Otherwise it checks bank 1 the same way and jumps there. Otherwise it stays in the system
 *   bootloader, waiting for a host on its own interfaces (not modelled: silent on this UART).
 * No CRC, no header: a half-written bank with an intact initial SP is jumped to.
 */
import { STM32_BANKS, type Stm32BankName } from '../../targets/stm32f429.js';
import type { Mcu } from '../mcu.js';
import { spInSram } from './image-check.js';
import type { Stm32OptionBytes } from './option-bytes.js';

/** The ROM's own start-up before it jumps (clock setup, the two SP reads) [inferred]. */
export const ROM_BOOT_MS = 2;

export interface BootChainOptions {
  options: Stm32OptionBytes;
  runApp(mcu: Mcu, bank: Stm32BankName): Promise<void>;
}

/** The bank a reset will start with these option bytes and this flash, or null when the ROM stays. */
export function romSelect(mcu: Mcu, bfb2: boolean): Stm32BankName | null {
  if (!bfb2) return 'bank1';
  for (const bank of ['bank2', 'bank1'] as const) if (spInSram(mcu.flash.readU32(STM32_BANKS[bank].base))) return bank;
  return null;
}

export function stm32BootChain(opts: BootChainOptions): (mcu: Mcu) => Promise<void> {
  return async (mcu) => {
    const bfb2 = opts.options.bfb2;
    if (bfb2) {
      mcu.emit({ kind: 'boot', image: 'bootloader', slot: 'rom' });
      await mcu.sleep(ROM_BOOT_MS);
    }
    const bank = romSelect(mcu, bfb2);
    if (bank) {
      mcu.emit({ kind: 'boot', image: 'app', slot: bank });
      await opts.runApp(mcu, bank);
      return;
    }
    for (;;) {
      await mcu.waitRx(60_000);
      mcu.takeRx();
    }
  };
}
