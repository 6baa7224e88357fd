/** Seed 001's bootloader → Loader → Application on a single-bank STM32F429, host side: the registration the scheme registry loads. */
import type { SchemeHost } from '../scheme.js';
import { loadLoaderAppDump } from './dump.js';
import { formatLoaderAppInspection } from './format.js';
import { inspectLoaderApp } from './inspect.js';
import { loaderAppMeta } from './meta.js';
import { loaderAppSetups } from './setups.js';

export { inspectLoaderApp, type LoaderAppDump, type LoaderAppInspection, type LoaderAppSlotState } from './inspect.js';
export { loadLoaderAppDump } from './dump.js';
export { formatLoaderAppInspection } from './format.js';

export const loaderAppHost: SchemeHost = {
  ...loaderAppMeta,
  scheme: loaderAppMeta.name,
  ...loaderAppSetups,
  async inspectFiles(files, known, opts) {
    const i = inspectLoaderApp(await loadLoaderAppDump(files.length === 1 ? { wholeFlash: files[0]! } : files, opts?.ram), { known });
    return { inspection: i, table: formatLoaderAppInspection(i) };
  },
};

/** What the host registry (../registry.ts) loads from every scheme folder. */
export { loaderAppHost as host };
