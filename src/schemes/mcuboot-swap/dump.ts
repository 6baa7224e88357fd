/**
 * Loads an nRF52840 MCUboot dump from files: the region files `hil dump` writes (primary.bin,
 * secondary.bin, scratch.bin, matched by base name, any directory; scratch.bin may be left out)
 * or one whole 1 MiB flash image (file offset = address).
 */
import { MCUBOOT_DUMP_REGIONS, NRF52840 } from '../../targets/nrf52840.js';
import { loadDump } from '../../images/dump-files.js';
import type { McubootDump } from './inspect.js';

/** Loads a dump for inspectMcuboot; InspectError (file, region, sizes) on bad input. */
export async function loadMcubootDump(files: string[] | { wholeFlash: string }): Promise<McubootDump> {
  return (await loadDump(files, { label: 'MCUboot dump', regions: MCUBOOT_DUMP_REGIONS, optional: ['scratch'], flash: { base: NRF52840.flashBase, size: NRF52840.flashSize } })) as McubootDump;
}
