import type { Clock, Timer } from '../core/clock.js';
import type { FlashOp } from './flash/nor-flash.js';
import type { NorFlash } from './flash/nor-flash.js';
import type { PowerLossMode } from './flash/power-loss.js';
import { ControlFlow } from '../core/control-flow.js';
import type { RetainedRam } from './retained-ram.js';
import { RESET_FLAGS } from './reset-cause.js';
import { Rng } from './rng.js';

/** Thrown inside firmware code when the power goes: it unwinds every await of the running program. */
export class PowerLost extends ControlFlow {
  constructor() {
    super('power lost');
  }
}

/**
 * Something the twin did, for the test's timeline (and the marker pin). On a board with several
 * processors each event says whose it is (`mcu`, the member's name); their events are one stream.
 */
export type TwinEvent = (
  | { kind: 'power'; on: boolean }
  | { kind: 'flash'; op: 'program' | 'erase'; address: number; length: number; index: number }
  | { kind: 'flash-interrupted'; op: 'program' | 'erase'; address: number; length: number; fraction: number; applied: string }
  | { kind: 'phase'; name: string; detail?: string }
  | { kind: 'boot'; image: 'bootloader' | 'app'; slot?: string }
  /** The shared bus's GPIO lock line: who drives it low now (several names joined by '+' after a race), null once released. */
  | { kind: 'lock'; holder: string | null }
  /** A message on the UART link between two processors (not a console). */
  | { kind: 'link'; from: string; to: string; text: string }
  /**
   * A shared-bus transaction of this processor the flash did not get as sent (src/twin/spi-bus/):
   * it overlapped `other`'s on the wire (`collision`: both garbled), or the flash was busy with
   * `other`'s program or erase (`busy`: ignored).
   */
  | { kind: 'bus-conflict'; conflict: 'collision' | 'busy'; op: 'read' | 'program' | 'erase'; address: number; other: string }
) & { mcu?: string };

/** Sees every flash operation a running program starts and completes (a sweep's recorder); `mcu`: the name of the MCU that ran it, if it has one. */
export interface OpObserver {
  started(op: FlashOp, mcu?: string): void;
  done(op: FlashOp, mcu?: string): void;
}

/**
 * Where an MCU's op observer lives: one holder shared by the processors of a board, so that a
 * recorder set on the first one (TwinDevice.mcu) sees both processors' ops, in start order.
 */
export class OpObserverSlot {
  observer?: OpObserver;
}

export interface McuOptions {
  clock: Clock;
  flash: NorFlash;
  powerLoss: PowerLossMode;
  seed: number;
  /** Bytes the receive ring holds before it overflows. */
  rxCapacity: number;
  /** SRAM the programs keep over resets (only twins whose programs share RAM have it). */
  ram?: RetainedRam;
  /** The processor's name on a board with several (a product member): every event it emits carries it as `mcu`. */
  name?: string;
  /** An op-observer holder shared with the board's other processors (default: one of its own). */
  ops?: OpObserverSlot;
}

/** How the supply went away: below the power-on reset, or a brownout that trips only the BOR. */
export type SupplyDrop = 'power-on' | 'brownout';

/**
 * The part of a microcontroller that power cuts act on: a running program (an async function
 * that awaits sleeps, flash operations and UART input), its RAM (whatever that program holds,
 * lost when it unwinds), the UART, and the flash operation in flight; the reset-cause flags and,
 * on twins whose programs share it, SRAM kept over resets (`ram`).
 */
