/**
 * The serial console across a USB re-enumeration, on real ptys: socat is killed (its links
 * vanish, as /dev/serial/by-id/… does when the adapter loses power) and started again in the same
 * directory, so the same path comes back pointing at a new pty.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Clock } from '../../src/core/clock.js';
import { RigError } from '../../src/core/errors.js';
import { Console } from '../../src/drivers/console/console.js';
import { noteGaps } from '../../src/drivers/console/gap-notes.js';
import { openConsoleLink } from '../../src/drivers/console/open.js';
import type { GapEvent } from '../../src/drivers/console/reconnecting-link.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { ALL_BYTES, BAUD, clock, closeOpened, deviceEnd, sleep, track, waitFor } from './helpers.js';

afterEach(async () => {
  await closeOpened();
  await stopAllSocat();
});

async function serialConsole(path: string, reconnectMs = 5000) {
  const link = track(await openConsoleLink({ driver: 'serial', port: path, baud: BAUD, reconnectMs }, { clock }));
  const received: Buffer[] = [];
  link.onData((c) => received.push(c));
  const gaps: GapEvent[] = [];
  link.onGap((e) => gaps.push(e));
  const closes: (Error | undefined)[] = [];
  link.onClose((r) => closes.push(r));
  const con = track(new Console({ link, clock }));
  noteGaps(con);
  return { link, con, gaps, closes, received: () => Buffer.concat(received) };
}

describe('reconnecting serial link over a socat pty', () => {
  it('carries data both ways', async () => {
    const pair = await startSocatPair();
    const { link, received } = await serialConsole(pair.a);
    const dev = await deviceEnd(pair.b);
    await dev.send('hello host\n');
    await waitFor('device text', 3000, () => received().toString() === 'hello host\n');
    await link.write(Buffer.from('hello device\r\n'));
    await waitFor('host text', 3000, () => dev.got().toString() === 'hello device\r\n');
    expect(link.description).toContain(pair.a);
  });

  it('passes every byte value through unchanged, both ways', async () => {
    const pair = await startSocatPair();
    const { link, received } = await serialConsole(pair.a);
    const dev = await deviceEnd(pair.b);
    await dev.send(ALL_BYTES);
    await waitFor('all bytes at the host', 3000, () => received().length >= ALL_BYTES.length);
    expect(received().equals(ALL_BYTES)).toBe(true);
    await link.write(ALL_BYTES);
    await waitFor('all bytes at the device', 3000, () => dev.got().length >= ALL_BYTES.length);
    expect(dev.got().equals(ALL_BYTES)).toBe(true);
  });

  it('reopens when the path comes back: same listeners, gap events and transcript notes with the duration', async () => {
    const dir = await tempDir();
    const first = await startSocatPair(dir);
    const { link, con, gaps, closes, received } = await serialConsole(first.a);
    const dev1 = await deviceEnd(first.b);
    await dev1.send('booting\nhalf a li');
    await waitFor('first line', 3000, () => con.lines.length === 1);

    await first.kill('SIGTERM');
    await waitFor('gap start', 3000, () => gaps.length === 1);
    expect(gaps[0]).toMatchObject({ phase: 'start' });
    expect(gaps[0]!.reason).toBeInstanceOf(Error);
    expect(link.inGap).toBe(true);
    const downMs = 400;
    await sleep(downMs); // the port stays gone this long: the scenario, not a wait for an event

    const second = await startSocatPair(dir);
    expect(second.a).toBe(first.a);
    await waitFor('gap end', 3000, () => gaps.length === 2);
    expect(gaps[1]!.phase).toBe('end');
    expect(gaps[1]!.ms).toBeGreaterThan(0);
    expect(link.inGap).toBe(false);

    const dev2 = await deviceEnd(second.b);
    await dev2.send('back again\n');
    await waitFor('line after the gap', 3000, () => con.lines.some((l) => l.text === 'back again'));
    expect(received().toString()).toBe('booting\nhalf a liback again\n');
    await link.write(Buffer.from('status\n'));
    await waitFor('write after the gap', 3000, () => dev2.got().toString() === 'status\n');

    // The partial line before the cut is kept as its own line; the notes sit between.
    expect(con.lines.map((l) => l.text)).toEqual(['booting', 'half a li', 'back again']);
    expect(con.notes.map((n) => n.text)).toEqual([
      expect.stringMatching(new RegExp(`^serial ${first.a} gone: .*disappeared`)),
      expect.stringMatching(new RegExp(`^serial ${first.a} back after \\d+ ms$`)),
    ]);
    expect(Number(/after (\d+) ms/.exec(con.notes[1]!.text)![1])).toBe(Math.round(gaps[1]!.ms!));
    const t = con.transcript().split('\n');
    expect(t).toHaveLength(5);
    expect(t[2]).toMatch(/\[hil\] serial .* gone/);
    expect(t[3]).toMatch(/\[hil\] serial .* back after/);
    expect(t[4]).toMatch(/back again$/);
    expect(closes).toEqual([]);
  });

  it('rejects writes during the gap and never sends them after the reconnect', async () => {
    const dir = await tempDir();
    const first = await startSocatPair(dir);
    const { link, gaps } = await serialConsole(first.a);
    await first.kill('SIGTERM');
    await waitFor('gap start', 3000, () => gaps.length === 1);
    const err = await link.write(Buffer.from('stale command\n')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(new RegExp(`serial ${first.a} is re-enumerating .*not sent`));

    const second = await startSocatPair(dir);
    const dev = await deviceEnd(second.b);
    await waitFor('gap end', 3000, () => gaps.length === 2);
    await link.write(Buffer.from('fresh\n'));
    await waitFor('fresh write', 3000, () => dev.got().toString().includes('fresh'));
    // "Never sent": a stale write the link had kept would go out right after the reopen; a quiet
    // moment after 'fresh' lets it show (a busy machine can only hide it, never fail this).
    await sleep(200);
    expect(dev.got().toString()).toBe('fresh\n');
  });

  it('closes with a RigError naming the path and the timeout when the path never comes back', async () => {
    const pair = await startSocatPair();
    const { link, gaps, closes } = await serialConsole(pair.a, 600);
    await pair.kill('SIGTERM');
    await waitFor('final close', 5000, () => closes.length === 1);
    expect(gaps.map((g) => g.phase)).toEqual(['start']);
    const reason = closes[0]!;
    expect(reason).toBeInstanceOf(RigError);
    expect(reason.message).toContain(pair.a);
    expect(reason.message).toMatch(/did not come back within 600 ms/);
    expect(reason.message).toMatch(/does not exist/);
    await expect(link.write(Buffer.from('x'))).rejects.toThrow(/closed/);
  });

  it('fails at once, without waiting, when the port is missing at open', async () => {
    const dir = await tempDir();
    // "Without waiting" as an event, not a stopwatch: the link schedules no retry on its clock.
    const waits: number[] = [];
    const spy: Clock = {
      now: () => clock.now(),
      setTimer: (ms, fn) => (waits.push(ms), clock.setTimer(ms, fn)),
      sleep: (ms, signal) => (waits.push(ms), clock.sleep(ms, signal)),
    };
    await expect(openConsoleLink({ driver: 'serial', port: `${dir}/nope`, baud: BAUD }, { clock: spy })).rejects.toThrow(RigError);
    expect(waits).toEqual([]);
  });

  it('close() during the gap stops the retries and reports a clean close', async () => {
    const dir = await tempDir();
    const first = await startSocatPair(dir);
    const { link, gaps, closes } = await serialConsole(first.a);
    await first.kill('SIGTERM');
    await waitFor('gap start', 3000, () => gaps.length === 1);
    await link.close();
    expect(closes).toEqual([undefined]);
    await startSocatPair(dir);
    // "No retry after close": time for a retry to find the path back; nothing may happen in it.
    await sleep(300);
    expect(gaps).toHaveLength(1);
  });
});
