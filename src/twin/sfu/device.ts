import type { Clock } from '../../core/clock.js';
import { RP2040 } from '../../targets/rp2040.js';
import type { TwinDevice } from '../device.js';
import { W25Q32 } from '../flash/geometry.js';
import { NorFlash, type FlashSnapshot } from '../flash/nor-flash.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import { Mcu, type TwinEvent } from '../mcu.js';
import { runApp } from '../app.js';
import { SfuBootloader } from './bootloader.js';
import type { SfuVariant } from './variants.js';

export interface Rp2040SfuOptions {
  clock: Clock;
  variant?: SfuVariant;
  powerLoss?: PowerLossMode;
  seed?: number;
}

/** An RP2040 board with the SFU bootloader on a W25Q32 (reference/sfu-protocol.md). */
export class Rp2040SfuTwin implements TwinDevice {
  readonly target = 'rp2040';
  readonly scheme = 'sfu-ab';
  readonly variant: SfuVariant;
  readonly clock: Clock;
  readonly flash: NorFlash;
  readonly mcu: Mcu;
  private readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: Rp2040SfuOptions) {
    this.clock = opts.clock;
    this.variant = opts.variant ?? 'correct';
    this.flash = new NorFlash(W25Q32);
    // The RX ring the bootloader advertises (128 KiB) plus the 32 KiB DMA ring in front of it.
    this.mcu = new Mcu({ clock: opts.clock, flash: this.flash, powerLoss: opts.powerLoss ?? 'random', seed: opts.seed ?? 1, rxCapacity: 0x2_0000 + 0x8000 });
    const boot: (mcu: Mcu) => Promise<void> = SfuBootloader.program({
      variant: this.variant,
      runApp: (mcu, slot) => runApp(mcu, { name: slot.name, base: slot.base, vectorTable: slot.runFrom }, { reboot: boot }),
    });
    this.boot = boot;
    this.writeBootloaderImage();
  }

  get powered(): boolean {
    return this.mcu.isPowered;
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

  readMemory(address: number, length: number): Buffer {
    return this.flash.read(address, length);
  }

  programMemory(address: number, data: Uint8Array): void {
    const s = this.flash.geometry.sectorSize;
    const start = address - ((address - this.flash.base) % s);
    const end = address + data.length;
    for (let a = start; a < end; a += s) this.flash.writeRaw(a, Buffer.alloc(s, 0xff));
    this.flash.writeRaw(address, data);
  }

  massErase(): void {
    this.flash.eraseAll();
    this.writeBootloaderImage();
  }

  snapshot(): FlashSnapshot {
    return this.flash.snapshot();
  }

  restore(snapshot: FlashSnapshot): void {
    this.flash.restore(snapshot);
  }

  /** The bootloader's own 64 KiB (its bytes are not executed by the model, but a dump shows them). */
  private writeBootloaderImage(): void {
    const img = Buffer.alloc(RP2040.bootloader.size - 0x1000, 0);
    img.write('rp2040-SFU twin bootloader', 0x100, 'latin1');
    this.flash.writeRaw(RP2040.bootloader.base, img);
  }
}
