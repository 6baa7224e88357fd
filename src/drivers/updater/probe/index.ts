/**
 * The `probe` update path: the new image goes into the inactive slot through the debug probe,
 * the scheme's "boot this next" marker is written the same way, and the board is reset. What
 * follows (an MCUboot swap, a ROM bank switch) happens inside the device, which is exactly where
 * the cuts land.
 */
import { RigError } from '../../../core/errors.js';
import type { Timeline } from '../../../core/timeline.js';
import { mcubootPendingBlock } from '../../../firmware/mcuboot-image.js';
import { NRF52840_PARTITIONS } from '../../../targets/nrf52840.js';
import { STM32F429, STM32_BANKS, STM32_FACTORY_OPTIONS, withBfb2 } from '../../../targets/stm32f429.js';
import type { Probe, UpdateResult, Updater } from '../../capabilities.js';

export interface ProbeUpdaterOptions {
  scheme: string;
  probe: Probe;
  timeline: Timeline;
  /** Resets the board (a short power cycle when it has no reset line). */
  reset: () => Promise<void>;
}

/** MCUboot pending marks: `test` (revert unless the app confirms) or `permanent`. */
const MCUBOOT_MODES = ['test', 'permanent'] as const;

export function probeUpdater(opts: ProbeUpdaterOptions): Updater {
  const { probe, timeline } = opts;
  return {
    async update(image, { onProgress, signal, setup }): Promise<UpdateResult> {
      const started = performance.now();
      onProgress?.({ phase: 'program', acked: 0, total: image.length });
      if (opts.scheme === 'mcuboot-swap') {
        const slot = NRF52840_PARTITIONS.secondary;
        const permanent = setup === 'permanent';
        if (setup !== undefined && !(MCUBOOT_MODES as readonly string[]).includes(setup)) {
          throw new RigError(`mcuboot-swap probe update: setup ${setup} is not one of ${MCUBOOT_MODES.join(', ')}`);
        }
        if (image.length === slot.size) {
          // An `imgtool --pad` image carries its own trailer: one write does it all.
          await probe.program(slot.base, image);
        } else {
          const pending = mcubootPendingBlock(slot.size, { permanent });
          if (image.length > pending.offset - (pending.offset % 4096)) {
            throw new RigError(`mcuboot-swap: a ${image.length}-byte image reaches the secondary's last page; give a padded image (imgtool --pad)`);
          }
          await probe.program(slot.base, image);
          await probe.program(slot.base + pending.offset, pending.bytes);
        }
        timeline.add('updater', 'pending', `secondary marked ${permanent ? 'permanent' : 'test'}`);
      } else if (opts.scheme === 'stm32-dualbank') {
        // ST's FLASH_DualBoot example: the new image into bank 2, then BFB2 so the ROM prefers it.
        await probe.program(STM32_BANKS.bank2.base, image);
        await probe.program(STM32F429.optionBytes.base, withBfb2(STM32_FACTORY_OPTIONS, true));
        timeline.add('updater', 'bfb2', 'bank 2 written, BFB2 set');
      } else {
        throw new RigError(`updater driver probe does not know scheme ${opts.scheme}`);
      }
      signal?.throwIfAborted();
      onProgress?.({ phase: 'reset', acked: image.length, total: image.length });
      await opts.reset();
      const seconds = (performance.now() - started) / 1000;
      // Nothing is committed yet: the device decides at its next boot (and MCUboot at the app's confirm).
      return { ok: true, slotBase: 0, bytes: image.length, seconds, bytesPerSecond: seconds > 0 ? image.length / seconds : 0, committed: false };
    },
  };
}
