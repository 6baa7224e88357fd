import { RigError } from '../../core/errors.js';
import { buildFwupBootloader, buildFwupImage } from '../../firmware/fwup-image.js';
import { FWUP_DUMP_REGIONS, LOADER_APP_SLOTS } from '../../targets/stm32f429-fwup.js';
import type { SchemeHost } from '../scheme.js';
import { formatLoaderAppInspection } from './format.js';
import { inspectLoaderApp, type LoaderAppDump } from './inspect.js';

/** The factory's bootloader and Loader: the same bytes as firmware/fwup-boot.bin and fwup-loader-v1.bin. */
export const FACTORY_LOADER = { version: '1.0.0', size: 24 * 1024 } as const; // FWUP_LOADER_SIZE in src/firmware/fwup-samples.ts

/**
 * Setups:
 * - factory: the bootloader, Loader 1.0.0 in slot 1 and the suite's `from` application in slot 2,
 *   as a production programmer writes them (all three committed).
 */
export const loaderAppSetups: Pick<SchemeHost, 'silence' | 'settleMs' | 'baseline' | 'inspect'> = {
  // Every program says something at start; a silent board did not even reach its bootloader.
  silence: 'bricked',
  settleMs: 0,
  async baseline(probe, { from }, _setup, opts = {}) {
    const image = from.slotImage.slot2;
    if (!image) throw new RigError(`${from.file}: not a loader-app application image (slot 2)`);
    await probe.massErase(opts);
    await probe.program(LOADER_APP_SLOTS.boot.base, buildFwupBootloader(), opts);
    await probe.program(LOADER_APP_SLOTS.slot1.base, buildFwupImage({ type: 'loader', ...FACTORY_LOADER }), opts);
    await probe.program(LOADER_APP_SLOTS.slot2.base, image, opts);
  },
  async inspect(probe, known) {
    const d = (await probe.dump(FWUP_DUMP_REGIONS)) as LoaderAppDump;
    const i = inspectLoaderApp(d, { known: known.map((k) => ({ name: k.name, slotImage: k.slotImage })) });
    return { slots: i.slots, bootsNext: i.bootsNext, jumps: i.jumps, stuckAs: 'boot-loop', noBootAs: i.noBootAs, table: formatLoaderAppInspection(i) };
  },
};
