/**
 * The shared SPI NOR on a bus two MCUs master, with the GPIO lock line (seed 000): the lock's
 * check-then-assert (and its race), its release with the holder's program, masters that keep to
 * the lock never corrupting each other, and one that does not colliding, deterministically per seed.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { OpRecorder } from '../../src/twin/flash/op-recorder.js';
import { stateDigest } from '../../src/twin/flash/state-digest.js';
import type { Mcu, TwinEvent } from '../../src/twin/mcu.js';
import { CHECK_TO_ASSERT_MS } from '../../src/twin/spi-bus/lock-line.js';
import type { SpiPort } from '../../src/twin/spi-bus/shared-flash.js';
import { SHARED_BASE, TwoMcuBoard } from './two-mcu-board.js';

let boards: TwoMcuBoard[] = [];
afterEach(() => {
  for (const b of boards) b.dispose();
  boards = [];
});

function board(seed = 1): TwoMcuBoard {
  const b = new TwoMcuBoard({ seed });
  boards.push(b);
  return b;
}

const IMAGE = SHARED_BASE + 0x2_0000; // radio-secondary
const LOG = SHARED_BASE + 0x10_0000; // radio-log
const image = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const record = (k: number) => Buffer.from(`log record ${String(k).padStart(4, '0')} `.padEnd(32, '.'), 'latin1');

const lockEvents = (b: TwoMcuBoard) => b.events.filter((x) => x.e.kind === 'lock').map((x) => (x.e as Extract<TwinEvent, { kind: 'lock' }>).holder);
const idle = async (mcu: Mcu) => void (await mcu.sleep(600_000));

/**
 * The host downloads 4 KiB into the radio's secondary in 512 B bursts (under the lock when
 * `hostLocks`); the radio appends 32 B log records every 2 ms under the lock.
 */
async function download(b: TwoMcuBoard, hostLocks: boolean) {
  const data = image(4096);
  let hostDone = false;
  let radioRecords = 0;
  b.start(
    async (mcu) => {
      const port = b.bus.port(mcu);
      await port.withLock(() => port.erase(IMAGE, 4096));
      for (let at = 0; at < data.length; at += 512) {
        const burst = () => port.program(IMAGE + at, data.subarray(at, at + 512));
        if (hostLocks) await port.withLock(burst);
        else await burst();
        await mcu.sleep(3);
      }
      hostDone = true;
      await idle(mcu);
    },
    async (mcu) => {
      const port = b.bus.port(mcu);
      // Not at the very instant the host takes the lock: that is the lock's own race (tested above).
      await mcu.sleep(0.5);
      await port.withLock(() => port.erase(LOG, 4096));
      for (let k = 0; k < 60; k++) {
        await port.withLock(() => port.program(LOG + k * 32, record(k)));
        radioRecords++;
        await mcu.sleep(2);
      }
      await idle(mcu);
    },
  );
  await b.clock.sleep(2000);
  expect(hostDone).toBe(true);
  expect(radioRecords).toBe(60);
  return { data, image: b.bus.flash.read(IMAGE, 4096), log: b.bus.flash.read(LOG, 60 * 32) };
}

const allRecords = Buffer.concat(Array.from({ length: 60 }, (_, k) => record(k)));

