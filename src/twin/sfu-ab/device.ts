import type { Clock } from '../../core/clock.js';
import { RP2040 } from '../../targets/rp2040.js';
import { McuTwin } from '../mcu-twin.js';
import { W25Q32 } from '../flash/geometry.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import type { Mcu } from '../mcu.js';
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
export class Rp2040SfuTwin extends McuTwin {
  readonly target = 'rp2040';
  readonly scheme = 'sfu-ab';
  readonly variant: SfuVariant;
  protected readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: Rp2040SfuOptions) {
    // The RX ring the bootloader advertises (128 KiB) plus the 32 KiB DMA ring in front of it.
    super({ clock: opts.clock, geometry: W25Q32, ...(opts.powerLoss && { powerLoss: opts.powerLoss }), ...(opts.seed !== undefined && { seed: opts.seed }), rxCapacity: 0x2_0000 + 0x8000 });
    this.variant = opts.variant ?? 'correct';
    const boot: (mcu: Mcu) => Promise<void> = SfuBootloader.program({
      variant: this.variant,
      runApp: (mcu, slot) => runApp(mcu, { name: slot.name, base: slot.base, vectorTable: slot.runFrom }, { reboot: boot }),
    });
    this.boot = boot;
    this.writeBootloaderImage();
  }

  override massErase(): void {
    super.massErase();
    this.writeBootloaderImage();
  }

  /** The bootloader's own 64 KiB (its bytes are not executed by the model, but a dump shows them). */
  private writeBootloaderImage(): void {
    const img = Buffer.alloc(RP2040.bootloader.size - 0x1000, 0);
    img.write('rp2040-SFU twin bootloader', 0x100, 'latin1');
    this.flash.writeRaw(RP2040.bootloader.base, img);
  }
}
