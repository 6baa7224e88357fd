/**
 * Reading dump files, the same for every scheme: region files named after their region
 * (`slotA.bin`, `bank1.bin`, `primary.bin`, ... in any folder) or one file of the whole flash.
 * Sizes are checked on disk before anything is read (a 4 GiB file by mistake is never loaded),
 * and every failure is an InspectError naming the file and region.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InspectError, describeSize } from './inspect-error.js';

export interface DumpRegion<N extends string> {
  name: N;
  base: number;
  size: number;
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e?.message ?? String(err);
}

/** Exactly `size` bytes of `file`. `what` starts the message ("whole-flash dump", "SFU dump region slotA:"). */
export async function readExactly(file: string, size: number, what: string, region: string): Promise<Buffer> {
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

/**
 * Region files matched by base name, each read at its region's size. `optional` regions may be
 * missing; `label` names the scheme in messages ("SFU dump").
 */
export async function loadRegionFiles<N extends string>(files: unknown[], regions: readonly DumpRegion<N>[], label: string, optional: readonly N[] = []): Promise<Partial<Record<N, Buffer>>> {
  const names = regions.map((r) => `${r.name}.bin`);
  const byRegion = new Map<N, string>();
  for (const file of files) {
    if (typeof file !== 'string' || file === '') throw new InspectError(`${label}: file names must be non-empty strings`);
    const region = regions.find((r) => `${r.name}.bin` === basename(file));
    if (!region) throw new InspectError(`${label}: unexpected file ${file}; region files are named ${names.join(', ')}`, { file });
    const previous = byRegion.get(region.name);
    if (previous) throw new InspectError(`${label}: region ${region.name} given twice (${previous} and ${file})`, { file, region: region.name });
    byRegion.set(region.name, file);
  }
  const missing = regions.filter((r) => !optional.includes(r.name) && !byRegion.has(r.name));
  if (missing.length > 0) {
    const opt = optional.length ? `; ${optional.map((o) => `${o}.bin`).join(', ')} optional` : '';
    throw new InspectError(`${label}: missing ${missing.map((r) => `${r.name}.bin`).join(', ')} (expected ${names.join(', ')}${opt})`, { region: missing[0]!.name });
  }
  const dump: Partial<Record<N, Buffer>> = {};
  for (const region of regions) {
    const file = byRegion.get(region.name);
    if (file !== undefined) dump[region.name] = await readExactly(file, region.size, `${label} region ${region.name}:`, region.name);
  }
  return dump;
}

/** One whole-flash file (file offset = address - flashBase), cut into the regions. */
export async function loadWholeFlash<N extends string>(file: unknown, flash: { base: number; size: number }, regions: readonly DumpRegion<N>[], label: string): Promise<Partial<Record<N, Buffer>>> {
  if (typeof file !== 'string' || file === '') throw new InspectError(`${label}: wholeFlash must be a file name`);
  const bytes = await readExactly(file, flash.size, 'whole-flash dump', 'wholeFlash');
  const dump: Partial<Record<N, Buffer>> = {};
  for (const region of regions) {
    const offset = region.base - flash.base;
    if (offset >= 0 && offset + region.size <= flash.size) dump[region.name] = bytes.subarray(offset, offset + region.size);
  }
  return dump;
}

/** What a scheme's dump is made of: its regions, which may be left out, and its whole flash. */
export interface DumpLayout<N extends string> {
  /** Names the scheme in messages ("SFU dump"). */
  label: string;
  regions: readonly DumpRegion<N>[];
  optional?: readonly N[];
  flash: { base: number; size: number };
}

/**
 * The one dump loader: region files (a list) or `{ wholeFlash }`, checked and read as the layout
 * says. InspectError (file, region, sizes) on bad input.
 */
export async function loadDump<N extends string>(files: unknown, layout: DumpLayout<N>): Promise<Partial<Record<N, Buffer>>> {
  if (Array.isArray(files)) return loadRegionFiles(files, layout.regions, layout.label, layout.optional);
  if (typeof files === 'object' && files !== null && 'wholeFlash' in files) {
    return loadWholeFlash((files as { wholeFlash: unknown }).wholeFlash, layout.flash, layout.regions, layout.label);
  }
  throw new InspectError(`${layout.label}: expected a list of region files or { wholeFlash: file }`);
}
