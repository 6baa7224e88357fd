/**
 * Loads a loader-app dump from files: the region files `hil dump` writes (boot.bin, slot1.bin,
 * slot2.bin, matched by base name in any directory), or one file of the first 1 MiB of flash
 * (bank 1: file offset = address − 0x0800_0000); and, when given, a RAM dump of the 256 B of
 * shared RAM at 0x2000_0000 (`hil inspect --ram`; any file name).
 */
import { FWUP_DUMP_REGIONS, LOADER_APP_SLOTS } from '../../targets/stm32f429-fwup.js';
import { hex } from '../../core/hex.js';
import { loadDump, readExactly } from '../../images/dump-files.js';
import { InspectError } from '../../images/inspect-error.js';
import type { LoaderAppDump } from './inspect.js';
import { SHARED_RAM } from './shared-ram-reading.js';

const BANK1 = { base: LOADER_APP_SLOTS.boot.base, size: LOADER_APP_SLOTS.slot2.base + LOADER_APP_SLOTS.slot2.size - LOADER_APP_SLOTS.boot.base };

/** InspectError (file, region, sizes) for a missing, unreadable or wrongly sized file, or an unknown name. */
export async function loadLoaderAppDump(files: string[] | { wholeFlash: string }, ram?: string): Promise<LoaderAppDump> {
  const flash = (await loadDump(files, { label: 'loader-app dump', regions: FWUP_DUMP_REGIONS, flash: BANK1 })) as LoaderAppDump;
  if (ram === undefined) return flash;
  try {
    return { ...flash, ram: await readExactly(ram, SHARED_RAM.size, 'loader-app RAM dump', 'ram') };
  } catch (err) {
    // A wrong size is most often a whole-SRAM dump: say what to take instead.
    if (err instanceof InspectError && err.actual !== undefined) throw new InspectError(`${err.message}: ${RAM_HINT}`, { file: ram, region: 'ram', expected: err.expected, actual: err.actual });
    throw err;
  }
}

const RAM_HINT = `the shared RAM only, ${SHARED_RAM.size} bytes from ${hex(SHARED_RAM.base)} (OpenOCD: dump_image ram.bin ${hex(SHARED_RAM.base, { lower: true, width: 0 })} ${SHARED_RAM.size})`;
