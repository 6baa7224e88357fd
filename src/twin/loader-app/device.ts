import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { TwinBoardOptions } from '../device.js';
import { McuTwin } from '../mcu-twin.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import type { Mcu } from '../mcu.js';
import { STM32F429_FLASH } from '../stm32-dualbank/geometry.js';
import { loaderAppBootChain } from './boot.js';
import { LOADER_APP_SHARED_RAM } from '../../targets/stm32f429-fwup.js';
import { LOADER_APP_RX_RING } from './dfu.js';
import { SharedRam } from './shared-ram.js';
import type { LoaderAppVariant } from './variants.js';

/** Chance per SRAM bit that a BOR-only brownout flips it, unless the rig says otherwise [a model figure, not a datasheet one]. */
export const DEFAULT_SRAM_FLIP_RATE = 0.001;

export interface LoaderAppTwinOptions {
  clock: Clock;
  variant?: LoaderAppVariant;
  powerLoss?: PowerLossMode;
  seed?: number;
  board?: TwinBoardOptions;
}

/**
 * A single-bank STM32F429 running seed 001's bootloader → Loader → Application / Updater chain
 * (src/targets/stm32f429-fwup.ts). Starts blank: the factory programs all three regions
 * through the probe. The debug port sees the flash as a probe does; `sharedRam` is the 256 bytes
 * of SRAM the programs share, kept by the MCU over the resets that keep SRAM powered.
 */
export class LoaderAppTwin extends McuTwin {
  readonly target = 'stm32f429';
  readonly scheme = 'loader-app';
  readonly variant: LoaderAppVariant;
  readonly sharedRam: SharedRam;
  /** The rig's board options, read by the programs at each use. */
  readonly board: TwinBoardOptions = {};
  protected readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: LoaderAppTwinOptions) {
    const seed = opts.seed ?? 1;
    const sharedRam = new SharedRam(seed, DEFAULT_SRAM_FLIP_RATE);
    super({ clock: opts.clock, geometry: STM32F429_FLASH, ...(opts.powerLoss && { powerLoss: opts.powerLoss }), seed, rxCapacity: LOADER_APP_RX_RING, ram: sharedRam.ram });
    this.variant = opts.variant ?? 'correct';
    this.sharedRam = sharedRam;
    if (opts.board) this.configureBoard(opts.board);
    const deviceId = createHash('sha256').update(`stm32f429 uid\0${seed}`).digest().subarray(0, 12);
    this.boot = loaderAppBootChain({ ram: this.sharedRam, variant: this.variant, deviceId, board: this.board });
  }

  configureBoard(board: TwinBoardOptions): void {
    Object.assign(this.board, board);
    if (board.sramFlipRate !== undefined) this.sharedRam.ram.flipRate = board.sramFlipRate;
  }

  /** The debug port reads SRAM as a probe does (a RAM dump for `hil inspect --ram`), flash otherwise. */
  override readMemory(address: number, length: number): Buffer {
    const ram = LOADER_APP_SHARED_RAM;
    if (address >= ram.base && address + length <= ram.base + ram.size) return Buffer.from(this.sharedRam.bytes.subarray(address - ram.base, address - ram.base + length));
    return super.readMemory(address, length);
  }

  /** The NRST pin pulsed (a bench's reset line): SRAM stays, PINRSTF says so. */
  pinReset(): void {
    this.mcu.pinReset(this.boot);
  }
}
