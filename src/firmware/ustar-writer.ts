/**
 * A deterministic POSIX ustar writer for the product update bundles: fixed mtime, uid/gid 0,
 * mode 0644, owner names empty, so the same members always give the same bytes (and sha256).
 * Written from the ustar layout (POSIX.1-1988), not from any tar implementation; `tar tf` and
 * the host-side reader both read it.
 */

const BLOCK = 512;

/** 2026-01-01T00:00:00Z: any fixed instant; a real `tar cf` would put the files' mtime here. */
export const USTAR_FIXED_MTIME = 1_767_225_600;

function octal(value: number, width: number): string {
  // width − 1 digits and a NUL, as POSIX writes numeric fields.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new RangeError(`ustar entry name ${JSON.stringify(name)}: at most 100 bytes here (no prefix field used)`);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 'utf8');
  h.write(octal(0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(USTAR_FIXED_MTIME, 12), 136, 'latin1');
  h.fill(0x20, 148, 156); // checksum computed with its own field as spaces
  h.write('0', 156, 'latin1'); // regular file
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

/** The archive of `entries` in order, ended by two zero blocks. */
export function writeUstar(entries: readonly { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e.name, e.data.length), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0));
  return Buffer.concat(parts);
}
