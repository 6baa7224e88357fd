import { describe, expect, test } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Listeners, type ByteLink } from '../../src/drivers/console/byte-link.js';
import { Console } from '../../src/drivers/console/console.js';
import { MergedConsole } from '../../src/drivers/console/merged-console.js';

/** A link whose device side is the test: chunks go in exactly as cut here. */
function chunkLink(): { link: ByteLink; send(text: string): void } {
  const data = new Listeners<Buffer>();
  const link: ByteLink = {
    description: 'test link',
    write: async () => {},
    onData: (l) => data.add(l),
    onClose: () => () => {},
    close: async () => {},
  };
  return { link, send: (text) => data.emit(Buffer.from(text, 'latin1')) };
}

describe('console line splitting', () => {
  test.each([
    ['LF', ['one\ntwo\n']],
    ['CRLF', ['one\r\ntwo\r\n']],
    ['lone CR (STM32F4 SFU)', ['one\rtwo\r', '\n']],
    ['CRLF split between chunks', ['one\r', '\ntwo\r', '\n']],
    ['byte by byte CRLF', [...'one\r\ntwo\r\n']],
  ])('%s gives the same two lines and no empty ones', (_name, chunks) => {
    const { link, send } = chunkLink();
    const con = new Console({ link, clock: new VirtualClock() });
    for (const c of chunks) send(c);
    expect(con.lines.map((l) => l.text)).toEqual(['one', 'two']);
  });

  test('a trailing lone CR is held until the next chunk, and flushed on demand', () => {
    const { link, send } = chunkLink();
    const con = new Console({ link, clock: new VirtualClock() });
    send('ready\r');
    expect(con.lines).toHaveLength(0);
    send('next\r');
    expect(con.lines.map((l) => l.text)).toEqual(['ready']);
    con.flushPartial();
    expect(con.lines.map((l) => l.text)).toEqual(['ready', 'next']);
  });

  test('a real empty line between CRLFs is kept', () => {
    const { link, send } = chunkLink();
    const con = new Console({ link, clock: new VirtualClock() });
    send('a\r\n\r\nb\n');
    expect(con.lines.map((l) => l.text)).toEqual(['a', '', 'b']);
  });
});

describe('forgetting lines (a sweep reads only its own point)', () => {
  test('a console forgets its lines and notes; a line being received is kept and later lines index from 0', () => {
    const { link, send } = chunkLink();
    const con = new Console({ link, clock: new VirtualClock() });
    send('one\ntwo\nthr');
    con.note('serial gone');
    con.forgetLines();
    expect(con.lines).toHaveLength(0);
    expect(con.notes).toHaveLength(0);
    send('ee\nfour\n');
    expect(con.lines.map((l) => l.text)).toEqual(['three', 'four']);
  });

  test('a merged console forgets its members lines too, and keeps merging afterwards', () => {
    const clock = new VirtualClock();
    const host = chunkLink();
    const radio = chunkLink();
    const members = [
      { name: 'host', console: new Console({ link: host.link, clock }) },
      { name: 'radio', console: new Console({ link: radio.link, clock }) },
    ];
    const merged = new MergedConsole(members, { clock });
    host.send('boot\n');
    radio.send('log 1\n');
    merged.forgetLines();
    expect([merged, ...members.map((m) => m.console)].map((c) => c.lines.length)).toEqual([0, 0, 0]);
    radio.send('log 2\n');
    expect(merged.lines.map((l) => l.text)).toEqual(['radio| log 2']);
    expect(members[1]!.console.lines.map((l) => l.text)).toEqual(['log 2']);
    expect(members[0]!.console.lines).toHaveLength(0);
  });
});
