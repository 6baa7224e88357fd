import { RigError } from '../../core/errors.js';
import { buildFwupBootloader, buildFwupImage } from '../../firmware/fwup-image.js';
import { FWUP_DUMP_REGIONS, LOADER_APP_SLOTS } from '../../targets/stm32f429-fwup.js';
import type { SchemeHost } from '../scheme.js';
import { formatLoaderAppInspection } from './format.js';
import { inspectLoaderApp, type LoaderAppDump, type LoaderAppInspection, type LoaderAppSlotState } from './inspect.js';

/** The factory's bootloader and Loader: the same bytes as firmware/fwup-boot.bin and fwup-loader-v1.bin. */
export const FACTORY_LOADER = { version: '1.0.0', size: 24 * 1024 } as const; // FWUP_LOADER_SIZE in src/firmware/fwup-samples.ts
/** The Loader a board has after the three-step Loader update: the same bytes as firmware/fwup-loader-v2.bin. */
export const UPDATED_LOADER = { version: '2.0.0', size: 28 * 1024 } as const;

/**
 * Setups:
 * - factory: the bootloader, Loader 1.0.0 in slot 1 and the suite's `from` application in slot 2,
 *   as a production programmer writes them (all three committed);
 * - after-loader-update: the same with Loader 2.0.0 in slot 1, a board in the field after the
 *   three-step Loader update (Updater, Loader, application back); its application updates go
 *   through the new Loader.
 */
export const loaderAppSetups: Pick<SchemeHost, 'silence' | 'settleMs' | 'baseline' | 'inspect'> = {
  // Every program says something at start; a silent board did not even reach its bootloader.
  silence: 'bricked',
  settleMs: 0,
  async baseline(probe, { from }, setup, opts = {}) {
    const image = from.slotImage.slot2;
    if (!image) throw new RigError(`${from.file}: not a loader-app application image (slot 2)`);
    await probe.massErase(opts);
    await probe.program(LOADER_APP_SLOTS.boot.base, buildFwupBootloader(), opts);
    const loader = setup === 'after-loader-update' ? UPDATED_LOADER : FACTORY_LOADER;
    await probe.program(LOADER_APP_SLOTS.slot1.base, buildFwupImage({ type: 'loader', ...loader }), opts);
    await probe.program(LOADER_APP_SLOTS.slot2.base, image, opts);
  },
  async inspect(probe, known) {
    const d = (await probe.dump(FWUP_DUMP_REGIONS)) as LoaderAppDump;
    const i = inspectLoaderApp(d, { known: known.map((k) => ({ name: k.name, slotImage: k.slotImage })) });
    return {
      slots: i.slots,
      bootsNext: i.bootsNext,
      jumps: i.jumps,
      stuckAs: stuckAs(i),
      noBootAs: i.noBootAs,
      ...(i.fallback && { fallback: 'slot 1 holds no committed Loader: the bootloader starts slot 2 itself' }),
      // Built when read: a sweep judges thousands of views and reads none of their tables. An
      // enumerable getter, so JSON and structured clones (records, worker replies) still carry it.
      get table() {
        return formatLoaderAppInspection(i);
      },
    };
  },
};

/**
 * Where a start that faults ends. A slot 2 started by a working Loader gets three boots, then the
 * boot counter keeps the Loader in DFU mode (waiting); started by the bootloader's fallback (no
 * Loader), or when the bootloader or the Loader itself faults, nothing counts: a watchdog loop.
 */
function stuckAs(i: LoaderAppInspection): 'waiting' | 'boot-loop' {
  const [boot, slot1] = i.slots.map((s) => s.scheme as LoaderAppSlotState);
  return i.loaderRuns && boot!.vectorsOk && slot1!.vectorsOk ? 'waiting' : 'boot-loop';
}
