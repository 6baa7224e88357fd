/**
 * A master kept waiting for the shared bus (seed 000) does not run its 1 ms look loop one look at a
 * time: it sleeps until the lock line changes, then to the loop's next look. It must take the bus at
 * the same instant the look-by-look loop would have, with a handful of timer events however long it
 * waited, and a power cut must still end its wait.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { VirtualClock } from '../../../src/core/clock.js';
import type { Mcu, TwinEvent } from '../../../src/twin/mcu.js';
import { LOCK_POLL_MS } from '../../../src/twin/spi-bus/lock-line.js';
import { TwoMcuBoard } from '../two-mcu-board.js';

let boards: TwoMcuBoard[] = [];
afterEach(() => {
  for (const b of boards) b.dispose();
  boards = [];
});

const idle = async (mcu: Mcu) => void (await mcu.sleep(600_000));
const lockAt = (b: TwoMcuBoard, holder: string) => b.events.find((x) => x.e.kind === 'lock' && (x.e as Extract<TwinEvent, { kind: 'lock' }>).holder === holder)?.t;

describe.each(['check-then-assert', 'request-lines'] as const)('the lock line (%s): a waiting master', (protocol) => {
  it('takes the bus at the first 1 ms look after the holder lets go, after waiting 10 s with a few events', async () => {
    const b = new TwoMcuBoard({ lock: { protocol, priority: ['radio', 'host'] } });
    boards.push(b);
    const HOLD_MS = 10_000.25;
    b.start(
      async (mcu) => {
        const port = b.bus.port(mcu);
        await port.withLock(() => mcu.sleep(HOLD_MS));
        await idle(mcu);
      },
      async (mcu) => {
        const port = b.bus.port(mcu);
        await mcu.sleep(0.3);
        await port.withLock(() => mcu.sleep(1));
        await idle(mcu);
      },
    );
    const clock = b.clock as VirtualClock;
    const before = clock.fired;
    await clock.sleep(HOLD_MS + 100);
    // Looks at 0.3, 1.3, 2.3 …: the first one at or after the release at 10,000.25 is 10,000.3.
    let look = 0.3;
    while (look < HOLD_MS) look += LOCK_POLL_MS;
    expect(lockAt(b, 'radio')).toBe(look);
    // A look per device ms would be ten thousand events.
    expect(clock.fired - before).toBeLessThan(50);
  });

  it('ends its wait with its power: it never takes the bus, and the line is free once the holder lets go', async () => {
    const b = new TwoMcuBoard({ lock: { protocol } });
    boards.push(b);
    let radioGotIt = false;
    b.host.powerOn(async (mcu) => {
      const port = b.bus.port(mcu);
      await port.withLock(() => mcu.sleep(1_000));
      await idle(mcu);
    });
    b.radio.powerOn(async (mcu) => {
      const port = b.bus.port(mcu);
      await mcu.sleep(0.3);
      await port.withLock(async () => {
        radioGotIt = true;
      });
    });
    await b.clock.sleep(10);
    b.radio.powerOff();
    await b.clock.sleep(2_000);
    expect(radioGotIt).toBe(false);
    expect(lockAt(b, 'radio')).toBeUndefined();
    expect(b.bus.lock.holder).toBeNull();
  });
});