export class Mcu {
  readonly clock: Clock;
  readonly flash: NorFlash;
  rng: Rng;
  powerLoss: PowerLossMode;
  private powered = false;
  /** Programs started on this chip so far (power-ons, resets, replaced programs). */
  get starts(): number {
    return this.epoch;
  }
  private epoch = 0;
  /** This power-on's signal, made only when a program asks for it (`signal`): the twin's own waits end through `waits`. */
  private abort?: AbortController;
  /** This power-on's program has lost its RAM: `abort.signal.aborted`, read without the signal's getters (checked at every wait and flash op). */
  private lost = false;
  private rxQueue: Buffer[] = [];
  private rxBytes = 0;
  private rxWaiter?: () => void;
  private inFlight?: { op: FlashOp; startedAt: number };
  /**
   * Ends each wait of the running program (sleep, flash op, UART input) at a power loss. The program awaits
   * one thing at a time, and a sweep's recovery runs hundreds of thousands of flash ops: a set of
   * callbacks instead of an abort listener on the signal per wait (EventTarget's listener
   * bookkeeping was a few % of a sweep).
   */
  private waits = new Set<() => void>();
  private txListeners = new Set<(bytes: Buffer) => void>();
  /** Sees every flash operation the running program starts and completes (a sweep's recorder); shared by a board's processors (McuOptions.ops). */
  readonly ops: OpObserverSlot;
  readonly name?: string;
  /** Called whenever the running program loses its state (power loss or any reset): its GPIOs go back to inputs. */
  private loseListeners = new Set<() => void>();
  private eventListeners = new Set<(e: TwinEvent) => void>();
  rxOverflows = 0;
  /** See every console RX delivery that reaches the powered chip (a board's tail memo compares them). */
  private rxListeners = new Set<(bytes: Buffer) => void>();
  /**
   * What the running program says of its RAM where a board's tail memo may look (src/twin/board-tail.ts):
   * a string naming everything the rest of its run depends on, or undefined when it cannot say (busy).
   * Set by the program, cleared whenever a program starts.
   */
  state?: () => string | undefined;
  /** RCC_CSR's reset flags (reset-cause.ts): set by each reset, kept until clearResetFlags (RMVF). */
  resetFlags = 0;
  readonly ram?: RetainedRam;
  /** What the next power-on recovers from: the board starts unpowered. */
  private dropped: SupplyDrop = 'power-on';
  /** A power-on the board schedules itself (its supply dropping out at a crash), cancelled by any host power change. */
  private selfRestore?: Timer;

  constructor(private readonly opts: McuOptions) {
    this.clock = opts.clock;
    this.flash = opts.flash;
    this.rng = new Rng(opts.seed);
    this.powerLoss = opts.powerLoss;
    if (opts.ram) this.ram = opts.ram;
    this.ops = opts.ops ?? new OpObserverSlot();
    if (opts.name !== undefined) this.name = opts.name;
    this.flash.onOp = (op) => this.emit({ kind: 'flash', op: op.kind, address: op.address, length: op.length, index: op.index });
  }

  get opObserver(): OpObserver | undefined {
    return this.ops.observer;
  }

  set opObserver(observer: OpObserver | undefined) {
    this.ops.observer = observer;
  }

  reseed(seed: number): void {
    this.rng = new Rng(seed);
  }

  get isPowered(): boolean {
    return this.powered;
  }

  /**
   * Starts `program` on a fresh power-on; it runs until it returns or the power goes. The reset
   * flags and SRAM show how the supply went away: a POR (random SRAM) or a BOR-only brownout
   * (SRAM kept, maybe with flipped bits).
   */
  powerOn(program: (mcu: Mcu) => Promise<void>): void {
    this.cancelSelfRestore();
    if (this.powered) return;
    this.powered = true;
    this.resetFlags |= RESET_FLAGS[this.dropped];
    if (this.dropped === 'power-on') this.ram?.powerOnReset();
    else if (this.ram) {
      const flips = this.ram.brownout(this.rng);
      if (flips.length) this.emit({ kind: 'phase', name: 'brownout', detail: `SRAM kept, ${flips.length} bit(s) flipped` });
    }
    this.dropped = 'power-on';
    this.emit({ kind: 'power', on: true });
    this.start(program);
  }

  /** Software writes RMVF: every reset flag clears. */
  clearResetFlags(): void {
    this.resetFlags = 0;
  }

  private start(program: (mcu: Mcu) => Promise<void>): void {
    this.state = undefined;
    this.epoch++;
    this.abort = undefined;
    this.lost = false;
    this.rxQueue = [];
    this.rxBytes = 0;
    const epoch = this.epoch;
    program(this).catch((err: unknown) => {
      if (err instanceof PowerLost || epoch !== this.epoch) return;
      // A bug in the model itself: make it loud rather than a silent dead device.
      queueMicrotask(() => {
        throw err;
      });
    });
  }

