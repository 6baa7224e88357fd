/**
 * A config file's bytes -> its text, refusing what is not text: a NUL byte, invalid UTF-8, and
 * control characters other than tab, CR and LF (an ESC in a value would reach the terminal
 * with the error message that quotes it). Each refusal says where: line and column.
 */
import { hex, hexDigits } from '../core/hex.js';

export type TextResult = { ok: true; text: string } | { ok: false; line: number; col: number; message: string };

/** Length of the UTF-8 sequence at `i`, or 0 when it is not a valid one (overlong, surrogate, > U+10FFFF, cut short). */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < bytes.length && bytes[i + k]! >= lo && bytes[i + k]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** C0 controls but tab, LF and CR; DEL; C1 controls (U+0080..U+009F, two bytes C2 80..C2 9F). */
function controlAt(bytes: Uint8Array, i: number): number | undefined {
  const b = bytes[i]!;
  if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return b;
  if (b === 0xc2 && bytes[i + 1]! >= 0x80 && bytes[i + 1]! <= 0x9f) return bytes[i + 1]!;
  return undefined;
}

/** Decodes UTF-8 text (a leading BOM is dropped), or says where and why it is not text. `what`: "a rig file". */
export function decodeConfigText(bytes: Uint8Array, what: string): TextResult {
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b === 0x0a) {
      line++;
      lineStart = i + 1;
      i++;
      continue;
    }
    const control = controlAt(bytes, i);
    const length = control === undefined ? sequenceLength(bytes, i) : 0;
    if (length === 0) {
      // Columns count characters, like the YAML parser's: the bytes before are valid UTF-8.
      const col = new TextDecoder().decode(bytes.subarray(lineStart, i)).length + 1;
      let message: string;
      if (b === 0) message = `NUL byte (0x00): ${what} must be text`;
      else if (control !== undefined) message = `control character U+${hexDigits(control, 4)} is not allowed in ${what}`;
      else message = `invalid UTF-8 (byte ${hex(b, { width: 2 })}): ${what} must be UTF-8 text`;
      return { ok: false, line, col, message };
    }
    i += length;
  }
  const text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
  return { ok: true, text };
}
