/**
 * Loads an RP2040-SFU flash dump from files: either the five region files `hil dump` writes
 * (slotA.bin metaA.bin slotB.bin metaB.bin nvParam.bin, matched by base name, any directory;
 * nvParam.bin may be left out) or one whole 4 MiB flash image (file offset = address − XIP base).
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { RP2040, SFU_DUMP_REGIONS, type SfuDumpRegionName } from '../targets/rp2040.js';
import { InspectError, describeSize } from './inspect-error.js';
import type { SfuDump } from './sfu-inspect.js';

const REGION_FILES = SFU_DUMP_REGIONS.map((r) => `${r.name}.bin`);

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e?.message ?? String(err);
}

/** Reads exactly `size` bytes of `file`, after checking the size on disk (a 4 GiB file is not read). */
async function readExactly(file: string, size: number, what: string, region?: string): Promise<Buffer> {
  let st;
  try {
    st = await stat(file);
  } catch (cause) {
    throw new InspectError(`${what} ${file}: cannot read it (${reason(cause)})`, { file, region, cause });
  }
  if (!st.isFile()) throw new InspectError(`${what} ${file}: not a regular file`, { file, region });
  if (st.size !== size) {
    throw new InspectError(`${what} ${file} is ${describeSize(st.size)}, expected ${describeSize(size)}`, {
      file,
      region,
      expected: size,
      actual: st.size,
    });
  }
  try {
    const handle = await open(file, 'r');
    try {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buf, 0, size, 0);
      if (bytesRead !== size) {
        throw new InspectError(`${what} ${file}: read ${bytesRead} of ${size} bytes (the file changed while reading?)`, {
          file,
          region,
          expected: size,
          actual: bytesRead,
        });
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

async function loadRegionFiles(files: string[]): Promise<SfuDump> {
  const byRegion = new Map<SfuDumpRegionName, string>();
  for (const file of files) {
    if (typeof file !== 'string' || file === '') throw new InspectError('SFU dump: file names must be non-empty strings');
    const region = SFU_DUMP_REGIONS.find((r) => `${r.name}.bin` === basename(file));
    if (!region) {
      throw new InspectError(`SFU dump: unexpected file ${file}; region files are named ${REGION_FILES.join(', ')}`, { file });
    }
    const previous = byRegion.get(region.name);
    if (previous) throw new InspectError(`SFU dump: region ${region.name} given twice (${previous} and ${file})`, { file, region: region.name });
    byRegion.set(region.name, file);
  }
  const missing = SFU_DUMP_REGIONS.filter((r) => r.name !== 'nvParam' && !byRegion.has(r.name)).map((r) => `${r.name}.bin`);
  if (missing.length > 0) {
    throw new InspectError(`SFU dump: missing ${missing.join(', ')} (expected ${REGION_FILES.join(', ')}; nvParam.bin is optional)`, {
      region: missing[0]!.replace(/\.bin$/, ''),
    });
  }
  const dump: Partial<Record<SfuDumpRegionName, Buffer>> = {};
  for (const region of SFU_DUMP_REGIONS) {
    const file = byRegion.get(region.name);
    if (file !== undefined) dump[region.name] = await readExactly(file, region.size, `SFU dump region ${region.name}:`, region.name);
  }
  return dump as SfuDump;
}

async function loadWholeFlash(file: string): Promise<SfuDump> {
  if (typeof file !== 'string' || file === '') throw new InspectError('SFU dump: wholeFlash must be a file name');
  const flash = await readExactly(file, RP2040.flashSize, 'whole-flash dump', 'wholeFlash');
  const dump: Partial<Record<SfuDumpRegionName, Buffer>> = {};
  for (const region of SFU_DUMP_REGIONS) {
    const offset = region.base - RP2040.xipBase;
    dump[region.name] = flash.subarray(offset, offset + region.size);
  }
  return dump as SfuDump;
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
