import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { McuTwin } from '../mcu-twin.js';
import type { FlashSnapshot } from '../flash/nor-flash.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import type { Mcu } from '../mcu.js';
import { STM32F429_FLASH } from './geometry.js';
import { Stm32OptionBytes } from './option-bytes.js';
import { STM32_RX_RING, runOtaApp } from './ota-app.js';
import { stm32BootChain } from './rom.js';
import type { Stm32Variant } from './variants.js';

export interface Stm32DualBankOptions {
  clock: Clock;
  variant?: Stm32Variant;
  powerLoss?: PowerLossMode;
  seed?: number;
}

/** A twin snapshot: the main flash plus the option bytes. */
export interface Stm32Snapshot extends FlashSnapshot {
  readonly options: Buffer;
}

/**
 * An STM32F429 (2 MiB, two banks) whose app updates itself into the other bank and switches
 * banks with BFB2 (reference §6, seed 002). Starts blank with factory option bytes (BFB2 clear).
 *
 * The debug port (readMemory/programMemory) sees the physical map, as a probe does after a
 * reset-halt: bank 1 at 0x0800_0000, bank 2 at 0x0810_0000, the option bytes at 0x1FFF_C000
 * (a write there is `stm32f2x options_write`: immediate). programMemory into flash erases every
 * sector it touches, whole, as OpenOCD's `flash write_image erase` does.
 */
export class Stm32DualBankTwin extends McuTwin {
  readonly target = 'stm32f429';
  readonly scheme = 'stm32-dualbank';
  readonly variant: Stm32Variant;
  readonly options = new Stm32OptionBytes();
  protected readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: Stm32DualBankOptions) {
    const seed = opts.seed ?? 1;
    super({ clock: opts.clock, geometry: STM32F429_FLASH, ...(opts.powerLoss && { powerLoss: opts.powerLoss }), seed, rxCapacity: STM32_RX_RING });
    this.variant = opts.variant ?? 'correct';
    const deviceId = createHash('sha256').update(`stm32f429 uid\0${seed}`).digest().subarray(0, 12);
    const boot: (mcu: Mcu) => Promise<void> = stm32BootChain({
      options: this.options,
      runApp: (mcu, bank) => runOtaApp(mcu, bank, { variant: this.variant, options: this.options, reboot: boot, deviceId }),
    });
    this.boot = boot;
  }

  /** BFB2 as the option bytes hold it now. */
  get bfb2(): boolean {
    return this.options.bfb2;
  }

  private optionOffset(address: number, length: number): number | undefined {
    const o = this.options;
    if (address >= o.base && address < o.base + o.size) {
      if (address + length > o.base + o.size) throw new RangeError(`0x${address.toString(16)}+${length} runs past the option bytes`);
      return address - o.base;
    }
    return undefined;
  }

  override readMemory(address: number, length: number): Buffer {
    const off = this.optionOffset(address, length);
    if (off !== undefined) return this.options.read().subarray(off, off + length);
    return super.readMemory(address, length);
  }

  /** Into the option bytes: immediate (`stm32f2x options_write`); into flash: as every twin's probe does. */
  override programMemory(address: number, data: Uint8Array): void {
    const off = this.optionOffset(address, data.length);
    if (off !== undefined) return this.options.writeRaw(off, data);
    super.programMemory(address, data);
  }

  override snapshot(): Stm32Snapshot {
    return { ...this.flash.snapshot(), options: this.options.read() };
  }

  override restore(snapshot: FlashSnapshot): void {
    super.restore(snapshot);
    const options = (snapshot as Partial<Stm32Snapshot>).options;
    if (options) this.options.restore(options);
  }
}
