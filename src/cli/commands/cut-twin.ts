/**
 * `--variant` and `--power-loss` of `hil cut` (and `hil sweep`): the twin overrides a suite gives
 * with `variant:` / `powerLoss:` on a rig entry, so a repro line can replay a cut a suite made on
 * another bootloader variant or power-loss mode than the rig file's.
 */
import { UsageError } from '../../core/errors.js';
import { DEFAULT_VARIANTS, limits, type RigConfig, type TwinOverrides } from '../../config/index.js';
import { numberOption } from '../command.js';

export const POWER_LOSS_MODES = ['skip', 'complete', 'torn', 'random'] as const;

/**
 * The overrides asked for on the command line, checked against the rig; bad ones are usage errors
 * naming the option (withTwinOverrides then applies them as it does a suite's).
 */
export function twinOverridesFrom(values: Record<string, unknown>, config: RigConfig): TwinOverrides {
  const variant = values.variant as string | undefined;
  const powerLoss = values['power-loss'] as string | undefined;
  if (variant === undefined && powerLoss === undefined) return {};
  const option = variant !== undefined ? '--variant' : '--power-loss';
  if (!config.twin) throw new UsageError(`${option} only applies to twin rigs, and ${config.name} is a bench rig (its bootloader and power loss are the real ones)`);
  const known = DEFAULT_VARIANTS[config.scheme];
  if (variant !== undefined && known && !known.includes(variant)) {
    throw new UsageError(`--variant: ${JSON.stringify(variant)} is not a ${config.scheme} twin variant (variants: ${known.join(', ')})`);
  }
  if (powerLoss !== undefined && !(POWER_LOSS_MODES as readonly string[]).includes(powerLoss)) {
    throw new UsageError(`--power-loss: expected one of ${POWER_LOSS_MODES.join(', ')}, got ${JSON.stringify(powerLoss)}`);
  }
  return { ...(variant !== undefined && { variant }), ...(powerLoss !== undefined && { powerLoss: powerLoss as NonNullable<TwinOverrides['powerLoss']> }) };
}

/**
 * `--time-factor X`: the twin's pace instead of the rig file's `twin.timeFactor` (0 = virtual time,
 * 1 = the real device's pace, to watch a cut on the console as it happens). The outcome does not
 * depend on it, so the repro line leaves it out.
 */
export function withTimeFactor(config: RigConfig, values: Record<string, unknown>): RigConfig {
  if (values['time-factor'] === undefined) return config;
  const timeFactor = numberOption(values, 'time-factor', 0, { min: 0, max: limits.MAX_TIME_FACTOR });
  if (!config.twin) throw new UsageError(`--time-factor only applies to twin rigs, and ${config.name} is a bench rig (it runs at the real device's pace)`);
  return { ...config, twin: { ...config.twin, timeFactor } };
}
