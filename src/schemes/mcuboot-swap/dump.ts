/**
 * Loads an nRF52840 MCUboot dump from files: the region files `hil dump` writes (primary.bin,
 * secondary.bin, scratch.bin, matched by base name, any directory; scratch.bin may be left out)
 * or one whole 1 MiB flash image (file offset = address).
 */
import { MCUBOOT_DUMP_REGIONS, NRF52840 } from '../../targets/nrf52840.js';
import { loadRegionFiles as loadRegions, loadWholeFlash as loadWhole } from '../../images/dump-files.js';
import { InspectError } from '../../images/inspect-error.js';
import type { McubootDump } from './inspect.js';

async function loadRegionFiles(files: string[]): Promise<McubootDump> {
  return (await loadRegions(files, MCUBOOT_DUMP_REGIONS, 'MCUboot dump', ['scratch'])) as McubootDump;
}

async function loadWholeFlash(file: string): Promise<McubootDump> {
  return (await loadWhole(file, { base: NRF52840.flashBase, size: NRF52840.flashSize }, MCUBOOT_DUMP_REGIONS, 'MCUboot dump')) as McubootDump;
}

/** Loads a dump for inspectMcuboot; InspectError (file, region, sizes) on bad input. */
export async function loadMcubootDump(files: string[] | { wholeFlash: string }): Promise<McubootDump> {
  if (Array.isArray(files)) return loadRegionFiles(files);
  if (typeof files === 'object' && files !== null && 'wholeFlash' in files) return loadWholeFlash(files.wholeFlash);
  throw new InspectError('MCUboot dump: expected a list of region files or { wholeFlash: file }');
}
