/** The two-processor product, host side: the registration the scheme registry loads. */
import type { SchemeHost } from '../scheme.js';
import { multiMcuDfuMeta } from './meta.js';

const notYet = (what: string) => Promise.reject(new Error(`multi-mcu-dfu ${what}: not yet`));

export const multiMcuDfuHost: SchemeHost = {
  ...multiMcuDfuMeta,
  scheme: multiMcuDfuMeta.name,
  silence: 'bricked',
  settleMs: 700,
  baseline: () => notYet('baseline'),
  inspect: () => notYet('inspect'),
  inspectFiles: () => notYet('inspectFiles'),
};

/** What the host registry (../registry.ts) loads from every scheme folder. */
export { multiMcuDfuHost as host };
