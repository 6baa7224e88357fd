/**
 * The one waiting primitive of an upload. Frame and line handlers update state and call wake();
 * the upload's flow awaits until(condition, ms). A failure (abort, link closed, device error) is
 * recorded once and rejects every wait, current and later, so the flow stops at its next await
 * and sends nothing more.
 */
import type { Clock } from '../../../core/clock.js';

export class Wake {
  private readonly listeners = new Set<() => void>();
  private failure?: { error: unknown };

  constructor(private readonly clock: Clock) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Makes every waiter re-check its condition. */
  wake(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Ends the upload with `error` (the first failure wins). */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.wake();
  }

  /** Throws the recorded failure, if any. */
  check(): void {
    if (this.failure) throw this.failure.error;
  }

  /**
   * Resolves true as soon as `condition()` holds, false when `ms` of clock time pass first;
   * rejects with the failure if one is recorded meanwhile.
   */
  until(condition: () => boolean, ms: number): Promise<boolean> {
    this.check();
    if (condition()) return Promise.resolve(true);
    if (!(ms > 0)) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const settle = (): boolean => {
        if (this.failure) reject(this.failure.error);
        else if (condition()) resolve(true);
        else return false;
        return true;
      };
      const listener = (): void => {
        if (settle()) done();
      };
      const timer = this.clock.setTimer(ms, () => {
        done();
        if (!settle()) resolve(false);
      });
      const done = (): void => {
        timer.cancel();
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
  }

  /** The promise's outcome, unless a failure is recorded first (then that failure, at once). */
  race<T>(promise: Promise<T>): Promise<T> {
    this.check();
    return new Promise<T>((resolve, reject) => {
      const listener = (): void => {
        if (!this.failure) return;
        this.listeners.delete(listener);
        reject(this.failure.error);
      };
      this.listeners.add(listener);
      promise.then(
        (value) => {
          this.listeners.delete(listener);
          if (this.failure) reject(this.failure.error);
          else resolve(value);
        },
        (error: unknown) => {
          this.listeners.delete(listener);
          reject(this.failure ? this.failure.error : error);
        },
      );
    });
  }
}
