import { RigError } from '../../core/errors.js';
import { formatMcubootInspection } from './format.js';
import { inspectMcuboot } from './inspect.js';
import { MCUBOOT_DUMP_REGIONS, NRF52840_PARTITIONS } from '../../targets/nrf52840.js';
import type { SchemeHost } from '../scheme.js';

/** The twin's app confirms itself 500 ms after its banner (src/twin/mcuboot-swap/app.ts); read the flash after that. */
const CONFIRM_SETTLE_MS = 700;

/**
 * MCUboot swap-scratch on the nRF52840 (reference §2–3). Baseline: image A flashed directly into
 * the primary (no trailer: effectively confirmed). Setups choose the pending mark the update
 * writes: test (reverts unless the new app confirms itself) or permanent.
 */
export const mcubootSwapSetups: Pick<SchemeHost, 'silence' | 'settleMs' | 'baseline' | 'inspect'> = {
  // "E: Unable to find bootable image" and then nothing: without serial recovery, a brick.
  silence: 'bricked',
  settleMs: CONFIRM_SETTLE_MS,
  async baseline(probe, { from, previous }, _setup, opts = {}) {
    const image = from.slotImage.primary;
    if (!image) throw new RigError(`${from.file}: not a signed MCUboot image`);
    await probe.massErase(opts);
    await probe.program(NRF52840_PARTITIONS.primary.base, image, opts);
    // An older image left in the secondary (no trailer) is what a board updated before carries.
    if (previous?.slotImage.secondary) await probe.program(NRF52840_PARTITIONS.secondary.base, previous.slotImage.secondary, opts);
  },
  async inspect(probe, known) {
    const d = await probe.dump(MCUBOOT_DUMP_REGIONS);
    const i = inspectMcuboot({ primary: d.primary!, secondary: d.secondary!, scratch: d.scratch! }, { known: known.map((k) => ({ name: k.name, slotImage: k.slotImage })) });
    return {
      slots: i.slots,
      bootsNext: i.bootsNext,
      jumps: i.jumps,
      stuckAs: 'boot-loop',
      noBootAs: 'bricked',
      ...(i.runs && { next: { valid: i.runs.valid, ...(i.runs.matches && { matches: i.runs.matches }), ...(i.runs.version && { version: i.runs.version }) } }),
      table: formatMcubootInspection(i),
    };
  },
};
