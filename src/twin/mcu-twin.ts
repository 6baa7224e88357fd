import type { Clock } from '../core/clock.js';
import type { TwinDevice } from './device.js';
import type { FlashGeometry } from './flash/geometry.js';
import { NorFlash, type FlashSnapshot } from './flash/nor-flash.js';
import type { PowerLossMode } from './flash/power-loss.js';
import { Mcu, type SupplyDrop, type TwinEvent } from './mcu.js';
import type { RetainedRam } from './retained-ram.js';

/**
 * Supply levels that reset the MCU, falling edge: the power-on/power-down reset (AN4488: 1.70 V
 * typ. on the STM32F4) and the brown-out reset at BOR level 3 (RM0090: 2.70 V and up; BOR is off
 * from the factory, a product that cares about brownouts programs level 3 in its option bytes —
 * the twin assumes it did). Between the two the core is held in reset while SRAM stays powered.
 */
export const SUPPLY_RESET_LEVELS = { porVolts: 1.7, borVolts: 2.7 } as const;

export interface McuTwinOptions {
  clock: Clock;
  geometry: FlashGeometry;
  powerLoss?: PowerLossMode;
  seed?: number;
  /** Bytes the UART receive ring holds before it overflows. */
  rxCapacity: number;
  /** SRAM the board's programs keep over resets, if they share any. */
  ram?: RetainedRam;
}

/**
 * What every twin board has in common: one MCU with its flash, a power input, a UART and a debug
 * port. A scheme's board adds its boot chain (`boot`, set by the subclass constructor) and what its
 * probe sees beyond the main flash.
 */
export abstract class McuTwin implements TwinDevice {
  abstract readonly target: string;
  abstract readonly scheme: string;
  abstract readonly variant: string;
  readonly clock: Clock;
  readonly flash: NorFlash;
  readonly mcu: Mcu;
  /** The program a power-on starts: the boot chain from the top. */
  protected abstract readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: McuTwinOptions) {
    this.clock = opts.clock;
    this.flash = new NorFlash(opts.geometry);
    this.mcu = new Mcu({ clock: opts.clock, flash: this.flash, powerLoss: opts.powerLoss ?? 'random', seed: opts.seed ?? 1, rxCapacity: opts.rxCapacity, ...(opts.ram && { ram: opts.ram }) });
  }

  get powered(): boolean {
    return this.mcu.isPowered;
  }

  powerOn(): void {
    this.mcu.powerOn(this.boot);
  }

  powerOff(drop?: SupplyDrop): void {
    this.mcu.powerOff(drop);
  }

  /** What a sag of the supply down to `volts` does: a POR, a BOR-only brownout, or nothing (the board rides through). */
  dropAt(volts: number): SupplyDrop | 'none' {
    if (volts < SUPPLY_RESET_LEVELS.porVolts) return 'power-on';
    return volts < SUPPLY_RESET_LEVELS.borVolts ? 'brownout' : 'none';
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

  readMemory(address: number, length: number): Buffer {
    return this.flash.read(address, length);
  }

  /** Probe programming (`flash write_image erase`): every erase unit touched is erased whole, then written. */
  programMemory(address: number, data: Uint8Array): void {
    for (let at = address; at < address + data.length;) {
      const s = this.flash.sectorAt(at);
      this.flash.writeRaw(s.address, Buffer.alloc(s.size, this.flash.geometry.erasedValue));
      at = s.address + s.size;
    }
    this.flash.writeRaw(address, data);
  }

  massErase(): void {
    this.flash.eraseAll();
  }

  snapshot(): FlashSnapshot {
    return this.flash.snapshot();
  }

  restore(snapshot: FlashSnapshot): void {
    this.flash.restore(snapshot);
  }
}
