/** A small human table of an MCUboot slots inspection, for the console and for report attachments. */
import type { McubootSlotsInspection } from './mcuboot-inspect.js';
import { textTable } from '../core/text-table.js';

const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : '-');
const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '-');

/**
 * ```
 * slot       present  valid  version  magic  image_ok  copy_done  swap  status  matches  state
 * primary    yes      yes    2.0.0+0  good   unset     set        test  3       app-v2   running a test image; next reset reverts
 * secondary  yes      yes    1.0.0+0  unset  unset     unset      none  0       app-v1   no request
 * next boot: reverts to the secondary's image 1.0.0+0
 * ```
 * then the scratch line (when given) and one line per slot problem.
 */
export function formatMcubootInspection(i: McubootSlotsInspection): string {
  const header = ['slot', 'present', 'valid', 'version', 'magic', 'image_ok', 'copy_done', 'swap', 'status', 'matches', 'state'];
  const rows = i.slots.map((s) => [
    s.slot,
    yesNo(s.present),
    yesNo(s.valid),
    s.version ?? '-',
    str(s.scheme.magic),
    str(s.scheme.imageOk),
    str(s.scheme.copyDone),
    str(s.scheme.swapType),
    str(s.scheme.statusWritten),
    s.matches ?? '-',
    str(s.scheme.state),
  ]);
  const out = textTable(header, rows);
  if (i.scratch) out.push(`scratch: magic ${i.scratch.magic}, swap ${i.scratch.swapType}, ${i.scratch.statusWritten} status record(s)`);
  if (i.swapInProgress) {
    const s = i.swapInProgress;
    out.push(`swap in progress: region ${s.idx} state ${s.state}, status in ${s.source}, ${s.swapType}, swap_size ${s.swapSize}`);
  }
  out.push(`next boot: ${i.summary}`);
  if (i.runs) out.push(`then runs: ${i.runs.version ?? '?'}${i.runs.matches ? ` (${i.runs.matches})` : ''} from ${i.runs.from}${i.runs.valid ? '' : ' (not valid)'}`);
  for (const s of i.slots) for (const p of s.problems) out.push(`${s.slot}: ${p}`);
  return out.join('\n');
}
