/**
 * The UART link between two processors of a board (not their consoles): paced lines, one `link`
 * event per line in the sender's stream, and what power does to it (an unpowered receiver drops
 * a line, a reset empties the receive queue, a sender cut mid-line never delivers it).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Mcu, TwinEvent } from '../../src/twin/mcu.js';
import { UartLink } from '../../src/twin/uart-link.js';
import { TwoMcuBoard } from './two-mcu-board.js';

let boards: TwoMcuBoard[] = [];
afterEach(() => {
  for (const b of boards) b.dispose();
  boards = [];
});

function setup() {
  const b = new TwoMcuBoard();
  boards.push(b);
  return { b, link: new UartLink(b.host, b.radio) };
}

const idle = async (mcu: Mcu) => void (await mcu.sleep(600_000));
const links = (b: TwoMcuBoard) => b.events.filter((x) => x.e.kind === 'link').map((x) => ({ t: x.t, ...(x.e as Extract<TwinEvent, { kind: 'link' }>) }));

describe('UART link', () => {
  it('carries lines paced at 115200 baud, each one a link event of its sender', async () => {
    const { b, link } = setup();
    const got: (string | undefined)[] = [];
    b.start(
      async (mcu) => {
        const end = link.end('host');
        await end.send('dfu ready 24628 ab12');
        got.push(await end.nextLine(1000));
        got.push(await end.nextLine(5));
        await idle(mcu);
      },
      async (mcu) => {
        const end = link.end('radio');
        const line = await end.nextLine(1000);
        await end.send(line === 'dfu ready 24628 ab12' ? 'dfu ok' : 'dfu bad');
        await idle(mcu);
      },
    );
    await b.clock.sleep(100);
    expect(got).toEqual(['dfu ok', undefined]);
    const ev = links(b);
    expect(ev.map((e) => [e.from, e.to, e.text, e.mcu])).toEqual([
      ['host', 'radio', 'dfu ready 24628 ab12', 'host'],
      ['radio', 'host', 'dfu ok', 'radio'],
    ]);
    // 21 bytes (the line and its newline) at 10 bits each.
    expect(ev[0]!.t).toBeCloseTo((21 * 10 * 1000) / 115200, 9);
    expect(ev[1]!.t - ev[0]!.t).toBeCloseTo((7 * 10 * 1000) / 115200, 9);
  });

  it('drops a line sent to an unpowered end, and a reset empties the receive queue', async () => {
    const { b, link } = setup();
    b.host.powerOn(async (mcu) => {
      await link.end('host').send('version?');
      await mcu.sleep(5);
      await link.end('host').send('confirm');
      await idle(mcu);
    });
    await b.clock.sleep(2);
    b.radio.powerOn(idle);
    await b.clock.sleep(20);
    expect(link.end('radio').pending).toEqual(['confirm']);
    expect(links(b).map((e) => e.text)).toEqual(['version?', 'confirm']);
    b.radio.pinReset(idle);
    expect(link.end('radio').pending).toEqual([]);
  });

  it('loses a line whose sender loses power mid-line, and a receiver waiting when its power goes', async () => {
    const { b, link } = setup();
    let waiting = 'not yet';
    b.start(
      async (mcu) => {
        await mcu.sleep(1);
        await link.end('host').send('x'.repeat(200));
        await idle(mcu);
      },
      async (mcu) => {
        try {
          await link.end('radio').nextLine(60_000);
          waiting = 'returned';
        } catch (e) {
          waiting = (e as Error).message;
        }
        await idle(mcu);
      },
    );
    await b.clock.sleep(5);
    b.host.powerOff();
    await b.clock.sleep(50);
    expect(links(b)).toEqual([]);
    b.radio.powerOff();
    await b.clock.sleep(1);
    expect(waiting).toBe('power lost');
  });

  it('refuses bad input: a multi-line message, an unknown end, ends without names', () => {
    const { b, link } = setup();
    expect(() => link.end('modem')).toThrow(/no end 'modem' on this link \(host, radio\)/);
    expect(() => new UartLink(b.host, b.host)).toThrow(/two distinct end names/);
    return expect(link.end('host').send('a\nb')).rejects.toThrow(/one line/);
  });
});
