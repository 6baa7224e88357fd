import { RigError } from '../../core/errors.js';
import { formatStm32Inspection } from './format.js';
import { inspectStm32 } from './inspect.js';
import { STM32F429, STM32_BANKS, STM32_DUMP_REGIONS, STM32_FACTORY_OPTIONS, withBfb2 } from '../../targets/stm32f429.js';
import type { SchemeHost } from '../scheme.js';

/**
 * STM32F429 dual bank with BFB2 (reference §6). Setups:
 * - factory: image A in bank 1, factory option bytes (BFB2 clear: the core starts bank 1 directly);
 * - rom-fallback: image A in bank 1, BFB2 set, bank 2 blank (the ROM falls back to bank 1 and will
 *   prefer bank 2 as soon as its initial SP looks right: the provisioning that exposes write order);
 * - from-bank2: image A in bank 2 with BFB2 set (a board updated once), the suite's `previous`
 *   image (or nothing) in bank 1; the update then goes back to bank 1.
 */
export const stm32DualBankSetups: Pick<SchemeHost, 'silence' | 'settleMs' | 'baseline' | 'inspect'> = {
  // The system bootloader says nothing on the console while it waits for a host.
  silence: 'waiting',
  settleMs: 0,
  async baseline(probe, { from, previous }, setup, opts = {}) {
    const image = from.slotImage.bank1;
    if (!image) throw new RigError(`${from.file}: not an stm32-dualbank image`);
    await probe.massErase(opts);
    const bfb2 = setup !== 'factory';
    await probe.program(STM32F429.optionBytes.base, withBfb2(STM32_FACTORY_OPTIONS, bfb2), opts);
    if (setup === 'from-bank2') {
      await probe.program(STM32_BANKS.bank2.base, image, opts);
      if (previous?.slotImage.bank1) await probe.program(STM32_BANKS.bank1.base, previous.slotImage.bank1, opts);
    } else {
      await probe.program(STM32_BANKS.bank1.base, image, opts);
    }
  },
  async inspect(probe, known) {
    const d = await probe.dump(STM32_DUMP_REGIONS);
    const i = inspectStm32({ bank1: d.bank1!, bank2: d.bank2!, options: d.options! }, { known: known.map((k) => ({ name: k.name, slotImage: k.slotImage })) });
    // Without the ROM (BFB2 clear) a bank that does not hold an app crashes the core in a loop.
    return { slots: i.slots, bootsNext: i.bootsNext, jumps: i.jumps, stuckAs: i.bfb2 ? 'waiting' : 'boot-loop', noBootAs: 'waiting', table: formatStm32Inspection(i) };
  },
};
