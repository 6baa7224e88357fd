/** A human table of a product inspection: one MCUboot table per member, then the product's next boot. */
import { formatMcubootInspection } from '../../images/mcuboot-format.js';
import type { ProductInspection } from './inspect.js';

/**
 * ```
 * host (nrf9160)
 * slot       present  valid  version  …
 * …
 * next boot: boots the primary's image 1.0.0+0
 *
 * radio (nrf52840)
 * …
 * product: boots host:primary+radio:primary, running host=1.0.0,radio=1.0.0
 * dfu-state: erased (no update record)
 * ```
 */
export function formatProductInspection(i: ProductInspection): string {
  const out: string[] = [];
  for (const m of Object.values(i.members)) {
    out.push(`${m.member} (${m.target})`, formatMcubootInspection(m), '');
  }
  out.push(`product: ${i.summary}`);
  if (i.dfuState) out.push(i.dfuState.text);
  return out.join('\n');
}
