import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { TwinDevice } from '../device.js';
import { NorFlash, type FlashSnapshot } from '../flash/nor-flash.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import { Mcu, type TwinEvent } from '../mcu.js';
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
export class Stm32DualBankTwin implements TwinDevice {
  readonly target = 'stm32f429';
  readonly scheme = 'stm32-dualbank';
  readonly variant: Stm32Variant;
  readonly clock: Clock;
  readonly flash: NorFlash;
  readonly mcu: Mcu;
  readonly options = new Stm32OptionBytes();
  private readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: Stm32DualBankOptions) {
    this.clock = opts.clock;
    this.variant = opts.variant ?? 'correct';
    this.flash = new NorFlash(STM32F429_FLASH);
    const seed = opts.seed ?? 1;
    this.mcu = new Mcu({ clock: opts.clock, flash: this.flash, powerLoss: opts.powerLoss ?? 'random', seed, rxCapacity: STM32_RX_RING });
    const deviceId = createHash('sha256').update(`stm32f429 uid\0${seed}`).digest().subarray(0, 12);
    const boot: (mcu: Mcu) => Promise<void> = stm32BootChain({
      options: this.options,
      runApp: (mcu, bank) => runOtaApp(mcu, bank, { variant: this.variant, options: this.options, reboot: boot, deviceId }),
    });
    this.boot = boot;
  }

  get powered(): boolean {
    return this.mcu.isPowered;
  }

  /** BFB2 as the option bytes hold it now. */
  get bfb2(): boolean {
    return this.options.bfb2;
  }

  powerOn(): void {
    this.mcu.powerOn(this.boot);
  }

  powerOff(): void {
    this.mcu.powerOff();
  }

  uartRx(bytes: Buffer): void {
    this.mcu.uartRx(bytes);
  }

  onUartTx(listener: (bytes: Buffer) => void): () => void {
    return this.mcu.onTx(listener);
  }

  onEvent(listener: (e: TwinEvent) => void): () => void {
    return this.mcu.onEvent(listener);
  }

  private optionOffset(address: number, length: number): number | undefined {
    const o = this.options;
    if (address >= o.base && address < o.base + o.size) {
      if (address + length > o.base + o.size) throw new RangeError(`0x${address.toString(16)}+${length} runs past the option bytes`);
      return address - o.base;
    }
    return undefined;
  }

  readMemory(address: number, length: number): Buffer {
    const off = this.optionOffset(address, length);
    if (off !== undefined) return this.options.read().subarray(off, off + length);
    return this.flash.read(address, length);
  }

  programMemory(address: number, data: Uint8Array): void {
    const off = this.optionOffset(address, data.length);
    if (off !== undefined) return this.options.writeRaw(off, data);
    const end = address + data.length;
    for (let at = address; at < end; ) {
      const s = this.flash.sectorAt(at);
      this.flash.writeRaw(s.address, Buffer.alloc(s.size, 0xff));
      at = s.address + s.size;
    }
    this.flash.writeRaw(address, data);
  }

  /** Erases both banks (option bytes stay, as on the part). */
  massErase(): void {
    this.flash.eraseAll();
  }

  snapshot(): Stm32Snapshot {
    return { ...this.flash.snapshot(), options: this.options.read() };
  }

  restore(snapshot: FlashSnapshot): void {
    this.flash.restore(snapshot);
    const options = (snapshot as Partial<Stm32Snapshot>).options;
    if (options) this.options.restore(options);
  }
}