describe('GPIO lock line', () => {
  it('is taken by check-then-assert, waited for while held, and released (lock events)', async () => {
    const b = board();
    const order: string[] = [];
    let radioPort!: SpiPort;
    b.start(
      async (mcu) => {
        const port = b.bus.port(mcu);
        await port.withLock(async () => {
          order.push('host in');
          await mcu.sleep(20);
          order.push('host out');
        });
        await idle(mcu);
      },
      async (mcu) => {
        radioPort = b.bus.port(mcu);
        await mcu.sleep(5);
        await radioPort.withLock(async () => {
          order.push('radio in');
          await mcu.sleep(1);
        });
        await idle(mcu);
      },
    );
    await b.clock.sleep(100);
    expect(order).toEqual(['host in', 'host out', 'radio in']);
    expect(lockEvents(b)).toEqual(['host', null, 'radio', null]);
    const radioIn = b.events.find((x) => x.e.kind === 'lock' && x.e.holder === 'radio')!;
    // The radio polls every 1 ms: it sees the line free within a poll of the host's release.
    expect(radioIn.t).toBeGreaterThanOrEqual(20);
    expect(radioIn.t).toBeLessThanOrEqual(21);
    expect(radioIn.e.mcu).toBe('radio');
    expect(b.bus.lock.races).toBe(0);
    expect(radioPort.holdsLock).toBe(false);
  });

  it('races: two masters that check inside each other window both drive it low', async () => {
    const b = board();
    const held: boolean[] = [];
    const take = async (mcu: Mcu) => {
      const port = b.bus.port(mcu);
      await port.take();
      held.push(port.holdsLock);
      await idle(mcu);
    };
    b.start(take, async (mcu) => {
      await mcu.sleep(CHECK_TO_ASSERT_MS / 2);
      await take(mcu);
    });
    await b.clock.sleep(10);
    expect(held).toEqual([true, true]);
    expect(b.bus.lock.holder).toBe('host+radio');
    expect(b.bus.lock.races).toBe(1);
    expect(lockEvents(b)).toEqual(['host', 'host+radio']);
  });

  it('is released when its holder loses power, and the survivor takes it', async () => {
    const b = board();
    let radioHas = false;
    b.start(
      async (mcu) => {
        await b.bus.port(mcu).take();
        await idle(mcu);
      },
      async (mcu) => {
        await mcu.sleep(1);
        const port = b.bus.port(mcu);
        await port.take();
        radioHas = true;
        await idle(mcu);
      },
    );
    await b.clock.sleep(50);
    expect(radioHas).toBe(false);
    b.host.powerOff();
    await b.clock.sleep(5);
    expect(radioHas).toBe(true);
    expect(lockEvents(b)).toEqual(['host', null, 'radio']);
    const released = b.events.findIndex((x) => x.e.kind === 'lock' && x.e.holder === null);
    expect(b.events[released]!.e.mcu).toBe('host');
  });

  it('is released by a reset of its holder (the pins go back to inputs); a stale release does not drop the new hold', async () => {
    const b = board();
    let boots = 0;
    const program = async (mcu: Mcu): Promise<void> => {
      boots++;
      const port = b.bus.port(mcu);
      if (boots === 1) {
        await port.withLock(async () => {
          await mcu.sleep(10);
          mcu.reset(program);
        });
      } else {
        await port.take();
      }
      await idle(mcu);
    };
    b.start(program, idle);
    await b.clock.sleep(50);
    expect(boots).toBe(2);
    expect(lockEvents(b)).toEqual(['host', null, 'host']);
    expect(b.bus.lock.holder).toBe('host');
  });
});

