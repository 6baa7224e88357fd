/**
 * Loads an RP2040-SFU flash dump from files: either the five region files `hil dump` writes
 * (slotA.bin metaA.bin slotB.bin metaB.bin nvParam.bin, matched by base name, any directory;
 * nvParam.bin may be left out) or one whole 4 MiB flash image (file offset = address − XIP base).
 */
import { RP2040, SFU_DUMP_REGIONS } from '../../targets/rp2040.js';
import { loadRegionFiles as loadRegions, loadWholeFlash as loadWhole } from '../../images/dump-files.js';
import { InspectError } from '../../images/inspect-error.js';
import type { SfuDump } from './inspect.js';

async function loadRegionFiles(files: string[]): Promise<SfuDump> {
  return (await loadRegions(files, SFU_DUMP_REGIONS, 'SFU dump', ['nvParam'])) as SfuDump;
}

async function loadWholeFlash(file: string): Promise<SfuDump> {
  return (await loadWhole(file, { base: RP2040.xipBase, size: RP2040.flashSize }, SFU_DUMP_REGIONS, 'SFU dump')) as SfuDump;
}

/**
 * Loads a dump for inspectSfu. Throws InspectError (naming the file, region, expected and
 * actual size) for a missing, unreadable or wrongly sized file, or an unknown file name.
 */
export async function loadSfuDump(files: string[] | { wholeFlash: string }): Promise<SfuDump> {
  if (Array.isArray(files)) return loadRegionFiles(files);
  if (typeof files === 'object' && files !== null && 'wholeFlash' in files) return loadWholeFlash(files.wholeFlash);
  throw new InspectError('SFU dump: expected a list of region files or { wholeFlash: file }');
}
