/**
 * Hex the way boot code and datasheets print it: unsigned, upper case, zero-padded. One place, so
 * a slot table, a console line and an error message show the same address the same way.
 */

/** `0000ABCD` (printf's %08X; `width` digits). */
export function hexDigits(n: number, width = 8): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
}

/** `0x0000ABCD`: a 32-bit address or word. */
export function hex32(n: number): string {
  return `0x${hexDigits(n)}`;
}