  /**
   * Cuts power: the flash operation in flight lands per the power-loss mode, the program's RAM is
   * gone. `brownout`: the supply only sags below the BOR level, so SRAM stays powered; a cut while
   * already off (or a deeper one) makes the next power-on a POR.
   */
  powerOff(drop: SupplyDrop = 'power-on'): void {
    this.cancelSelfRestore();
    if (!this.powered) {
      if (drop === 'power-on') this.dropped = 'power-on';
      return;
    }
    this.dropped = drop;
    this.powered = false;
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    if (inFlight) {
      const { op, startedAt } = inFlight;
      const fraction = op.durationMs > 0 ? Math.min(1, (this.clock.now() - startedAt) / op.durationMs) : 1;
      const applied = op.interrupt(this.powerLoss, fraction, this.rng);
      this.emit({ kind: 'flash-interrupted', op: op.kind, address: op.address, length: op.length, fraction, applied });
    }
    this.rxQueue = [];
    this.rxBytes = 0;
    this.lose();
    this.rxWaiter?.();
    this.emit({ kind: 'power', on: false });
  }

  /**
   * Reset without a power cut (NVIC system reset, or the watchdog the program stopped feeding),
   * called by the running program: like the real thing it never returns, so the old program cannot
   * run on beside the new one. SRAM stays.
   */
  reset(program: (mcu: Mcu) => Promise<void>, cause: 'software' | 'watchdog' = 'software'): never {
    if (this.powered) {
      this.resetFlags |= RESET_FLAGS[cause];
      this.lose();
      this.rxWaiter?.();
      this.start(program);
    }
    throw new PowerLost();
  }

  /** The NRST pin pulsed from outside: the program stops, `program` starts, SRAM stays. */
  pinReset(program: (mcu: Mcu) => Promise<void>): void {
    if (!this.powered) return;
    this.resetFlags |= RESET_FLAGS.pin;
    this.lose();
    this.rxWaiter?.();
    this.start(program);
  }

  /**
   * @internal The running program stops and `program` runs in its place, with nothing else of the
   * chip changed (no reset flag, no power event): a board's tail memo puts a tape player there.
   */
  replaceProgram(program: (mcu: Mcu) => Promise<void>): void {
    if (!this.powered) return;
    this.lose();
    this.rxWaiter?.();
    this.start(program);
  }

  /**
   * Called by the running program when the board's own supply drops out under it (a crash that
   * leaves a load on, an external supervisor cycling the rail): power goes as `drop`, and comes
   * back by itself after `offMs` unless the host switches power meanwhile. Never returns.
   */
  supplyDropout(program: (mcu: Mcu) => Promise<void>, drop: SupplyDrop, offMs: number): never {
    if (this.powered) {
      this.powerOff(drop);
      this.selfRestore = this.clock.setTimer(offMs, () => {
        this.selfRestore = undefined;
        this.powerOn(program);
      });
    }
    throw new PowerLost();
  }

  private cancelSelfRestore(): void {
    this.selfRestore?.cancel();
    this.selfRestore = undefined;
  }

  /** The running program's RAM is gone: its signal aborts and its pending wait rejects with the same PowerLost. */
  private lose(): void {
    this.lost = true;
    this.abort?.abort(new PowerLost());
    const waits = this.waits;
    this.waits = new Set();
    for (const end of waits) end();
    for (const l of this.loseListeners) l();
  }

  /**
   * `listener` runs whenever the running program loses its state: a power loss or any reset,
   * after which the pins it drove are inputs again (a lock line it held is released).
   */
  onProgramLost(listener: () => void): () => void {
    this.loseListeners.add(listener);
    return () => this.loseListeners.delete(listener);
  }

