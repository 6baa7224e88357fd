/**
 * The lines the RP2040-SFU bootloader prints after START (reference/sfu-protocol.md §2.4, §6):
 * the START reply only carries the CRC; whether the slot got signed is said in text.
 */
export type VerdictLine = 'signed' | 'crc-ok' | 'crc-mismatch' | 'bin2page-errors';

const PATTERNS: readonly [RegExp, VerdictLine][] = [
  [/NEW CRC32 IEEE802\.3 SIGNED/, 'signed'],
  [/^\s*CRC OK\b/, 'crc-ok'],
  [/CRC != NEED/, 'crc-mismatch'],
  [/bin2page_errors!/, 'bin2page-errors'],
];

export function classifyVerdictLine(text: string): VerdictLine | undefined {
  for (const [pattern, kind] of PATTERNS) if (pattern.test(text)) return kind;
  return undefined;
}
