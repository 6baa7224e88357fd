import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { McuTwin } from '../mcu-twin.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import type { Mcu } from '../mcu.js';
import { STM32F429_FLASH } from '../stm32-dualbank/geometry.js';
import { loaderAppBootChain } from './boot.js';
import { LOADER_APP_RX_RING } from './dfu.js';
import { SharedRam } from './shared-ram.js';
import type { LoaderAppVariant } from './variants.js';

export interface LoaderAppTwinOptions {
  clock: Clock;
  variant?: LoaderAppVariant;
  powerLoss?: PowerLossMode;
  seed?: number;
}

/**
 * A single-bank STM32F429 running seed 001's bootloader → Loader → Application / Updater chain
 * (src/targets/stm32f429-fwup.ts). Starts blank: the factory programs all three regions
 * through the probe. The debug port sees the flash as a probe does; `sharedRam` is the 256 bytes
 * of SRAM the programs share, kept over the resets the programs do themselves.
 */
export class LoaderAppTwin extends McuTwin {
  readonly target = 'stm32f429';
  readonly scheme = 'loader-app';
  readonly variant: LoaderAppVariant;
  readonly sharedRam: SharedRam;
  protected readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: LoaderAppTwinOptions) {
    const seed = opts.seed ?? 1;
    super({ clock: opts.clock, geometry: STM32F429_FLASH, ...(opts.powerLoss && { powerLoss: opts.powerLoss }), seed, rxCapacity: LOADER_APP_RX_RING });
    this.variant = opts.variant ?? 'correct';
    this.sharedRam = new SharedRam(seed);
    const deviceId = createHash('sha256').update(`stm32f429 uid\0${seed}`).digest().subarray(0, 12);
    this.boot = loaderAppBootChain({ ram: this.sharedRam, variant: this.variant, deviceId });
  }

  /** A power-up leaves SRAM holding whatever it powers up to. */
  override powerOn(): void {
    if (!this.powered) this.sharedRam.powerUp();
    super.powerOn();
  }
}
