/**
 * Loads an nRF52840 MCUboot dump from files: the region files `hil dump` writes (primary.bin,
 * secondary.bin, scratch.bin, matched by base name, any directory; scratch.bin may be left out)
 * or one whole 1 MiB flash image (file offset = address).
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { MCUBOOT_DUMP_REGIONS, NRF52840, type McubootDumpRegionName } from '../targets/nrf52840.js';
import { InspectError, describeSize } from './inspect-error.js';
import type { McubootDump } from './mcuboot-inspect.js';

const REGION_FILES = MCUBOOT_DUMP_REGIONS.map((r) => `${r.name}.bin`);

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e?.message ?? String(err);
}

/** Reads exactly `size` bytes after checking the size on disk. */
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

async function loadRegionFiles(files: string[]): Promise<McubootDump> {
  const byRegion = new Map<McubootDumpRegionName, string>();
  for (const file of files) {
    if (typeof file !== 'string' || file === '') throw new InspectError('MCUboot dump: file names must be non-empty strings');
    const region = MCUBOOT_DUMP_REGIONS.find((r) => `${r.name}.bin` === basename(file));
    if (!region) throw new InspectError(`MCUboot dump: unexpected file ${file}; region files are named ${REGION_FILES.join(', ')}`, { file });
    const previous = byRegion.get(region.name);
    if (previous) throw new InspectError(`MCUboot dump: region ${region.name} given twice (${previous} and ${file})`, { file, region: region.name });
    byRegion.set(region.name, file);
  }
  const missing = MCUBOOT_DUMP_REGIONS.filter((r) => r.name !== 'scratch' && !byRegion.has(r.name)).map((r) => `${r.name}.bin`);
  if (missing.length > 0) {
    throw new InspectError(`MCUboot dump: missing ${missing.join(', ')} (expected ${REGION_FILES.join(', ')}; scratch.bin is optional)`, {
      region: missing[0]!.replace(/\.bin$/, ''),
    });
  }
  const dump: Partial<McubootDump> = {};
  for (const region of MCUBOOT_DUMP_REGIONS) {
    const file = byRegion.get(region.name);
    if (file !== undefined) dump[region.name] = await readExactly(file, region.size, `MCUboot dump region ${region.name}:`, region.name);
  }
  return dump as McubootDump;
}

async function loadWholeFlash(file: string): Promise<McubootDump> {
  if (typeof file !== 'string' || file === '') throw new InspectError('MCUboot dump: wholeFlash must be a file name');
  const flash = await readExactly(file, NRF52840.flashSize, 'whole-flash dump', 'wholeFlash');
  const dump: Partial<McubootDump> = {};
  for (const region of MCUBOOT_DUMP_REGIONS) dump[region.name] = flash.subarray(region.base, region.base + region.size);
  return dump as McubootDump;
}

/** Loads a dump for inspectMcuboot; InspectError (file, region, sizes) on bad input. */
export async function loadMcubootDump(files: string[] | { wholeFlash: string }): Promise<McubootDump> {
  if (Array.isArray(files)) return loadRegionFiles(files);
  if (typeof files === 'object' && files !== null && 'wholeFlash' in files) return loadWholeFlash(files.wholeFlash);
  throw new InspectError('MCUboot dump: expected a list of region files or { wholeFlash: file }');
}