describe('shared SPI NOR on the bus', () => {
  it('masters that keep to the lock never corrupt each other', async () => {
    const b = board();
    const r = await download(b, true);
    expect(r.image).toEqual(r.data);
    expect(r.log).toEqual(allRecords);
    expect(b.bus.collisions).toBe(0);
    expect(b.bus.ignoredWhileBusy).toBe(0);
    expect(b.bus.lock.races).toBe(0);
    expect(b.events.some((x) => x.e.kind === 'bus-conflict')).toBe(false);
  });

  it('a writer that skips the lock collides with the locked one: garbled pages or lost commands, the same again on the same seed', async () => {
    const r1 = await download(board(1), false);
    const r2 = await download(board(1), false);
    expect(r1.image.equals(r1.data) && r1.log.equals(allRecords)).toBe(false);
    expect(r2.image).toEqual(r1.image);
    expect(r2.log).toEqual(r1.log);
    const b = board(1);
    await download(b, false);
    const conflicts = b.events.filter((x) => x.e.kind === 'bus-conflict');
    expect(conflicts.length).toBe(b.bus.collisions + b.bus.ignoredWhileBusy);
    expect(conflicts.length).toBeGreaterThan(0);
  });

  it('overlapping transactions on the wire garble the earlier program and lose the later command (bus model)', async () => {
    const landed = await Promise.all([1, 1, 2, 3, 4].map((seed) => overlap(seed)));
    expect(landed[1]).toEqual(landed[0]);
    // The bit flips are drawn from the colliding master's generator: another seed, other flips.
    expect(new Set(landed.map((x) => x.toString('hex'))).size).toBeGreaterThan(1);
  });

  function overlap(seed: number): Promise<Buffer> {
    const b = board(seed);
    const page = Buffer.alloc(256, 0xa5);
    b.start(
      async (mcu) => {
        await b.bus.port(mcu).program(IMAGE, page);
        await idle(mcu);
      },
      async (mcu) => {
        // 100 bytes into the host's transfer (1 us a byte at 8 MHz): its data from there on is garbled.
        await mcu.sleep(0.1);
        await b.bus.port(mcu).program(LOG, Buffer.alloc(32, 0x0f));
        await idle(mcu);
      },
    );
    return b.clock.sleep(10).then(() => {
      const landed = b.bus.flash.read(IMAGE, 256);
      expect(landed.subarray(0, 90)).toEqual(page.subarray(0, 90));
      expect(landed.equals(page)).toBe(false);
      expect(b.bus.flash.read(LOG, 32).every((x) => x === 0xff)).toBe(true);
      expect(b.bus.collisions).toBe(1);
      const conflict = b.events.find((x) => x.e.kind === 'bus-conflict')!.e;
      expect(conflict).toMatchObject({ kind: 'bus-conflict', conflict: 'collision', op: 'program', address: LOG, other: 'host', mcu: 'radio' });
      return landed;
    });
  }

  it('a read while the other master programs gets 0xFF (the busy flash ignores it); a read it collides with gets flipped bits', async () => {
    const b = board();
    b.bus.flash.writeRaw(LOG, Buffer.alloc(512, 0x3c));
    const reads: Buffer[] = [];
    b.start(
      async (mcu) => {
        const port = b.bus.port(mcu);
        await port.program(IMAGE, Buffer.alloc(256, 0)); // 0.261 ms on the wire, then tPP 0.7 ms
        reads.push(await port.read(LOG, 512)); // 0.516 ms on the wire
        await idle(mcu);
      },
      async (mcu) => {
        const port = b.bus.port(mcu);
        await mcu.sleep(0.5);
        reads.push(await port.read(LOG, 16)); // the flash is busy with the host's program
        await mcu.sleep(0.6);
        reads.push(await port.read(LOG, 16)); // on the wire during the host's read
        await idle(mcu);
      },
    );
    await b.clock.sleep(10);
    const [busy, hostRead, collided] = [reads[0]!, reads[2]!, reads[1]!];
    expect(busy.every((x) => x === 0xff)).toBe(true);
    expect(collided.equals(Buffer.alloc(16, 0x3c))).toBe(false);
    expect(hostRead.equals(Buffer.alloc(512, 0x3c))).toBe(false);
    expect(b.bus.ignoredWhileBusy).toBe(1);
    expect(b.bus.collisions).toBe(1);
  });

  it('runs programs and erases as the issuing master flash ops: logged with its name, torn by a cut', async () => {
    const b = board();
    const rec = new OpRecorder(b.device);
    rec.start();
    b.start(async (mcu) => {
      const port = b.bus.port(mcu);
      mcu.emit({ kind: 'phase', name: 'download' });
      await port.withLock(async () => {
        await port.erase(IMAGE, 4096);
        await port.program(IMAGE, image(600));
      });
      await idle(mcu);
    }, idle);
    await b.clock.sleep(100);
    rec.stop();
    b.powerOff();
    expect(rec.ops.map((o) => [o.mcu, o.kind, o.address, o.length, o.phase])).toEqual([
      ['host', 'erase', IMAGE, 4096, 'download'],
      ['host', 'program', IMAGE, 256, 'download'],
      ['host', 'program', IMAGE + 256, 256, 'download'],
      ['host', 'program', IMAGE + 512, 88, 'download'],
    ]);
    expect(rec.ops[1]!.durationMs).toBeCloseTo(261 * 0.001 + 0.7, 9);
    b.mcu.reseed(3);
    rec.load(2, 'torn', 0.9);
    const torn = b.bus.flash.read(IMAGE + 256, 256);
    expect(torn.equals(image(600).subarray(256, 512))).toBe(false);
    expect(torn.every((x) => x === 0xff)).toBe(false);
    expect(b.bus.flash.read(IMAGE, 256)).toEqual(image(600).subarray(0, 256));
    // A cut during the transfer, before the page program began, changes nothing.
    rec.load(2, 'before');
    const before = stateDigest(b.snapshot());
    rec.load(2, 'torn', 0.1);
    expect(stateDigest(b.snapshot())).toBe(before);
    expect(b.bus.flash.read(IMAGE + 256, 256).every((x) => x === 0xff)).toBe(true);
  });

  it('refuses bad input: an unnamed master, an unaligned erase, an address outside the part', async () => {
    const b = board();
    const { Mcu } = await import('../../src/twin/mcu.js');
    const unnamed = new Mcu({ clock: b.clock, flash: b.flash.parts[0]!, powerLoss: 'skip', seed: 1, rxCapacity: 16 });
    expect(() => b.bus.port(unnamed)).toThrow(/needs a name/);
    const errors: string[] = [];
    b.start(async (mcu) => {
      const port = b.bus.port(mcu);
      await port.erase(IMAGE + 0x100, 4096).catch((e: Error) => errors.push(e.message));
      await port.read(SHARED_BASE + 4 * 1024 * 1024 - 4, 8).catch((e: Error) => errors.push(e.message));
      await idle(mcu);
    }, idle);
    await b.clock.sleep(10);
    expect(errors).toEqual([expect.stringMatching(/erase of 4096 bytes at 0x220100: the driver erases whole 4096-byte sectors/), expect.stringMatching(/0x5ffffc\+8 is outside W25Q32JV SPI NOR/)]);
  });
});

