/**
 * Loads an STM32F429 dual-bank dump from files, in one of two forms:
 * - the region files `hil dump` writes: bank1.bin (1 MiB from 0x0800_0000), bank2.bin (1 MiB from
 *   0x0810_0000), options.bin (the 16 option bytes from 0x1FFF_C000), matched by base name in any
 *   directory, all three required;
 * - `{ wholeFlash, options? }`: one 2 MiB image of the whole flash (file offset = address −
 *   0x0800_0000, physical banks as a probe reads them after a reset-halt), plus optionally the
 *   16-byte option file; without it BFB2 is unknown and inspectStm32 assumes the factory value.
 */
import { STM32F429, STM32_DUMP_REGIONS } from '../../targets/stm32f429.js';
import { loadRegionFiles as loadRegions, loadWholeFlash as loadWhole, readExactly } from '../../images/dump-files.js';
import { InspectError } from '../../images/inspect-error.js';
import type { Stm32Dump } from './inspect.js';

const OPTIONS = STM32_DUMP_REGIONS.find((r) => r.name === 'options')!;
const BANKS = STM32_DUMP_REGIONS.filter((r) => r.name !== 'options');

async function loadRegionFiles(files: string[]): Promise<Stm32Dump> {
  return (await loadRegions(files, STM32_DUMP_REGIONS, 'stm32 dump')) as Stm32Dump;
}

async function loadWholeFlash(file: unknown, options: unknown): Promise<Stm32Dump> {
  if (options !== undefined && (typeof options !== 'string' || options === '')) throw new InspectError('stm32 dump: options must be a file name');
  const dump = (await loadWhole(file, { base: STM32F429.flashBase, size: STM32F429.flashSize }, BANKS, 'stm32 dump')) as Stm32Dump;
  if (typeof options === 'string') dump.options = await readExactly(options, OPTIONS.size, 'option-byte dump', 'options');
  return dump;
}

/**
 * Loads a dump for inspectStm32. Throws InspectError (naming the file, region, expected and
 * actual size) for a missing, unreadable or wrongly sized file, or an unknown file name.
 */
export async function loadStm32Dump(files: string[] | { wholeFlash: string; options?: string }): Promise<Stm32Dump> {
  if (Array.isArray(files)) return loadRegionFiles(files);
  if (typeof files === 'object' && files !== null && 'wholeFlash' in files) return loadWholeFlash(files.wholeFlash, files.options);
  throw new InspectError('stm32 dump: expected a list of region files (bank1.bin bank2.bin options.bin) or { wholeFlash: file, options?: file }');
}
