import type { Clock } from '../../core/clock.js';
import { NRF52840_MCUBOOT, NRF52840_NVMC, NRF52840_PARTITIONS } from '../../targets/nrf52840.js';
import { McuTwin } from '../mcu-twin.js';
import type { FlashGeometry } from '../flash/geometry.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import type { Mcu } from '../mcu.js';
import { DEFAULT_CONFIRM_AFTER_MS, runMcubootApp } from './app.js';
import { McubootBootloader } from '../mcuboot/bootloader.js';
import { nrf52840Areas } from './trailer.js';
import type { McubootVariant } from './variants.js';

export interface McubootSwapOptions {
  clock: Clock;
  variant?: McubootVariant;
  powerLoss?: PowerLossMode;
  seed?: number;
  /**
   * The app confirms itself (image_ok) this long after it starts (default 500 ms); null: only
   * the `confirm` console command does.
   */
  confirmAfterMs?: number | null;
}

const NVMC: FlashGeometry = NRF52840_NVMC;

/**
 * An nRF52840 board with MCUboot swap-scratch (reference/bootloader-formats-and-faults.md §2–3,
 * §5.3). An update is driven through the probe: write the signed image into the secondary,
 * write the pending trailer (or flash an imgtool --pad image), then reset; the swap runs in
 * the bootloader, so cuts land in it.
 */
export class McubootSwapTwin extends McuTwin {
  readonly target = 'nrf52840';
  readonly scheme = 'mcuboot-swap';
  readonly variant: McubootVariant;
  protected readonly boot: (mcu: Mcu) => Promise<void>;

  constructor(opts: McubootSwapOptions) {
    // Zephyr's UART RX ring in the sample app is small; 4 KiB is plenty for console lines.
    super({ clock: opts.clock, geometry: NVMC, ...(opts.powerLoss && { powerLoss: opts.powerLoss }), ...(opts.seed !== undefined && { seed: opts.seed }), rxCapacity: 4096 });
    this.variant = opts.variant ?? 'correct';
    const confirmAfterMs = opts.confirmAfterMs === undefined ? DEFAULT_CONFIRM_AFTER_MS : opts.confirmAfterMs;
    const areas = nrf52840Areas(this.flash);
    const variant = this.variant;
    const boot: (mcu: Mcu) => Promise<void> = McubootBootloader.program({
      areas,
      ...(variant !== 'correct' && { bug: variant }),
      chainloadOffset: NRF52840_MCUBOOT.chainloadOffset,
      runApp: (mcu, vectorTable) => runMcubootApp(mcu, { vectorTable, primary: areas.primary, confirmAfterMs, reboot: boot }),
    });
    this.boot = boot;
    this.writeBootloaderImage();
  }

  /**
   * Probe programming (nrfjprog --program --sectorerase): erase every 4 KiB page touched, then
   * write. The erase also resets the page's nWRITE counts, as a real erase does.
   */
  override programMemory(address: number, data: Uint8Array): void {
    const s = this.flash.geometry.sectorSize;
    const start = address - ((address - this.flash.base) % s);
    const onOp = this.flash.onOp;
    this.flash.onOp = undefined; // probe work is not the firmware's: no marker-pin edges
    try {
      for (let a = start; a < address + data.length; a += s) this.flash.erase(a, s).complete();
    } finally {
      this.flash.onOp = onOp;
    }
    this.flash.writeRaw(address, data);
  }

  override massErase(): void {
    super.massErase();
    this.writeBootloaderImage();
  }

  /** MCUboot's own 48 KiB (not executed by the model, but a dump shows them). */
  private writeBootloaderImage(): void {
    const img = Buffer.alloc(NRF52840_PARTITIONS.mcuboot.size - 0x1000, 0);
    img.write('nrf52840 MCUboot swap-scratch twin bootloader', 0x200, 'latin1');
    this.flash.writeRaw(NRF52840_PARTITIONS.mcuboot.base, img);
  }
}
