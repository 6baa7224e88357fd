import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { TwinDevice } from '../../twin/device.js';
import type { PowerLossMode } from '../../twin/flash/power-loss.js';
import { TWINS, findTwin, type VariantInfo } from '../../twin/registry.js';

/** Variants per scheme with their one-line descriptions, for config checks, help and reports. */
export const TWIN_VARIANTS: Record<string, Readonly<Record<string, VariantInfo>>> = Object.fromEntries(TWINS.map((t) => [t.scheme, t.variants]));

/** The only door from the orchestrator into the twin: builds the device a rig describes. */
export function createTwin(scheme: string, opts: { clock: Clock; variant: string; powerLoss: PowerLossMode; seed: number }): TwinDevice {
  const twin = findTwin(scheme);
  if (!twin) throw new ConfigError(`no twin for scheme ${scheme} yet (twins: ${TWINS.map((t) => t.scheme).join(', ')})`);
  if (!(opts.variant in twin.variants)) {
    throw new ConfigError(`twin variant ${opts.variant} does not exist for ${scheme} (variants: ${Object.keys(twin.variants).join(', ')})`);
  }
  return twin.create({ clock: opts.clock, variant: opts.variant, powerLoss: opts.powerLoss, seed: opts.seed });
}

/** One line saying what a served twin is. */
export function twinBanner(rig: string, variant: string, paceBaud: number): string {
  const v = Object.values(TWIN_VARIANTS).find((vs) => variant in vs)?.[variant];
  return `twin ${rig}: bootloader variant ${variant}${v?.buggy ? ` (seeded bug: ${v.wrong})` : ''}, ${paceBaud} baud; Ctrl-C to stop`;
}
