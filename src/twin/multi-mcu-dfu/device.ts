/**
 * The two-processor product of seed 000 as one twin board: an nRF9160 `host` and an nRF52840
 * `radio` behind one power input, each with its internal flash, a shared SPI NOR both master
 * (with its GPIO lock line) and a UART link between them. Every memory sits at its virtual base
 * of the product address map (src/targets/nrf91-nrf52-product.ts), so the board's flash is one
 * FlashSet: the sweep's recorder, snapshots and the probe see the three as one store, and both
 * processors report their flash ops to one observer (the host's Mcu is `mcu`).
 */
import type { Clock } from '../../core/clock.js';
import { NRF52840_NVMC } from '../../targets/nrf52840.js';
import { NRF9160_NVMC } from '../../targets/nrf9160.js';
import { HOST_PARTITIONS, PRODUCT_REGIONS, RADIO_PARTITIONS } from '../../targets/nrf91-nrf52-product.js';
import { BoardTailMemo } from '../board-tail.js';
import type { TwinDevice, TwinMember } from '../device.js';
import { FlashSet } from '../flash/flash-set.js';
import type { FlashGeometry } from '../flash/geometry.js';
import { NorFlash, type FlashSnapshot, type ReusedSnapshot } from '../flash/nor-flash.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import { Mcu, OpObserverSlot, type SupplyDrop, type TwinEvent } from '../mcu.js';
import { SUPPLY_RESET_LEVELS } from '../mcu-twin.js';
import { SharedSpiFlash } from '../spi-bus/shared-flash.js';
import { UartLink } from '../uart-link.js';
import { memberBootChain } from './boot-chain.js';
import { dfuStateLog } from './dfu-state.js';
import { runHostApp } from './host-app.js';
import { radioLog, radioLogBase, runRadioApp } from './radio-app.js';
import type { MultiMcuDfuVariant } from './variants.js';

export interface MultiMcuDfuOptions {
  clock: Clock;
  variant?: MultiMcuDfuVariant;
  powerLoss?: PowerLossMode;
  seed?: number;
}

/** The host's Mcu: a sweep reseeds it for each cut point, and the radio's generator follows, so a point's recovery depends on its seed only. */
class HostMcu extends Mcu {
  partner?: Mcu;

  override reseed(seed: number): void {
    super.reseed(seed);
    this.partner?.reseed((seed ^ 0x5eed_0000) >>> 0);
  }
}

const HOST_NVMC: FlashGeometry = NRF9160_NVMC;
const RADIO_NVMC: FlashGeometry = { ...NRF52840_NVMC, base: PRODUCT_REGIONS['radio-flash'].base };
/**
 * The radio's code starts this much after the host's at a power-on (a different reset and clock
 * start-up; inferred): two bootloaders that print the same lines at the same baud would
 * otherwise reach the lock line in the same microsecond and both take it (the check-then-assert
 * race the lock line keeps), which a real board's two start-up times make unlikely.
 */
const RADIO_START_MS = 0.35;
/** Console RX rings (Zephyr's UART ring in the apps): a `fota data` line is about 720 bytes. */
const RX_CAPACITY = 4096;

export class MultiMcuDfuTwin implements TwinDevice {
  readonly target = 'nrf9160';
  readonly scheme = 'multi-mcu-dfu';
  readonly variant: MultiMcuDfuVariant;
  readonly clock: Clock;
  readonly mcu: Mcu;
  readonly radio: Mcu;
  readonly flash: FlashSet;
  readonly shared: SharedSpiFlash;
  readonly link: UartLink;
  readonly members: readonly TwinMember[];
  /** A sweep's recoveries pass through the host's reset into its swap with the same board again and again (../board-tail.ts). */
  readonly tail: BoardTailMemo;
  private readonly hostBoot: (mcu: Mcu) => Promise<void>;
  private readonly radioBoot: (mcu: Mcu) => Promise<void>;

