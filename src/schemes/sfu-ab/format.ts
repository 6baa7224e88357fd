/** A small human table of an SFU inspection, for the console and for report attachments. */
import type { SfuInspection } from './inspect.js';
import { SFU_UNSIGNED } from './metadata.js';
import { textTable } from '../../core/text-table.js';

const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : '-');

/**
 * ```
 * slot  present  signed  generation  CRC ok  vector ok  version  matches
 * A     yes      yes     1           yes     yes        1.0.0    app-v1
 * B     yes      yes     2           yes     yes        2.0.0    app-v2
 * boots next: B (generation 2)
 * ```
 * followed by one line per slot problem.
 */
export function formatInspection(i: SfuInspection): string {
  const header = ['slot', 'present', 'signed', 'generation', 'CRC ok', 'vector ok', 'version', 'matches'];
  const rows = i.slots.map((s) => {
    const signed = s.scheme.signed === true;
    const generation = s.scheme.generation;
    return [
      s.slot,
      yesNo(s.present),
      yesNo(s.scheme.signed),
      signed && typeof generation === 'number' ? String(generation) : '-',
      signed ? yesNo(s.scheme.crcOk) : '-',
      s.present ? yesNo(s.scheme.vectorOk) : '-',
      s.version ?? '-',
      s.matches ?? '-',
    ];
  });
  const out = textTable(header, rows);

  if (i.bootsNext === null) {
    out.push(
      i.firstStartPending ? 'boots next: none (first start: slot A fails the vector check; the bootloader stays in SFU mode)' : 'boots next: none (no valid slot; the bootloader stays in SFU mode)',
    );
  } else if (i.firstStartPending) {
    out.push(`boots next: ${i.bootsNext} (first start: the bootloader signs it with generation 1)`);
  } else {
    const slot = i.slots.find((s) => s.slot === i.bootsNext);
    const generation = slot?.scheme.generation;
    const gen = typeof generation === 'number' && generation !== SFU_UNSIGNED ? ` (generation ${generation})` : '';
    out.push(`boots next: ${i.bootsNext}${gen}`);
  }
  if (i.bootsNext !== null && !i.jumps) {
    out.push(`  but its vector table fails the context check: the bootloader stays in SFU mode`);
  }
  for (const s of i.slots) for (const p of s.problems) out.push(`slot ${s.slot}: ${p}`);
  return out.join('\n');
}
