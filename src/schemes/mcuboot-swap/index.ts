/** MCUboot swap-scratch on the nRF52840, host side: the registration the scheme registry loads. */
import type { SchemeHost } from '../scheme.js';
import { loadMcubootDump } from './dump.js';
import { formatMcubootInspection } from './format.js';
import { inspectMcuboot } from './inspect.js';
import { mcubootSwapMeta } from './meta.js';
import { mcubootSwapSetups } from './setups.js';

export { inspectMcuboot, type McubootDump, type McubootInspection, type McubootInspectOptions, type McubootRunningImage, type McubootNextAction } from './inspect.js';
export { loadMcubootDump } from './dump.js';
export { formatMcubootInspection } from './format.js';

export const mcubootSwapHost: SchemeHost = {
  ...mcubootSwapMeta,
  scheme: mcubootSwapMeta.name,
  ...mcubootSwapSetups,
  async inspectFiles(files, known) {
    const i = inspectMcuboot(await loadMcubootDump(files.length === 1 ? { wholeFlash: files[0]! } : files), { known });
    return { inspection: i, table: formatMcubootInspection(i) };
  },
};

/** What the host registry (../registry.ts) loads from every scheme folder. */
export { mcubootSwapHost as host };
