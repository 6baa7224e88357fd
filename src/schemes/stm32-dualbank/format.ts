/** A small human table of a dual-bank inspection, for the console and for report attachments. */
import type { Stm32Inspection, Stm32SlotState } from './inspect.js';
import { hex32 as hex } from '../../core/hex.js';
import { textTable } from '../../core/text-table.js';

const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : '-');

/**
 * ```
 * bank   present  SP ok  PC ok  header  CRC ok  valid  version  matches
 * bank1  yes      yes    yes    yes     yes     yes    1.0.0    app-v1
 * bank2  yes      yes    yes    no      -       no     2.0.0    -
 * BFB2 set: the system bootloader (ROM) runs
 * bank 2 initial SP 0x20020000 is in SRAM: bank 2 is remapped to 0x08000000 and started
 * boots next: bank2
 * ```
 * followed by one line per bank problem.
 */
export function formatStm32Inspection(i: Stm32Inspection): string {
  const header = ['bank', 'present', 'SP ok', 'PC ok', 'header', 'CRC ok', 'valid', 'version', 'matches'];
  const rows = i.slots.map((s) => {
    const st = s.scheme as Stm32SlotState;
    return [
      s.slot,
      yesNo(s.present),
      s.present ? yesNo(st.spOk) : '-',
      s.present ? yesNo(st.pcOk && st.codeThere) : '-',
      s.present ? yesNo(st.headerOk) : '-',
      st.header ? yesNo(st.crcOk) : '-',
      yesNo(s.valid),
      s.version ?? '-',
      s.matches ?? '-',
    ];
  });
  const out = [...textTable(header, rows), ...i.bootPath];
  out.push(i.bootsNext ? `boots next: ${i.bootsNext}${i.jumps ? '' : ' (faults at once)'}` : 'boots next: none (the ROM stays in the system bootloader)');
  if (i.rdp !== 0xaa) out.push(`option bytes: RDP is 0x${i.rdp.toString(16).toUpperCase()} (not level 0): read protection is on`);
  for (const s of i.slots) {
    const st = s.scheme as Stm32SlotState;
    for (const p of s.problems) out.push(`${s.slot}: ${p}`);
    if (st.header && s.present) out.push(`${s.slot}: header ${st.header.version} git ${st.header.gitSha} data_size ${st.header.dataSize} crc ${hex(st.header.crc)}`);
  }
  return out.join('\n');
}
