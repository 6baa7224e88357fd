/** The two-processor product (seed 000), host side: the registration the scheme registry loads. */
import type { SchemeHost } from '../scheme.js';
import { loadProductDump } from './dump.js';
import { formatProductInspection } from './format.js';
import { inspectProduct } from './inspect.js';
import { multiMcuDfuMeta } from './meta.js';
import { multiMcuDfuSetups } from './setups.js';

export { inspectProduct, memberLayout, memberSlots, type ProductInspection, type MemberInspection, type ProductKnownImage } from './inspect.js';
export { loadProductDump, type ProductDump } from './dump.js';
export { formatProductInspection } from './format.js';
export { productFlashView } from './setups.js';

export const multiMcuDfuHost: SchemeHost = {
  ...multiMcuDfuMeta,
  scheme: multiMcuDfuMeta.name,
  ...multiMcuDfuSetups,
  async inspectFiles(files, known) {
    const i = inspectProduct(await loadProductDump(files), { known });
    return { inspection: i, table: formatProductInspection(i) };
  },
};

/** What the host registry (../registry.ts) loads from every scheme folder. */
export { multiMcuDfuHost as host };
