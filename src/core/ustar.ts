/**
 * A reader for the tar files a lab makes with plain `tar cf` (POSIX ustar, or GNU tar's default
 * format, which differs only in its magic and its long-name entries): the entries that are regular
 * files, with their bytes. Shared by the host side (a product image is a tar of one image per
 * processor) and the fota updater, which serves the same members, so both read one tar the same way.
 * Anything that is not such a tar (garbage, a truncated file, a bad header checksum) is an Error
 * saying where.
 */

const BLOCK = 512;

export interface TarEntry {
  /** Path inside the archive (prefix/name joined), as `tar tf` prints it. */
  name: string;
  data: Buffer;
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(header: Buffer, offset: number, length: number, what: string, at: number): number {
  const text = field(header, offset, length).trim();
  // GNU's base-256 sizes only appear above 8 GiB: no product image is that large.
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar header at byte ${at}: ${what} is not an octal number (${JSON.stringify(text)})`);
  return parseInt(text, 8);
}

function checksumOk(header: Buffer, at: number): boolean {
  const stored = octal(header, 148, 8, 'checksum', at);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === stored;
}

/** Every regular file of a ustar/GNU tar, in archive order. */
export function readUstar(tar: Buffer): TarEntry[] {
  if (tar.length < BLOCK) throw new Error(`not a tar file: ${tar.length} bytes, shorter than one ${BLOCK}-byte header`);
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let at = 0;
  for (;;) {
    if (at + BLOCK > tar.length) {
      // Some writers stop after the last entry's data, without the two zero blocks.
      if (at === tar.length && entries.length > 0) return entries;
      throw new Error(`tar truncated at byte ${at} (a header needs ${BLOCK} bytes, ${tar.length - at} left)`);
    }
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) {
      if (entries.length === 0) throw new Error('tar has no files (its first header is empty)');
      return entries;
    }
    if (!field(header, 257, 6).startsWith('ustar')) throw new Error(`not a ustar tar: no "ustar" magic in the header at byte ${at}`);
    if (!checksumOk(header, at)) throw new Error(`tar header at byte ${at} has a bad checksum (a damaged file)`);
    const size = octal(header, 124, 12, 'size', at);
    const type = String.fromCharCode(header[156]!);
    const dataAt = at + BLOCK;
    if (dataAt + size > tar.length) throw new Error(`tar truncated: entry at byte ${at} says ${size} bytes, ${tar.length - dataAt} left`);
    const data = tar.subarray(dataAt, dataAt + size);
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type === 'L') longName = field(data, 0, data.length);
    else if (type === '0' || type === '\0') entries.push({ name, data: Buffer.from(data) });
    // Directories, links and pax headers carry no member bytes.
    at = dataAt + Math.ceil(size / BLOCK) * BLOCK;
  }
}

/** `dir/host.signed.bin` → `host`: the entry's basename up to its first '.'. */
export function memberOfEntry(entryName: string): string {
  const base = entryName.slice(entryName.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot < 0 ? base : base.slice(0, dot);
}

/** A product tar's files by member name (one file per member: two files of one member are an Error). */
export function productMembers(tar: Buffer): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const from: Record<string, string> = {};
  for (const e of readUstar(tar)) {
    const member = memberOfEntry(e.name);
    if (member === '') throw new Error(`tar entry ${JSON.stringify(e.name)} names no member (its name starts with '.')`);
    if (from[member] !== undefined) throw new Error(`tar has two files for member ${member}: ${from[member]} and ${e.name}`);
    from[member] = e.name;
    out[member] = e.data;
  }
  return out;
}
