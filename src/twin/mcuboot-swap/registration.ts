/** The nRF52840 MCUboot swap-scratch twin's entry in the twin registry. */
import type { SchemeTwin } from '../scheme-twin.js';
import { McubootSwapTwin } from './device.js';
import { MCUBOOT_VARIANTS, type McubootVariant } from './variants.js';

export const mcubootTwin: SchemeTwin = {
  scheme: 'mcuboot-swap',
  variants: MCUBOOT_VARIANTS,
  create: (opts) => new McubootSwapTwin({ ...opts, variant: opts.variant as McubootVariant }),
};