describe('request-lines lock protocol', () => {
  it('never lets two masters in at once, even when they ask at the same instant; the later one in priority backs off', async () => {
    const b = new TwoMcuBoard({ lock: { protocol: 'request-lines', priority: ['host', 'radio'] } });
    boards.push(b);
    const inside = new Set<string>();
    let overlaps = 0;
    const order: string[] = [];
    const worker = (rounds: number, hold: number) => async (mcu: Mcu) => {
      const port = b.bus.port(mcu);
      for (let i = 0; i < rounds; i++) {
        await port.withLock(async () => {
          inside.add(mcu.name!);
          if (inside.size > 1) overlaps++;
          order.push(mcu.name!);
          await port.program(LOG + (mcu.name === 'host' ? 0 : 0x8000) + i * 32, record(i));
          await mcu.sleep(hold);
          inside.delete(mcu.name!);
        });
      }
      await idle(mcu);
    };
    b.start(worker(40, 0.3), worker(40, 0.7));
    await b.clock.sleep(1000);
    expect(overlaps).toBe(0);
    expect(order[0]).toBe('host');
    expect(order.filter((n) => n === 'radio').length).toBe(40);
    expect(b.bus.lock.races).toBe(0);
    expect(b.bus.collisions + b.bus.ignoredWhileBusy).toBe(0);
    expect(b.bus.flash.read(LOG, 40 * 32)).toEqual(allRecords.subarray(0, 40 * 32));
    expect(b.bus.flash.read(LOG + 0x8000, 40 * 32)).toEqual(allRecords.subarray(0, 40 * 32));
  });
});

describe('on a wall clock (ScaledClock)', () => {
  it('request-lines masters never conflict although the clock timers fire late or early', async () => {
    const b = new TwoMcuBoard({ lock: { protocol: 'request-lines', priority: ['host', 'radio'] }, timeFactor: 0.05 });
    boards.push(b);
    let done = 0;
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const writer = (base: number) => async (mcu: Mcu) => {
      const port = b.bus.port(mcu);
      for (let i = 0; i < 20; i++) await port.withLock(() => port.program(base + i * 32, record(i)));
      if (++done === 2) allDone();
      await mcu.sleep(600_000);
    };
    b.start(writer(LOG), writer(LOG + 0x8000));
    await finished;
    b.powerOff();
    expect(b.bus.collisions + b.bus.ignoredWhileBusy).toBe(0);
    expect(b.bus.flash.read(LOG, 20 * 32)).toEqual(allRecords.subarray(0, 20 * 32));
    expect(b.bus.flash.read(LOG + 0x8000, 20 * 32)).toEqual(allRecords.subarray(0, 20 * 32));
  });
});
