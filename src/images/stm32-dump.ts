/**
 * Loads an STM32F429 dual-bank dump from files, in one of two forms:
 * - the region files `hil dump` writes: bank1.bin (1 MiB from 0x0800_0000), bank2.bin (1 MiB from
 *   0x0810_0000), options.bin (the 16 option bytes from 0x1FFF_C000), matched by base name in any
 *   directory, all three required;
 * - `{ wholeFlash, options? }`: one 2 MiB image of the whole flash (file offset = address −
 *   0x0800_0000, physical banks as a probe reads them after a reset-halt), plus optionally the
 *   16-byte option file; without it BFB2 is unknown and inspectStm32 assumes the factory value.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { STM32F429, STM32_DUMP_REGIONS, type Stm32DumpRegionName } from '../targets/stm32f429.js';
import { InspectError, describeSize } from './inspect-error.js';
import type { Stm32Dump } from './stm32-inspect.js';

const REGION_FILES = STM32_DUMP_REGIONS.map((r) => `${r.name}.bin`);
const OPTIONS = STM32_DUMP_REGIONS.find((r) => r.name === 'options')!;

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e?.message ?? String(err);
}

/** Exactly `size` bytes of `file`, its size checked on disk first (a huge file is never read). */
async function readExactly(file: string, size: number, what: string, region: string): Promise<Buffer> {
  let st;
  try {
    st = await stat(file);
  } catch (cause) {
    throw new InspectError(`${what} ${file}: cannot read it (${reason(cause)})`, { file, region, cause });
  }
  if (!st.isFile()) throw new InspectError(`${what} ${file}: not a regular file`, { file, region });
  if (st.size !== size) {
    throw new InspectError(`${what} ${file} is ${describeSize(st.size)}, expected ${describeSize(size)}`, { file, region, expected: size, actual: st.size });
  }
  try {
    const handle = await open(file, 'r');
    try {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buf, 0, size, 0);
      if (bytesRead !== size) {
        throw new InspectError(`${what} ${file}: read ${bytesRead} of ${size} bytes (the file changed while reading?)`, { file, region, expected: size, actual: bytesRead });
      }
      return buf;
    } finally {
      await handle.close();
    }
  } catch (cause) {
    if (cause instanceof InspectError) throw cause;
    throw new InspectError(`${what} ${file}: cannot read it (${reason(cause)})`, { file, region, cause });
  }
}

async function loadRegionFiles(files: string[]): Promise<Stm32Dump> {
  const byRegion = new Map<Stm32DumpRegionName, string>();
  for (const file of files) {
    if (typeof file !== 'string' || file === '') throw new InspectError('stm32 dump: file names must be non-empty strings');
    const region = STM32_DUMP_REGIONS.find((r) => `${r.name}.bin` === basename(file));
    if (!region) throw new InspectError(`stm32 dump: unexpected file ${file}; region files are named ${REGION_FILES.join(', ')}`, { file });
    const previous = byRegion.get(region.name);
    if (previous) throw new InspectError(`stm32 dump: region ${region.name} given twice (${previous} and ${file})`, { file, region: region.name });
    byRegion.set(region.name, file);
  }
  const missing = STM32_DUMP_REGIONS.filter((r) => !byRegion.has(r.name));
  if (missing.length > 0) {
    throw new InspectError(`stm32 dump: missing ${missing.map((r) => `${r.name}.bin`).join(', ')} (expected ${REGION_FILES.join(', ')})`, { region: missing[0]!.name });
  }
  const dump: Partial<Record<Stm32DumpRegionName, Buffer>> = {};
  for (const region of STM32_DUMP_REGIONS) dump[region.name] = await readExactly(byRegion.get(region.name)!, region.size, `stm32 dump region ${region.name}:`, region.name);
  return dump as Stm32Dump;
}

async function loadWholeFlash(file: unknown, options: unknown): Promise<Stm32Dump> {
  if (typeof file !== 'string' || file === '') throw new InspectError('stm32 dump: wholeFlash must be a file name');
  if (options !== undefined && (typeof options !== 'string' || options === '')) throw new InspectError('stm32 dump: options must be a file name');
  const flash = await readExactly(file, STM32F429.flashSize, 'whole-flash dump', 'wholeFlash');
  const dump: Stm32Dump = {
    bank1: flash.subarray(0, STM32F429.bankSize),
    bank2: flash.subarray(STM32F429.bankSize, STM32F429.flashSize),
  };
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
