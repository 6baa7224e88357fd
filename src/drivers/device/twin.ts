import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { TwinDevice } from '../../twin/device.js';
import type { PowerLossMode } from '../../twin/flash/power-loss.js';
import { Rp2040SfuTwin } from '../../twin/sfu/device.js';
import { SFU_VARIANTS, type SfuVariant } from '../../twin/sfu/variants.js';
import { Stm32DualBankTwin } from '../../twin/stm32/device.js';
import { STM32_VARIANTS, type Stm32Variant } from '../../twin/stm32/variants.js';
import { McubootSwapTwin } from '../../twin/mcuboot/device.js';
import { MCUBOOT_VARIANTS, type McubootVariant } from '../../twin/mcuboot/variants.js';

/** Variants per scheme with their one-line descriptions, for config checks, help and reports. */
export const TWIN_VARIANTS: Record<string, Record<string, { buggy: boolean; wrong: string; seen: string }>> = {
  'sfu-ab': SFU_VARIANTS,
  'stm32-dualbank': STM32_VARIANTS,
  'mcuboot-swap': MCUBOOT_VARIANTS,
};

/** The only door from the orchestrator into the twin: builds the device a rig describes. */
export function createTwin(
  scheme: string,
  opts: { clock: Clock; variant: string; powerLoss: PowerLossMode; seed: number },
): TwinDevice {
  const variants = TWIN_VARIANTS[scheme];
  if (!variants) throw new ConfigError(`no twin for scheme ${scheme} yet (twins: ${Object.keys(TWIN_VARIANTS).join(', ')})`);
  if (!(opts.variant in variants)) {
    throw new ConfigError(`twin variant ${opts.variant} does not exist for ${scheme} (variants: ${Object.keys(variants).join(', ')})`);
  }
  const common = { clock: opts.clock, powerLoss: opts.powerLoss, seed: opts.seed };
  switch (scheme) {
    case 'stm32-dualbank':
      return new Stm32DualBankTwin({ ...common, variant: opts.variant as Stm32Variant });
    case 'mcuboot-swap':
      return new McubootSwapTwin({ ...common, variant: opts.variant as McubootVariant });
    default:
      return new Rp2040SfuTwin({ ...common, variant: opts.variant as SfuVariant });
  }
}

/** One line saying what a served twin is. */
export function twinBanner(rig: string, variant: string, paceBaud: number): string {
  const v = Object.values(TWIN_VARIANTS).find((vs) => variant in vs)?.[variant];
  return `twin ${rig}: bootloader variant ${variant}${v?.buggy ? ` (seeded bug: ${v.wrong})` : ''}, ${paceBaud} baud; Ctrl-C to stop`;
}
