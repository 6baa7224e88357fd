/**
 * Issue 8 defect 14, twin side: the pty twin's wire model (WallClockLine) never lets a burst
 * through faster than paceBaud/10 bytes per second, in either direction, even after a stall of
 * the event loop (a loaded box, a slow device step). Checked by counting the bytes of every
 * hand-over on the line's own event timeline (the performance.now() each one happened at), never
 * by how fast this machine is.
 *
 * The bound is a token bucket's: over the hand-overs i..j, bytes <= rate x (t_j - t_i) + burstBytes,
 * where burstBytes is the few milliseconds of line a late timer may make up for. Before the fix a
 * stall of S ms let S ms of line time out at once.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ScaledClock, type Clock } from '../src/core/clock.js';
import type { ByteLink } from '../src/drivers/console/byte-link.js';
import { openSerialLink } from '../src/drivers/console/serial-link.js';
import type { TwinDevice } from '../src/twin/device.js';
import { DEFAULT_CATCH_UP_MS, WallClockLine } from '../src/twin/transport/pty.js';
import { closeAllPtyTwins, startTrackedPtyTwin, stopAllSocat } from '../test/helpers/socat.js';
import { waitFor } from '../test/helpers/wait-for.js';

interface HandOver {
  at: number;
  n: number;
}

/** The largest excess of bytes over rate x span, over every run of consecutive hand-overs. */
function worstExcess(events: readonly HandOver[], bytesPerMs: number): number {
  let worst = 0;
  let before = 0; // bytes handed over before the current one
  let lowest = Infinity; // min over i of (bytes before i - rate x t_i)
  for (const e of events) {
    lowest = Math.min(lowest, before - bytesPerMs * e.at);
    before += e.n;
    worst = Math.max(worst, before - bytesPerMs * e.at - lowest);
  }
  return worst;
}

/** Blocks the event loop, as a loaded machine or a slow device step does. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no timer can fire
  }
}

describe('WallClockLine: no burst beyond the line rate (defect 14)', () => {
  const BAUD = 921_600;
  const rate = BAUD / 10 / 1000; // bytes per ms

  it('after a 60 ms stall of the event loop it does not pour out the backlog', async () => {
    const events: HandOver[] = [];
    const got: Buffer[] = [];
    let stalled = false;
    const line = new WallClockLine(rate, (b, at) => {
      events.push({ at, n: b.length });
      got.push(Buffer.from(b));
      // A slow consumer: the third hand-over blocks the loop for 60 ms (about 5.5 KB of line time).
      if (events.length === 3 && !stalled) {
        stalled = true;
        stall(60);
      }
    });
    const total = 32 * 1024;
    const sent = Buffer.from(Array.from({ length: total }, (_, i) => (i * 7) & 0xff));
    line.push(sent.subarray(0, 1000));
    line.push(sent.subarray(1000));
    await waitFor('every byte handed over', () => events.reduce((s, e) => s + e.n, 0) === total);
    expect(stalled).toBe(true);
    expect(worstExcess(events, rate)).toBeLessThanOrEqual(line.burstBytes + 1e-6);
    expect(line.burstBytes).toBeLessThan(rate * (DEFAULT_CATCH_UP_MS + 1) + 2); // a few ms of line, not the 60 ms stall
    // Nothing lost, nothing reordered: the bytes arrive as pushed.
    expect(Buffer.concat(got).equals(sent)).toBe(true);
  });

  it('holds the bound for many small pushes with repeated stalls, at 115200 and 921600 baud', async () => {
    for (const baud of [115_200, 921_600]) {
      const r = baud / 10 / 1000;
      const events: HandOver[] = [];
      const line = new WallClockLine(r, (b, at) => {
        events.push({ at, n: b.length });
        if (events.length % 7 === 0) stall(15);
      });
      let pushed = 0;
      for (let i = 0; i < 40; i++) {
        line.push(Buffer.alloc(97, i));
        pushed += 97;
        if (i % 10 === 9) await new Promise((res) => setTimeout(res, 20)); // idle gaps: the line must not bank them
      }
      await waitFor(`every byte at ${baud} baud`, () => events.reduce((s, e) => s + e.n, 0) === pushed);
      expect(worstExcess(events, r)).toBeLessThanOrEqual(line.burstBytes + 1e-6);
    }
  });
});

/** A device that echoes what it receives: just enough of a TwinDevice to load the pty's wire both ways. */
function echoDevice(clock: Clock, onRx?: (n: number) => void): TwinDevice {
  const tx = new Set<(b: Buffer) => void>();
  const device = {
    target: 'echo',
    scheme: 'echo',
    variant: 'echo',
    clock,
    powered: true,
    uartRx(bytes: Buffer) {
      onRx?.(bytes.length);
      for (const l of tx) l(Buffer.from(bytes));
    },
    onUartTx(l: (b: Buffer) => void) {
      tx.add(l);
      return () => tx.delete(l);
    },
    onEvent: () => () => {},
  };
  return device as unknown as TwinDevice;
}

describe('pty twin: both directions stay within paceBaud/10 (defect 14)', () => {
  const links: ByteLink[] = [];
  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
    await closeAllPtyTwins();
    await stopAllSocat();
  });

  it('a 48 KiB echo through socat, with stalls on the device side, never outruns the modelled wire', async () => {
    const BAUD = 921_600;
    const rate = BAUD / 10 / 1000;
    const clock = new ScaledClock(1);
    const wire: Record<'to-device' | 'to-host', HandOver[]> = { 'to-device': [], 'to-host': [] };
    let deliveries = 0;
    const device = echoDevice(clock, () => {
      // Every 20th hand-over to the device takes 30 ms: the backlog builds up in both lines.
      if (++deliveries % 20 === 0) stall(30);
    });
    const pty = await startTrackedPtyTwin(device, { paceBaud: BAUD, onWire: (d, n, at) => wire[d].push({ at, n }) });
    const link = await openSerialLink(pty.hostPath, { baud: BAUD });
    links.push(link);
    let echoed = 0;
    link.onData((b) => (echoed += b.length));
    const payload = Buffer.alloc(48 * 1024, 0xa5);
    await link.write(payload);
    await waitFor('the echo back at the host', () => echoed >= payload.length, 60_000);

    const sum = (e: HandOver[]): number => e.reduce((s, x) => s + x.n, 0);
    expect(sum(wire['to-device'])).toBe(payload.length);
    expect(sum(wire['to-host'])).toBe(payload.length);
    const burst = Math.ceil(DEFAULT_CATCH_UP_MS * rate) + 1;
    expect(worstExcess(wire['to-device'], rate)).toBeLessThanOrEqual(burst + 1e-6);
    expect(worstExcess(wire['to-host'], rate)).toBeLessThanOrEqual(burst + 1e-6);
  }, 90_000);
});
