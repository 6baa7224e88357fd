/**
 * Hex the way boot code and datasheets print it: unsigned, upper case, zero-padded. One place, so
 * a slot table, a console line, an error message and `hil flash`/`hil dump` show the same address
 * the same way. The options cover the few places that must print otherwise: OpenOCD command
 * words (its own lower-case style), bare digits inside device text (`CRC ERROR:\t…`), a byte.
 */

export interface HexOptions {
  /** Zero-padded to this many digits (default 8); 0 pads nothing. */
  width?: number;
  /** Lower-case digits (default upper). */
  lower?: boolean;
  /** The `0x` prefix (default true). */
  prefix?: boolean;
}

/** `0x0000ABCD` by default; see HexOptions. The value is read as unsigned 32-bit. */
export function hex(n: number, { width = 8, lower = false, prefix = true }: HexOptions = {}): string {
  const digits = (n >>> 0).toString(16).padStart(width, '0');
  return `${prefix ? '0x' : ''}${lower ? digits : digits.toUpperCase()}`;
}

/** `0000ABCD` (printf's %08X; `width` digits). */
export function hexDigits(n: number, width = 8): string {
  return hex(n, { width, prefix: false });
}

/** `0x0000ABCD`: a 32-bit address or word. */
export function hex32(n: number): string {
  return hex(n);
}
