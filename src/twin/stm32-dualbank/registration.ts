/** The STM32F429 dual-bank twin's entry in the twin registry. */
import type { SchemeTwin } from '../scheme-twin.js';
import { Stm32DualBankTwin } from './device.js';
import { STM32_VARIANTS, type Stm32Variant } from './variants.js';

export const stm32Twin: SchemeTwin = {
  scheme: 'stm32-dualbank',
  variants: STM32_VARIANTS,
  create: (opts) => new Stm32DualBankTwin({ ...opts, variant: opts.variant as Stm32Variant }),
};
