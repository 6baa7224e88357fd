/**
 * A bare two-processor board for the bus, link and multi-MCU op-log tests: `host` and `radio`
 * MCUs with their own NVMC at the product's virtual bases, the shared SPI NOR, one op-observer
 * slot and one event stream. Each test gives the programs the MCUs run.
 */
import { ScaledClock, VirtualClock } from '../../src/core/clock.js';
import { NRF52840_NVMC } from '../../src/targets/nrf52840.js';
import { NRF9160_NVMC } from '../../src/targets/nrf9160.js';
import type { TwinDevice } from '../../src/twin/device.js';
import { FlashSet } from '../../src/twin/flash/flash-set.js';
import { NorFlash, type FlashSnapshot } from '../../src/twin/flash/nor-flash.js';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import { Mcu, OpObserverSlot, type TwinEvent } from '../../src/twin/mcu.js';
import type { LockProtocol } from '../../src/twin/spi-bus/lock-line.js';
import { SharedSpiFlash } from '../../src/twin/spi-bus/shared-flash.js';

export const HOST_BASE = 0x0000_0000;
export const RADIO_BASE = 0x0010_0000;
export const SHARED_BASE = 0x0020_0000;

export type Program = (mcu: Mcu) => Promise<void>;

export class TwoMcuBoard implements Pick<TwinDevice, 'clock' | 'mcu' | 'flash' | 'powered' | 'onEvent' | 'snapshot' | 'restore'> {
  readonly clock: VirtualClock | ScaledClock;
  readonly host: Mcu;
  readonly radio: Mcu;
  readonly bus: SharedSpiFlash;
  readonly flash: FlashSet;
  readonly events: { t: number; e: TwinEvent }[] = [];
  private readonly listeners = new Set<(e: TwinEvent) => void>();

  constructor(opts: { seed?: number; powerLoss?: PowerLossMode; lock?: { protocol?: LockProtocol; priority?: readonly string[] }; timeFactor?: number } = {}) {
    this.clock = opts.timeFactor ? new ScaledClock(opts.timeFactor) : new VirtualClock();
    const ops = new OpObserverSlot();
    const seed = opts.seed ?? 1;
    const powerLoss = opts.powerLoss ?? 'torn';
    const hostFlash = new NorFlash({ ...NRF9160_NVMC, base: HOST_BASE });
    const radioFlash = new NorFlash({ ...NRF52840_NVMC, base: RADIO_BASE });
    this.host = new Mcu({ clock: this.clock, flash: hostFlash, powerLoss, seed, rxCapacity: 4096, name: 'host', ops });
    this.radio = new Mcu({ clock: this.clock, flash: radioFlash, powerLoss, seed: seed ^ 0x5a5a, rxCapacity: 4096, name: 'radio', ops });
    this.bus = new SharedSpiFlash({ clock: this.clock, ...(opts.lock && { lock: opts.lock }) });
    this.flash = new FlashSet([hostFlash, radioFlash, this.bus.flash], 'product');
    for (const m of [this.host, this.radio]) {
      m.onEvent((e) => {
        this.events.push({ t: this.clock.now(), e });
        for (const l of this.listeners) l(e);
      });
    }
  }

  get mcu(): Mcu {
    return this.host;
  }

  get powered(): boolean {
    return this.host.isPowered || this.radio.isPowered;
  }

  onEvent(listener: (e: TwinEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(host: Program, radio: Program): void {
    this.host.powerOn(host);
    this.radio.powerOn(radio);
  }

  powerOff(): void {
    this.host.powerOff();
    this.radio.powerOff();
    this.bus.reset();
  }

  snapshot(): FlashSnapshot {
    return this.flash.snapshot();
  }

  restore(s: FlashSnapshot): void {
    this.flash.restore(s);
  }

  /** The board as the op recorder takes it (it uses only what Pick names). */
  get device(): TwinDevice {
    return this as unknown as TwinDevice;
  }

  dispose(): void {
    if (this.clock instanceof VirtualClock) this.clock.dispose();
  }
}