  /** clock.sleep(ms, signal) without a listener on the signal: ended by lose(). */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const end = () => {
        timer.cancel();
        reject(new PowerLost());
      };
      const timer = this.clock.setTimer(ms, () => {
        this.waits.delete(end);
        resolve();
      });
      this.waits.add(end);
    });
  }

  /**
   * Aborts when this power-on's program loses its RAM. Made on first use: a sweep powers the twin
   * on and off hundreds of thousands of times, and the twin's own waits need no EventTarget.
   */
  get signal(): AbortSignal {
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.lost) this.abort.abort(new PowerLost());
    }
    return this.abort.signal;
  }

  /**
   * `onLost` runs once if the running program loses its RAM (a cut, a reset) before the returned
   * function is called: a program's own wait ends so, where an abort listener on `signal` would cost
   * an EventTarget per power-on. Nothing is registered when the program is lost already (as a
   * listener added to an aborted signal never runs).
   */
  untilLost(onLost: () => void): () => void {
    if (this.lost) return () => {};
    const waits = this.waits;
    waits.add(onLost);
    return () => waits.delete(onLost);
  }

  /** Throws PowerLost if the program that asks is from an earlier power-on. */
  check(): void {
    if (this.lost) throw new PowerLost();
  }

  async sleep(ms: number): Promise<void> {
    this.check();
    await this.wait(ms);
  }

  /** Runs a flash operation for its datasheet time; a cut meanwhile interrupts it. */
  async flashOp(op: FlashOp): Promise<void> {
    this.check();
    this.ops.observer?.started(op, this.name);
    this.inFlight = { op, startedAt: this.clock.now() };
    await this.wait(op.durationMs);
    if (this.inFlight?.op === op) {
      this.inFlight = undefined;
      op.complete();
      this.ops.observer?.done(op, this.name);
    }
  }

  // ---- UART ----

  /** Bytes arriving on the device's RX pin (from a transport). Dropped while unpowered. */
  uartRx(bytes: Buffer): void {
    if (!this.powered || bytes.length === 0) return;
    for (const l of this.rxListeners) l(bytes);
    if (this.rxBytes + bytes.length > this.opts.rxCapacity) {
      this.rxOverflows++;
      const room = this.opts.rxCapacity - this.rxBytes;
      if (room <= 0) return;
      bytes = bytes.subarray(0, room);
    }
    this.rxQueue.push(bytes);
    this.rxBytes += bytes.length;
    const w = this.rxWaiter;
    this.rxWaiter = undefined;
    w?.();
  }

  /** Everything received so far, or nothing if the ring is empty. */
  takeRx(): Buffer | undefined {
    if (!this.rxQueue.length) return undefined;
    const out = this.rxQueue.length === 1 ? this.rxQueue[0]! : Buffer.concat(this.rxQueue);
    this.rxQueue = [];
    this.rxBytes = 0;
    return out;
  }

  get rxPending(): number {
    return this.rxBytes;
  }

  /** Waits until RX has data or `ms` passes; true when data is there. */
  async waitRx(ms: number): Promise<boolean> {
    this.check();
    if (this.rxQueue.length) return true;
    // The program that waits belongs to this power epoch: a cut and a power-on in the same tick
    // must not let it resume against the new epoch (lose() ends this epoch's waits, see `waits`).
    let timer: Timer | undefined;
    let waiter: (() => void) | undefined;
    let lost = false;
    let end: (() => void) | undefined;
    const waits = this.waits;
    await new Promise<void>((resolve) => {
      waiter = () => resolve();
      end = () => {
        lost = true;
        resolve();
      };
      this.rxWaiter = waiter;
      timer = this.clock.setTimer(ms, waiter);
      waits.add(end);
    });
    timer?.cancel();
    waits.delete(end!);
    if (this.rxWaiter === waiter) this.rxWaiter = undefined;
    if (lost) throw new PowerLost();
    return this.rxQueue.length > 0;
  }

  /** Bytes the device sends on TX. */
  uartTx(bytes: Uint8Array): void {
    this.check();
    const b = Buffer.from(bytes);
    for (const l of this.txListeners) l(b);
  }

  print(text: string): void {
    this.uartTx(Buffer.from(text, 'latin1'));
  }

  /**
   * A blocking UART print, as the SFU's send_str and printf are: the CPU does nothing else until
   * the last byte is out (10 bit times a byte at `baud`).
   */
  async printBlocking(text: string, baud = 921600): Promise<void> {
    this.print(text);
    await this.sleep((text.length * 10 * 1000) / baud);
  }

  /** Every delivery to the console RX while powered, as it arrives (before the ring drops what overflows). */
  onRx(listener: (bytes: Buffer) => void): () => void {
    this.rxListeners.add(listener);
    return () => this.rxListeners.delete(listener);
  }

  onTx(listener: (bytes: Buffer) => void): () => void {
    this.txListeners.add(listener);
    return () => this.txListeners.delete(listener);
  }

  onEvent(listener: (e: TwinEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  emit(e: TwinEvent): void {
    if (!this.eventListeners.size) return;
    // Every emitter hands over a literal of its own: labelled in place, not copied (a product's sweep emits millions).
    if (this.name !== undefined && e.mcu === undefined) e.mcu = this.name;
    for (const l of this.eventListeners) l(e);
  }
}