  constructor(opts: MultiMcuDfuOptions) {
    this.clock = opts.clock;
    this.variant = opts.variant ?? 'correct';
    const powerLoss = opts.powerLoss ?? 'random';
    const seed = opts.seed ?? 1;
    const ops = new OpObserverSlot();
    const hostFlash = new NorFlash(HOST_NVMC);
    const radioFlash = new NorFlash(RADIO_NVMC);
    const host = new HostMcu({ clock: opts.clock, flash: hostFlash, powerLoss, seed, rxCapacity: RX_CAPACITY, name: 'host', ops });
    const radio = new Mcu({ clock: opts.clock, flash: radioFlash, powerLoss, seed: (seed ^ 0x5eed_0000) >>> 0, rxCapacity: RX_CAPACITY, name: 'radio', ops });
    host.partner = radio;
    this.mcu = host;
    this.radio = radio;
    // Each master's own request line, the host first (race-free; the seed's single check-then-assert
    // line lets two masters that look within microseconds of each other both in).
    this.shared = new SharedSpiFlash({ clock: opts.clock, lock: { protocol: 'request-lines', priority: ['host', 'radio'] } });
    this.flash = new FlashSet([hostFlash, radioFlash, this.shared.flash], 'host + radio + shared NOR');
    this.link = new UartLink(host, radio);
    const hostPort = this.shared.port(host);
    const radioPort = this.shared.port(radio);
    const variant = this.variant;

    this.tail = new BoardTailMemo({ clock: opts.clock, mcus: [host, radio], flash: this.flash, logs: [radioLog(this.shared.flash), dfuStateLog(hostFlash)] });
    // A checkpoint at each start of the host's boot chain: after a reset (its swap, a revert) the
    // radio may be idle in its app, and the board then says all it holds (at a power-on it is not).
    const hostBoot = async (mcu: Mcu): Promise<void> => {
      this.checkpoint('host', () => 'boot');
      await hostChain(mcu);
    };
    const hostChain: (mcu: Mcu) => Promise<void> = memberBootChain('host', {
      flash: hostFlash,
      port: hostPort,
      validateSecondary: true,
      checkpoint: (ram) => this.checkpoint('host', () => ram),
      runApp: (mcu) =>
        runHostApp(mcu, {
          variant,
          port: hostPort,
          link: this.link.end('host'),
          reboot: () => mcu.reset(hostBoot),
          checkpoint: (state) => this.checkpoint('host', state),
        }),
    });
    const radioMcuboot: (mcu: Mcu) => Promise<void> = memberBootChain('radio', {
      flash: radioFlash,
      port: radioPort,
      // The seeded bug's bootloader: built without the secondary's validation.
      validateSecondary: variant !== 'unchecked-apply',
      checkpoint: (ram) => this.checkpoint('radio', () => ram),
      runApp: (mcu) => runRadioApp(mcu, { variant, port: radioPort, link: this.link.end('radio'), reboot: () => mcu.reset(radioBoot), logBase: radioLogBase(this.shared.flash.base) }),
    });
    const radioBoot = async (mcu: Mcu): Promise<void> => {
      await mcu.sleep(RADIO_START_MS);
      await radioMcuboot(mcu);
    };
    this.hostBoot = hostBoot;
    this.radioBoot = radioBoot;
    this.members = [this.member('host', 'nrf9160', host), this.member('radio', 'nrf52840', radio)];
    this.writeBootloaderImages();
  }

  /** A checkpoint of `self`'s program, which says its own state (undefined: it cannot); may throw PowerLost (the tape took over). */
  private checkpoint(self: 'host' | 'radio', own: () => string | undefined): void {
    this.tail.checkpoint(() => this.boardState(self, own));
  }

