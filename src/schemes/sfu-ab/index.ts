/** RP2040-SFU A/B slots, host side: the registration the scheme registry loads. */
import type { SchemeHost } from '../scheme.js';
import { loadSfuDump } from './dump.js';
import { formatInspection } from './format.js';
import { inspectSfu } from './inspect.js';
import { sfuAbMeta } from './meta.js';
import { sfuAbSetups } from './setups.js';

export { inspectSfu, type SfuDump, type SfuInspection, type SfuSlotState, type InspectOptions } from './inspect.js';
export { loadSfuDump } from './dump.js';
export { formatInspection } from './format.js';

export const sfuAbHost: SchemeHost = {
  ...sfuAbMeta,
  scheme: sfuAbMeta.name,
  ...sfuAbSetups,
  async inspectFiles(files, known) {
    const i = inspectSfu(await loadSfuDump(files.length === 1 ? { wholeFlash: files[0]! } : files), { known });
    return { inspection: i, table: formatInspection(i) };
  },
};

/** What the host registry (../registry.ts) loads from every scheme folder. */
export { sfuAbHost as host };
