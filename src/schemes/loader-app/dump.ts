/**
 * Loads a loader-app dump from files: the region files `hil dump` writes (boot.bin, slot1.bin,
 * slot2.bin, matched by base name in any directory), or one file of the first 1 MiB of flash
 * (bank 1: file offset = address − 0x0800_0000).
 */
import { FWUP_DUMP_REGIONS, LOADER_APP_SLOTS } from '../../targets/stm32f429-fwup.js';
import { loadDump } from '../../images/dump-files.js';
import type { LoaderAppDump } from './inspect.js';

const BANK1 = { base: LOADER_APP_SLOTS.boot.base, size: LOADER_APP_SLOTS.slot2.base + LOADER_APP_SLOTS.slot2.size - LOADER_APP_SLOTS.boot.base };

/** InspectError (file, region, sizes) for a missing, unreadable or wrongly sized file, or an unknown name. */
export async function loadLoaderAppDump(files: string[] | { wholeFlash: string }): Promise<LoaderAppDump> {
  return (await loadDump(files, { label: 'loader-app dump', regions: FWUP_DUMP_REGIONS, flash: BANK1 })) as LoaderAppDump;
}
