import { PowerLost, type Mcu } from '../mcu.js';

/**
 * Time between a driver's read of the lock line and its drive low (a GPIO read, a compare, a
 * GPIO write on a 64 MHz Cortex-M: a few microseconds, inferred). Two masters that both read the
 * line inside each other's window both see it free and both take it.
 */
export const CHECK_TO_ASSERT_MS = 0.005;
/**
 * How long a driver that finds the bus taken waits before it looks again (a k_sleep of 1 ms). The
 * model does not run those looks one by one (a master kept waiting for seconds would be thousands
 * of events): it sleeps until the line changes and then to the first look at or after the change,
 * which sees what the look-by-look loop would have seen there (between changes a taken line stays
 * taken: only a check-then-assert race window closes with time).
 */
export const LOCK_POLL_MS = 1;

/**
 * How the masters negotiate the bus:
 * - `check-then-assert`: the seed's one open-drain line with a pull-up (reads high = free). A
 *   driver reads it and, if high, drives it low; nothing is atomic between the two, so two masters
 *   that check within CHECK_TO_ASSERT_MS of each other both hold it (the race, kept).
 * - `request-lines`: the same idea made race-free with one more GPIO: each master drives its own
 *   request line and reads the other's. It raises its request, then reads the other's: clear, the
 *   bus is its own; set, the master later in `priority` drops its request and waits for the other's
 *   to clear before it tries again, the earlier one waits for the other to finish. Raising before
 *   reading means two masters can never both see the other's clear.
 */
export type LockProtocol = 'check-then-assert' | 'request-lines';

/**
 * The lock of a shared SPI bus (seed 000). A master's pins go back to inputs whenever its program
 * loses its state (a power cut or any reset), which releases whatever it drove.
 *
 * Lock events go to the stream of the MCU that changed who holds the bus: `holder` is every
 * master holding it ('+'-joined after a race), null once it is free. A check and an assert are
 * modelled at one instant, with the window kept as arithmetic on the clock (a master that finds
 * the line taken less than CHECK_TO_ASSERT_MS after the other's check read it high too): no timer
 * that short, which a wall-clock twin could not honour.
 */
export class LockLine {
  private readonly holders = new Map<string, number>();
  /** Drivers waiting for the next change of holders or requests. */
  private changeWaiters: (() => void)[] = [];
  /** request-lines: the masters whose request line is raised. */
  private readonly requests = new Set<string>();
  /** Two masters held it at once (each took it inside the other's check-to-assert window). */
  races = 0;

  constructor(
    readonly protocol: LockProtocol = 'check-then-assert',
    /** request-lines: who wins a tie, first first (a master not listed comes after the listed ones). */
    readonly priority: readonly string[] = [],
  ) {}

  get low(): boolean {
    return this.holders.size > 0;
  }

  get holder(): string | null {
    return this.holders.size ? [...this.holders.keys()].join('+') : null;
  }

  /** Some master's request line is raised (request-lines), or a driver waits for the line to change. */
  get requested(): boolean {
    return this.requests.size > 0 || this.changeWaiters.length > 0;
  }

  holds(name: string): boolean {
    return this.holders.has(name);
  }

  /** Waits until `name` holds the bus. The running program loses the wait with its power (Mcu.sleep throws PowerLost). */
  async take(mcu: Mcu, name: string): Promise<void> {
    if (this.holders.has(name)) return;
    if (this.protocol === 'request-lines') return this.takeByRequest(mcu, name);
    for (;;) {
      mcu.check();
      const now = mcu.clock.now();
      let free = true;
      // Still high when we read it: every holder checked less than the window before us.
      for (const checkedAt of this.holders.values()) if (now - checkedAt >= CHECK_TO_ASSERT_MS) free = false;
      if (free) {
        this.assert(mcu, name, now);
        return;
      }
      await this.nextLook(mcu, now);
    }
  }

  /**
   * From a look at `lookedAt` that found the bus taken: waits for the line to change, then for the
   * first look of the 1 ms loop at or after it (the same sum of sleeps the loop would have made).
   */
  private async nextLook(mcu: Mcu, lookedAt: number): Promise<void> {
    await this.changed(mcu);
    let next = lookedAt + LOCK_POLL_MS;
    while (next < mcu.clock.now()) next += LOCK_POLL_MS;
    await mcu.sleep(next - mcu.clock.now());
  }

  /** Until the holders or requests change; a power loss of `mcu` ends the wait (PowerLost). */
  private changed(mcu: Mcu): Promise<void> {
    mcu.check();
    return new Promise<void>((resolve, reject) => {
      const off = mcu.onProgramLost(() => {
        this.changeWaiters = this.changeWaiters.filter((w) => w !== wake);
        off();
        reject(new PowerLost());
      });
      const wake = () => {
        off();
        resolve();
      };
      this.changeWaiters.push(wake);
    });
  }

  private notify(): void {
    if (!this.changeWaiters.length) return;
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of waiters) w();
  }

  private async takeByRequest(mcu: Mcu, name: string): Promise<void> {
    for (;;) {
      mcu.check();
      this.requests.add(name);
      const others = [...this.requests].filter((n) => n !== name);
      if (!others.length) {
        this.assert(mcu, name, mcu.clock.now());
        return;
      }
      if (others.every((o) => this.outranks(name, o))) {
        // Ours stays raised: a later master backs off; one in the bus finishes first.
        let lookedAt = mcu.clock.now();
        while ([...this.requests].some((n) => n !== name)) {
          await this.nextLook(mcu, lookedAt);
          lookedAt = mcu.clock.now();
        }
        this.assert(mcu, name, mcu.clock.now());
        return;
      }
      this.dropRequest(name);
      let lookedAt = mcu.clock.now();
      while (others.some((o) => this.requests.has(o))) {
        await this.nextLook(mcu, lookedAt);
        lookedAt = mcu.clock.now();
      }
    }
  }

  private dropRequest(name: string): void {
    if (this.requests.delete(name)) this.notify();
  }

  private outranks(a: string, b: string): boolean {
    const rank = (n: string) => {
      const i = this.priority.indexOf(n);
      return i < 0 ? this.priority.length : i;
    };
    return rank(a) < rank(b) || (rank(a) === rank(b) && a < b);
  }

  /** `name` holds the bus from now (no check): a racing driver, or a test. `checkedAt`: when it read the line. */
  assert(mcu: Mcu, name: string, checkedAt = mcu.clock.now()): void {
    if (this.holders.has(name)) return;
    if (this.holders.size) this.races++;
    this.holders.set(name, checkedAt);
    mcu.emit({ kind: 'lock', holder: this.holder });
    this.notify();
  }

  /** `name` lets go of the bus (idempotent). */
  release(mcu: Mcu, name: string): void {
    const dropped = this.requests.delete(name);
    if (!this.holders.delete(name)) {
      if (dropped) this.notify();
      return;
    }
    mcu.emit({ kind: 'lock', holder: this.holder });
    this.notify();
  }

  /** Nobody drives anything (a board powered down as a whole, then restored): no event. */
  reset(): void {
    this.holders.clear();
    this.requests.clear();
    this.notify();
  }
}
