/** STM32F429 dual bank with BFB2, host side: the registration the scheme registry loads. */
import { basename } from 'node:path';
import type { SchemeHost } from '../scheme.js';
import { loadStm32Dump } from './dump.js';
import { formatStm32Inspection } from './format.js';
import { inspectStm32 } from './inspect.js';
import { stm32DualBankMeta } from './meta.js';
import { stm32DualBankSetups } from './setups.js';

export { inspectStm32, type Stm32Dump, type Stm32Inspection, type Stm32SlotState } from './inspect.js';
export { loadStm32Dump } from './dump.js';
export { formatStm32Inspection } from './format.js';

export const stm32DualBankHost: SchemeHost = {
  ...stm32DualBankMeta,
  scheme: stm32DualBankMeta.name,
  ...stm32DualBankSetups,
  async inspectFiles(files, known) {
    // One 2 MiB flash file, optionally with the option bytes as a second file named options*.bin.
    const whole = files.length <= 2 && !files.some((f) => /bank[12]\.bin$/.test(basename(f)));
    const options = files.find((f) => /^options/.test(basename(f)));
    const flash = files.find((f) => f !== options);
    const dump = whole && flash ? await loadStm32Dump({ wholeFlash: flash, ...(options && { options }) }) : await loadStm32Dump(files);
    const i = inspectStm32(dump, { known });
    return { inspection: i, table: formatStm32Inspection(i) };
  },
};

/** What the host registry (../registry.ts) loads from every scheme folder. */
export { stm32DualBankHost as host };
