import { describe, expect, it } from '@jest/globals';
import { WriteWindow } from '../../src/drivers/updater/sfu/index.js';

const BASE = 0x1021_0000;
const BLOCK = 2048;
const FRAME = 12 + 4 + BLOCK;

function window(blocks: number, rxBudget = 0x2_0000, burstBudget = 0x8000): WriteWindow {
  return new WriteWindow({ base: BASE, stream: Buffer.alloc(blocks * BLOCK, 0xab), block: BLOCK, rxBudget, burstBudget });
}

/** Sends while credit allows; returns the addresses sent. */
function fill(w: WriteWindow, max = Infinity): number[] {
  const sent: number[] = [];
  while (w.canSend() && sent.length < max) sent.push(w.take().addr);
  return sent;
}

const at = (i: number) => BASE + i * BLOCK;

describe('WriteWindow', () => {
  it('acks advance the window and finish at the end of the stream', () => {
    const w = window(4);
    expect(fill(w)).toEqual([at(0), at(1), at(2), at(3)]);
    for (let i = 1; i <= 4; i++) expect(w.reply(at(i))).toEqual({ kind: 'progress', acked: at(i) });
    expect(w.done).toBe(true);
    expect(w.inflightBytes).toBe(0);
    expect(w.resyncs).toBe(0);
  });

  it('keeps bytes in flight under the device RX ring minus two frames, and bursts under 32 KiB', () => {
    const w = window(200);
    const sent = fill(w);
    // 32 KiB burst budget: n frames while n*FRAME + 2*FRAME < 0x8000.
    expect(sent.length).toBe(Math.ceil((0x8000 - 2 * FRAME) / FRAME));
    expect(w.burstBytes + FRAME).toBeLessThan(0x8000);
    // Without replies (only ERASE_PARTs resetting the burst), the RX budget binds.
    const w2 = window(200);
    for (let i = 0; i < 200; i++) {
      fill(w2);
      w2.erasePart(); // burst reset without any ack: only the RX budget limits
    }
    // A WRITE goes out only while in-flight + 2 frames < RX ring (the CLI's rule), so after it
    // there is always room for one more frame than is in flight.
    expect(w2.inflightBytes + FRAME).toBeLessThan(0x2_0000);
    expect(w2.inflightBytes + 2 * FRAME).toBeGreaterThanOrEqual(0x2_0000);
    expect(w2.canSend()).toBe(false);
  });

  it('rewinds once to the acknowledged address when a frame is lost, and absorbs the stale replies', () => {
    const w = window(10);
    fill(w, 6); // frames 0..5 in flight; frame 1 will be lost
    expect(w.reply(at(1))).toMatchObject({ kind: 'progress' }); // frame 0
    // Frames 2..5 are ignored by the device (not its address): each answers at(1).
    expect(w.reply(at(1))).toMatchObject({ kind: 'resync', rewindTo: at(1), consecutive: 1 });
    expect(w.sendPtr).toBe(at(1));
    expect(fill(w, 3)).toEqual([at(1), at(2), at(3)]); // resent
    // The other stale replies (frames 3, 4, 5) must not rewind again.
    expect(w.reply(at(1))).toEqual({ kind: 'same' });
    expect(w.reply(at(1))).toEqual({ kind: 'same' });
    expect(w.reply(at(1))).toEqual({ kind: 'same' });
    expect(w.resyncs).toBe(1);
    // The resent frames are accepted.
    expect(w.reply(at(2))).toMatchObject({ kind: 'progress', acked: at(2) });
    expect(w.reply(at(3))).toMatchObject({ kind: 'progress' });
    expect(w.reply(at(4))).toMatchObject({ kind: 'progress' });
    expect(w.consecutiveResyncs).toBe(0);
  });

  it('detects a resent frame that is lost again, once the stale replies are used up', () => {
    const w = window(10);
    fill(w, 4); // 0..3 ; frame 0 lost
    expect(w.reply(at(0))).toMatchObject({ kind: 'resync', rewindTo: at(0), consecutive: 1, stale: 3 }); // frame 1's answer
    fill(w, 3); // resend 0 (lost again), 1, 2: each answers at(0) too
    const outcomes = [w.reply(at(0)), w.reply(at(0)), w.reply(at(0)), w.reply(at(0)), w.reply(at(0))].map((o) => o.kind);
    // Frames 2, 3 answer (stale) first; at most the stale count is absorbed, then the loss shows.
    expect(outcomes.indexOf('resync')).toBeGreaterThanOrEqual(2);
    expect(outcomes.indexOf('resync')).toBeLessThanOrEqual(3);
    expect(w.consecutiveResyncs).toBe(2);
    expect(w.sendPtr).toBe(at(0));
  });

  it('forgets stale WRITEs after a silence, so a poll shows a repeated loss at once', () => {
    const w = window(10);
    fill(w, 5); // frame 0 lost
    expect(w.reply(at(0))).toMatchObject({ kind: 'resync', stale: 4 });
    fill(w, 1); // the resend is lost too; nothing answers for a while
    w.expireStale();
    w.poll();
    expect(w.reply(at(0))).toMatchObject({ kind: 'resync', consecutive: 2 });
  });

  it('tolerates lost replies: a later reply settles everything before it', () => {
    const w = window(6);
    fill(w);
    expect(w.reply(at(3))).toEqual({ kind: 'progress', acked: at(3) }); // replies to 0, 1 lost
    expect(w.inFlight).toBe(3);
    expect(w.reply(at(6))).toEqual({ kind: 'progress', acked: at(6) });
    expect(w.done).toBe(true);
    expect(w.resyncs).toBe(0);
  });

  it('takes a status poll answer at face value after expiry', () => {
    const w = window(4);
    fill(w); // all four sent, every reply lost, the last frame lost too
    w.expire();
    expect(w.inflightBytes).toBe(0);
    w.poll();
    expect(w.reply(at(3))).toMatchObject({ kind: 'resync', rewindTo: at(3) });
    expect(fill(w)).toEqual([at(3)]);
    w.poll();
    expect(w.reply(at(4))).toMatchObject({ kind: 'progress', acked: at(4) });
    expect(w.done).toBe(true);
  });

  it('reports impossible replies instead of guessing', () => {
    const w = window(4);
    fill(w, 2);
    expect(w.reply(0x1001_0000)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/another slot/) });
    expect(w.reply(at(3))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/never sent/) });
    w.reply(at(2));
    expect(w.reply(at(1))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/went back/) });
  });

  it('sends a short last block, and a single frame even when the RX budget is tiny', () => {
    const w = new WriteWindow({ base: BASE, stream: Buffer.alloc(BLOCK + 12), block: BLOCK, rxBudget: 100 });
    const a = w.take();
    expect(a.data.length).toBe(BLOCK);
    expect(w.canSend()).toBe(false); // budget too small for a second frame in flight
    w.reply(at(1));
    const b = w.take();
    expect(b).toMatchObject({ addr: at(1), resend: false });
    expect(b.data.length).toBe(12);
  });
});
