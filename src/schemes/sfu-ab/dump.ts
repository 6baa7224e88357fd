/**
 * Loads an RP2040-SFU flash dump from files: either the five region files `hil dump` writes
 * (slotA.bin metaA.bin slotB.bin metaB.bin nvParam.bin, matched by base name, any directory;
 * nvParam.bin may be left out) or one whole 4 MiB flash image (file offset = address − XIP base).
 */
import { RP2040, SFU_DUMP_REGIONS } from '../../targets/rp2040.js';
import { loadDump } from '../../images/dump-files.js';
import type { SfuDump } from './inspect.js';

/**
 * Loads a dump for inspectSfu. Throws InspectError (naming the file, region, expected and
 * actual size) for a missing, unreadable or wrongly sized file, or an unknown file name.
 */
export async function loadSfuDump(files: string[] | { wholeFlash: string }): Promise<SfuDump> {
  return (await loadDump(files, { label: 'SFU dump', regions: SFU_DUMP_REGIONS, optional: ['nvParam'], flash: { base: RP2040.xipBase, size: RP2040.flashSize } })) as SfuDump;
}