  /**
   * The board apart from its flash, given the state of the program that checkpoints (`boot`: a
   * fresh start of the host's boot chain): the other processor's program state (undefined unless
   * it waits where it can say all it holds: Mcu.state), the link lines queued for the one that
   * checkpoints, the reset flags, and a quiet bus. The processor that checkpoints runs, so nothing
   * of its own is in flight; the other one's RX and link queue are in its state.
   */
  private boardState(self: 'host' | 'radio', ownState: () => string | undefined): string | undefined {
    const own = ownState();
    if (own === undefined) return undefined;
    const [mine, other] = self === 'host' ? [this.mcu, this.radio] : [this.radio, this.mcu];
    const theirs = other.state?.();
    // Bytes waiting in its console RX ring (none, unless the rig spoke), and link lines its program
    // has not taken (a bootloader reads none: its app will), are its state too.
    if (theirs === undefined || mine.rxPending || !this.shared.idle()) return undefined;
    const queued = this.link.end(self).pending.join('\n');
    const host = self === 'host' ? own : theirs;
    const radio = self === 'host' ? theirs : own;
    return `${this.variant} ${self} queued ${JSON.stringify(queued)} host ${this.mcu.resetFlags} ${host} radio ${this.radio.resetFlags} ${radio}`;
  }

  private member(name: string, target: string, mcu: Mcu): TwinMember {
    return { name, target, mcu, uartRx: (b) => mcu.uartRx(b), onUartTx: (l) => mcu.onTx(l) };
  }

  get powered(): boolean {
    return this.mcu.isPowered;
  }

  /** One supply: both processors come up together. */
  powerOn(): void {
    this.tail.poweredOn();
    this.mcu.powerOn(this.hostBoot);
    this.radio.powerOn(this.radioBoot);
  }

  /** One supply: a cut hits both processors at once (each flash op in flight lands per the power-loss mode). */
  powerOff(drop?: SupplyDrop): void {
    this.tail.stop();
    this.mcu.powerOff(drop);
    this.radio.powerOff(drop);
  }

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
    const a = this.mcu.onEvent(listener);
    const b = this.radio.onEvent(listener);
    return () => {
      a();
      b();
    };
  }

  readMemory(address: number, length: number): Buffer {
    return this.flash.read(address, length);
  }

  /** Probe programming: every erase unit touched is erased whole (no op, no marker edge), then written. */
  programMemory(address: number, data: Uint8Array): void {
    for (let pos = 0; pos < data.length;) {
      const part = this.flash.partAt(address + pos);
      const n = Math.min(data.length - pos, part.base + part.geometry.size - (address + pos));
      const start = address + pos;
      const s = part.geometry.sectorSize;
      const first = start - ((start - part.base) % s);
      for (let a = first; a < start + n; a += s) part.writeRaw(a, Buffer.alloc(s, part.geometry.erasedValue));
      part.writeRaw(start, data.subarray(pos, pos + n));
      pos += n;
    }
  }

  massErase(): void {
    for (const p of this.flash.parts) p.eraseAll();
    this.writeBootloaderImages();
  }

  snapshot(): FlashSnapshot {
    return this.flash.snapshot();
  }

  snapshotReusing(into: ReusedSnapshot): FlashSnapshot {
    return this.flash.snapshotInto(into);
  }

  /** Its snapshot is its flash set's alone. */
  stateVersion(): number {
    return this.flash.version;
  }

  restore(snapshot: FlashSnapshot): void {
    this.flash.restore(snapshot);
    this.shared.reset();
  }

  /** Each member's MCUboot (not executed by the model, but a dump shows it). */
  private writeBootloaderImages(): void {
    for (const [name, base, size] of [
      ['nrf9160', PRODUCT_REGIONS['host-flash'].base, HOST_PARTITIONS.mcuboot.size],
      ['nrf52840', PRODUCT_REGIONS['radio-flash'].base, RADIO_PARTITIONS.mcuboot.size],
    ] as const) {
      const img = Buffer.alloc(size - 0x1000, 0);
      img.write(`${name} MCUboot swap-scratch twin bootloader`, 0x200, 'latin1');
      this.flash.partAt(base).writeRaw(base, img);
    }
  }
}
