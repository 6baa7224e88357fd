import type { Clock } from '../core/clock.js';
import type { TwinDevice } from './device.js';
import type { PowerLossMode } from './flash/power-loss.js';

/** One variant's one-liners: whether it is a seeded bug, what it does wrong, what a lab would see. */
export interface VariantInfo {
  readonly buggy: boolean;
  readonly wrong: string;
  readonly seen: string;
}

export interface TwinCreateOptions {
  clock: Clock;
  /** Already checked to be one of the registration's variants. */
  variant: string;
  powerLoss: PowerLossMode;
  seed: number;
}

/** What one twin folder registers: the scheme it models, its bootloader variants, and its device factory. */
export interface SchemeTwin {
  readonly scheme: string;
  readonly variants: Readonly<Record<string, VariantInfo>>;
  create(opts: TwinCreateOptions): TwinDevice;
}
