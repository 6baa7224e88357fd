import type { Mcu } from '../mcu.js';

/**
 * Time between a driver's read of the lock line and its drive low (a GPIO read, a compare, a
 * GPIO write on a 64 MHz Cortex-M: a few microseconds, inferred). Two masters that both read the
 * line inside each other's window both see it free and both take it.
 */
export const CHECK_TO_ASSERT_MS = 0.005;
/** How long a driver that finds the line held waits before it looks again (a k_sleep of 1 ms). */
export const LOCK_POLL_MS = 1;

/**
 * The GPIO lock line of a shared SPI bus (seed 000): one open-drain line with a pull-up, so it
 * reads high (free) unless some master drives it low. A driver takes it by reading it and, if
 * it is high, driving it low: check, then assert, with nothing atomic between the two, so two
 * masters that check within each other's window both hold it (a race the model keeps). A
 * master's pins go back to inputs whenever its program loses its state (a power cut or any
 * reset), which releases the line.
 *
 * Lock events go to the stream of the MCU that changed the line: `holder` is every master
 * driving it low ('+'-joined after a race), null once it is free.
 */
export class LockLine {
  private readonly drivers = new Set<string>();
  /** Two masters held it at once (each took it inside the other's check-to-assert window). */
  races = 0;

  get low(): boolean {
    return this.drivers.size > 0;
  }

  get holder(): string | null {
    return this.drivers.size ? [...this.drivers].join('+') : null;
  }

  holds(name: string): boolean {
    return this.drivers.has(name);
  }

  /**
   * The seed's driver: wait until the line reads free, then drive it low. The running program
   * loses the wait with its power (Mcu.sleep throws PowerLost).
   */
  async take(mcu: Mcu, name: string): Promise<void> {
    for (;;) {
      if (!this.low) {
        await mcu.sleep(CHECK_TO_ASSERT_MS);
        this.assert(mcu, name);
        return;
      }
      await mcu.sleep(LOCK_POLL_MS);
    }
  }

  /** Drives the line low now (no check): what a racing driver or a test does. */
  assert(mcu: Mcu, name: string): void {
    if (this.drivers.has(name)) return;
    if (this.drivers.size) this.races++;
    this.drivers.add(name);
    mcu.emit({ kind: 'lock', holder: this.holder });
  }

  /** `name` stops driving the line (idempotent). */
  release(mcu: Mcu, name: string): void {
    if (!this.drivers.delete(name)) return;
    mcu.emit({ kind: 'lock', holder: this.holder });
  }

  /** Nobody drives it (a board powered down as a whole, then restored): no event. */
  reset(): void {
    this.drivers.clear();
  }
}
