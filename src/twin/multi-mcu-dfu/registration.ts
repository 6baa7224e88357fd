/** The two-processor product twin's entry in the twin registry. */
import type { SchemeTwin } from '../scheme-twin.js';
import { MultiMcuDfuTwin } from './device.js';
import { MULTI_MCU_DFU_VARIANTS, type MultiMcuDfuVariant } from './variants.js';

export const multiMcuDfuTwin: SchemeTwin = {
  scheme: 'multi-mcu-dfu',
  variants: MULTI_MCU_DFU_VARIANTS,
  create: (opts) => new MultiMcuDfuTwin({ ...opts, variant: opts.variant as MultiMcuDfuVariant }),
};
