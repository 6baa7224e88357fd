/**
 * Waits that Ctrl-C must end: a wall-clock timer longer than setTimeout can hold (which Node
 * fires after 1 ms instead), and a sleep of any length, aborted.
 */
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { ScaledClock } from '../../src/core/clock.js';

afterEach(() => {
  jest.useRealTimers();
});

describe('ScaledClock long waits', () => {
  test('a timer beyond 2^31-1 ms waits its full time instead of firing at once', () => {
    jest.useFakeTimers();
    const clock = new ScaledClock(1);
    let fired = false;
    clock.setTimer(2 ** 31 + 5000, () => (fired = true));
    jest.advanceTimersByTime(10);
    expect(fired).toBe(false);
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).toBe(false);
    jest.advanceTimersByTime(6000);
    expect(fired).toBe(true);
  });

  test('a cancelled long timer never fires', () => {
    jest.useFakeTimers();
    const clock = new ScaledClock(1);
    let fired = false;
    const t = clock.setTimer(2 ** 31 + 5000, () => (fired = true));
    jest.advanceTimersByTime(2 ** 31);
    t.cancel();
    jest.advanceTimersByTime(10_000);
    expect(fired).toBe(false);
  });

  test('sleep(1e20) rejects with the abort reason as soon as it is aborted', async () => {
    const clock = new ScaledClock(1);
    const abort = new AbortController();
    const slept = clock.sleep(1e20, abort.signal);
    setTimeout(() => abort.abort(new Error('interrupted')), 20);
    await expect(slept).rejects.toThrow('interrupted');
  });
});
