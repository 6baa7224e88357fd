/** A human table of a product inspection: one MCUboot table per member, then the product's next boot. */
import { formatMcubootInspection } from '../../images/mcuboot-format.js';
import { PRODUCT_MEMBERS } from '../../targets/nrf91-nrf52-product.js';
import type { ProductInspection } from './inspect.js';

const hex = (n: number) => `0x${n.toString(16).padStart(6, '0')}`;

/** `primary host-flash+0x00c000, secondary shared-flash+0x020000, scratch radio-flash+0x0f0000`: which memory each slot is in. */
function where(member: string): string {
  const m = PRODUCT_MEMBERS.find((x) => x.name === member);
  if (!m) return '';
  return (['primary', 'secondary', 'scratch'] as const).map((s) => `${s} ${m.slots[s].region}+${hex(m.slots[s].offset)}`).join(', ');
}

/**
 * ```
 * host (nrf9160): primary host-flash+0x00c000, secondary shared-flash+0x000000, scratch host-flash+0x0f0000
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
    out.push(`${m.member} (${m.target}): ${where(m.member)}`, formatMcubootInspection(m), '');
  }
  out.push(`product: ${i.summary}`);
  if (i.dfuState) out.push(i.dfuState.text);
  return out.join('\n');
}
