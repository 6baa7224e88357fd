/**
 * A batched VirtualClock fires its events without a turn of the event loop per event, yet every
 * promise continuation an event starts (and the ones those start) still runs before the next
 * event, exactly as with the unbatched clock.
 */
import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';

async function trace(batched: boolean): Promise<string[]> {
  const clock = new VirtualClock();
  clock.batched = batched;
  const log: string[] = [];
  const chain = async (name: string, depth: number): Promise<void> => {
    for (let i = 0; i < depth; i++) {
      await Promise.resolve();
      log.push(`${name} step ${i} at ${clock.now()}`);
    }
  };
  const worker = async (name: string, waits: number[]) => {
    for (const ms of waits) {
      await clock.sleep(ms);
      log.push(`${name} woke at ${clock.now()}`);
      await chain(name, 5);
      clock.setTimer(0, () => log.push(`${name} timer at ${clock.now()}`));
    }
  };
  // Same-instant events, nested continuations and timers set from continuations; more events than one batch.
  await Promise.all([worker('a', [1, 0, 2, 0, ...Array<number>(300).fill(1)]), worker('b', [1, 1, 0, 2, ...Array<number>(300).fill(1)]), worker('c', [0, 3, 0])]);
  clock.dispose();
  return log;
}

describe('VirtualClock batched', () => {
  it('orders events and their promise continuations exactly as the unbatched clock', async () => {
    const plain = await trace(false);
    const batched = await trace(true);
    expect(plain.length).toBeGreaterThan(600);
    expect(batched).toEqual(plain);
  });

  it('still lets a wall-clock timer in while virtual time runs on', async () => {
    const clock = new VirtualClock();
    clock.batched = true;
    let wall = false;
    setTimeout(() => (wall = true), 1);
    let t = 0;
    // Runs until the wall-clock timer has fired (the safety bound only stops a hang).
    while (!wall && t < 1e9) {
      await clock.sleep(1);
      t++;
    }
    clock.dispose();
    expect(wall).toBe(true);
  });
});
