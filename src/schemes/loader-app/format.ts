/** A small human table of a loader-app inspection, for the console and for report attachments. */
import { hex32 as hex } from '../../core/hex.js';
import { textTable } from '../../core/text-table.js';
import type { LoaderAppInspection, LoaderAppSlotState } from './inspect.js';

const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : '-');

/**
 * ```
 * region  present  header     type    version  CRC ok  vectors  valid  matches
 * boot    yes      -          -       1.0.0    -       yes      yes    -
 * slot1   yes      committed  loader  1.0.0    yes     yes      yes    -
 * slot2   yes      erased     -       2.0.0    -       yes      no     -
 * slot 1 holds a committed Loader 1.0.0: the bootloader starts it
 * slot 2 has no committed image (erased): the Loader stays in DFU mode, waiting for an update
 * boots next: none (waiting)
 * ```
 * With a RAM dump, the Loader's reading of it sits in the boot path, and a DFU mode it causes is named:
 * `boots next: none (waiting: app-unstable)`.
 */
export function formatLoaderAppInspection(i: LoaderAppInspection): string {
  const header = ['region', 'present', 'header', 'type', 'version', 'CRC ok', 'vectors', 'valid', 'matches'];
  const rows = i.slots.map((s) => {
    const st = s.scheme as LoaderAppSlotState;
    return [
      s.slot,
      yesNo(s.present),
      st.check?.state ?? '-',
      st.check?.header?.typeName ?? '-',
      s.version ?? '-',
      st.check?.header ? yesNo(st.check.crcOk) : '-',
      s.present ? yesNo(st.vectorsOk) : '-',
      yesNo(s.valid),
      s.matches ?? '-',
    ];
  });
  const out = [...textTable(header, rows), ...i.bootPath];
  out.push(
    i.bootsNext
      ? `boots next: ${i.bootsNext}${i.jumps ? '' : ' (faults at once)'}`
      : `boots next: none (${i.noBootAs}${i.ramDecides ? `: ${i.ramDecides}` : i.updaterWaits ? ': the Updater waits for a Loader' : ''})`,
  );
  for (const s of i.slots) {
    const st = s.scheme as LoaderAppSlotState;
    for (const p of s.problems) out.push(`${s.slot}: ${p}`);
    const h = st.check?.header;
    if (h) out.push(`${s.slot}: header ${h.version} type ${h.imageType} git ${h.gitSha} data_size ${h.dataSize} crc ${hex(h.crc)} vector_addr ${hex(h.vectorAddr)}`);
  }
  return out.join('\n');
}
