/** The RP2040-SFU twin's entry in the twin registry. */
import type { SchemeTwin } from '../scheme-twin.js';
import { Rp2040SfuTwin } from './device.js';
import { SFU_VARIANTS, type SfuVariant } from './variants.js';

export const sfuTwin: SchemeTwin = {
  scheme: 'sfu-ab',
  variants: SFU_VARIANTS,
  create: (opts) => new Rp2040SfuTwin({ ...opts, variant: opts.variant as SfuVariant }),
};
