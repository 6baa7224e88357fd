import { describe, expect, it } from '@jest/globals';
import { SfuCode } from '../../../src/protocols/sfu/constants.js';
import { encodeFrame, HostFrameReader, type SfuReadEvent } from '../../../src/protocols/sfu/frame.js';
import { encodeErasePart, encodeWriteReply } from '../../../src/protocols/sfu/commands.js';
import { pushInSlices, seededBytes } from './helpers.js';

const text = (s: string) => Buffer.from(s, 'latin1');
const erasePart = (n: number) => encodeFrame('device', SfuCode.ERASE_PART, encodeErasePart(n));

/** Joins neighbouring text events, which may be split differently depending on chunking. */
function normalise(events: SfuReadEvent[]): SfuReadEvent[] {
  const out: SfuReadEvent[] = [];
  for (const event of events) {
    const last = out[out.length - 1];
    if (event.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', text: last.text + event.text };
    else out.push(event);
  }
  return out;
}

function readAll(stream: Uint8Array, sliceSize = stream.length || 1): SfuReadEvent[] {
  const reader = new HostFrameReader();
  const events = pushInSlices(stream, sliceSize, (c) => reader.push(c));
  const rest = reader.flushText();
  if (rest) events.push({ type: 'text', text: rest });
  return normalise(events);
}

describe('HostFrameReader', () => {
  it('passes device text through, including words starting with E', () => {
    const reader = new HostFrameReader();
    expect(reader.push(text('ERROR packet: Code\nErase Error in address: 0x10010000\n'))).toEqual([{ type: 'text', text: 'ERROR packet: Code\nErase Error in address: 0x10010000\n' }]);
    expect(reader.heldBytes).toBe(0);
  });

  it('emits text at once and holds back only a trailing signature prefix', () => {
    const reader = new HostFrameReader();
    expect(reader.push(text('CRC OK\nE'))).toEqual([{ type: 'text', text: 'CRC OK\n' }]);
    expect(reader.heldBytes).toBe(1);
    expect(reader.push(Buffer.from([0xa3]))).toEqual([]);
    expect(reader.push(text('x'))).toEqual([{ type: 'text', text: 'E\xa3x' }]);
    expect(reader.push(text('abcE'))).toEqual([{ type: 'text', text: 'abc' }]);
    expect(reader.flushText()).toBe('E');
    expect(reader.heldBytes).toBe(0);
  });

  it('finds frames between text and E bytes, whatever the chunking', () => {
    const stream = Buffer.concat([text('E\nERROR: x\nEE'), erasePart(1), text('EEE'), Buffer.from([0x45, 0xa3, 0x7e]), erasePart(2), erasePart(3), text('erase sign block #1 DONE\nE')]);
    const expected: SfuReadEvent[] = [
      { type: 'text', text: 'E\nERROR: x\nEE' },
      { type: 'frame', code: SfuCode.ERASE_PART, body: encodeErasePart(1) },
      { type: 'text', text: 'EEEE\xa3~' },
      { type: 'frame', code: SfuCode.ERASE_PART, body: encodeErasePart(2) },
      { type: 'frame', code: SfuCode.ERASE_PART, body: encodeErasePart(3) },
      { type: 'text', text: 'erase sign block #1 DONE\nE' },
    ];
    expect(readAll(stream)).toEqual(expected);
    expect(readAll(stream, 1)).toEqual(expected);
    for (let split = 1; split < stream.length; split++) {
      const reader = new HostFrameReader();
      const events = [...reader.push(stream.subarray(0, split)), ...reader.push(stream.subarray(split))];
      events.push({ type: 'text', text: reader.flushText() });
      expect(normalise(events.filter((e) => e.type !== 'text' || e.text !== ''))).toEqual(expected);
    }
  });

  it('reports a frame with a bad CRC and still reads the good one after it', () => {
    const bad = encodeFrame('device', SfuCode.WRITE, encodeWriteReply({ nextAddr: 0x10010800, rxBacklog: 0 }));
    bad[bad.length - 1]! ^= 0x01;
    const good = encodeFrame('device', SfuCode.WRITE, encodeWriteReply({ nextAddr: 0x10011000, rxBacklog: 4 }));
    for (const slice of [1, 3, 1000]) {
      const events = readAll(Buffer.concat([text('a'), bad, good, text('b')]), slice);
      expect(events).toHaveLength(4);
      expect(events[0]).toEqual({ type: 'text', text: 'a' });
      expect(events[1]).toMatchObject({ type: 'bad-frame', bytes: bad });
      expect((events[1] as { reason: string }).reason).toMatch(/^crc/);
      expect(events[2]).toEqual({ type: 'frame', code: SfuCode.WRITE, body: encodeWriteReply({ nextAddr: 0x10011000, rxBacklog: 4 }) });
      expect(events[3]).toEqual({ type: 'text', text: 'b' });
    }
  });

  it('resumes right after a bad signature so a frame hidden inside is found', () => {
    // The first signature's "header" is the second signature: inverted code check fails.
    const stream = Buffer.concat([Buffer.from([0x45, 0xa3, 0x7e, 0x81]), erasePart(7)]);
    const events = readAll(stream, 1);
    expect(events.map((e) => e.type)).toEqual(['bad-frame', 'frame']);
    expect((events[0] as { reason: string }).reason).toMatch(/^code/);
    expect(events[1]).toEqual({ type: 'frame', code: SfuCode.ERASE_PART, body: encodeErasePart(7) });
  });

  it('rejects sizes a device cannot send', () => {
    const odd = Buffer.from([0x45, 0xa3, 0x7e, 0x81, 0x38, 0xc7, 0x06, 0x00]);
    const huge = Buffer.from([0x45, 0xa3, 0x7e, 0x81, 0x38, 0xc7, 0xf8, 0x0f]); // 4088
    for (const header of [odd, huge]) {
      const reader = new HostFrameReader();
      const events = reader.push(header);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'bad-frame', bytes: header });
      expect((events[0] as { reason: string }).reason).toMatch(/^size/);
    }
  });

  it('reads zero-size frames and large frames split into single bytes', () => {
    const big = seededBytes(11, 4084);
    const stream = Buffer.concat([encodeFrame('device', SfuCode.HWRESET), encodeFrame('device', 0x97, big)]);
    expect(readAll(stream, 1)).toEqual([
      { type: 'frame', code: SfuCode.HWRESET, body: Buffer.alloc(0) },
      { type: 'frame', code: 0x97, body: big },
    ]);
  });

  it('turns random garbage into text without losing a byte, and still finds frames in it', () => {
    const garbage = seededBytes(12, 20000);
    expect(garbage.indexOf(Buffer.from([0x45, 0xa3, 0x7e, 0x81]))).toBe(-1);
    expect(readAll(garbage, 97)).toEqual([{ type: 'text', text: garbage.toString('latin1') }]);

    const frame = erasePart(9);
    const mixed = Buffer.concat([garbage.subarray(0, 5000), frame, garbage.subarray(5000)]);
    const events = readAll(mixed, 1);
    expect(events).toEqual([
      { type: 'text', text: garbage.subarray(0, 5000).toString('latin1') },
      { type: 'frame', code: SfuCode.ERASE_PART, body: encodeErasePart(9) },
      { type: 'text', text: garbage.subarray(5000).toString('latin1') },
    ]);
  });

  it('ignores host-direction frames (they are not what a device sends)', () => {
    const hostFrame = encodeFrame('host', SfuCode.INFO);
    expect(readAll(hostFrame)).toEqual([{ type: 'text', text: hostFrame.toString('latin1') }]);
  });

  it('gives an unfinished frame back as text on flush', () => {
    const frame = erasePart(1);
    const reader = new HostFrameReader();
    expect(reader.push(frame.subarray(0, 10))).toEqual([]);
    expect(reader.flushText()).toBe(frame.subarray(0, 10).toString('latin1'));
    expect(reader.push(frame)).toEqual([{ type: 'frame', code: SfuCode.ERASE_PART, body: encodeErasePart(1) }]);
  });
});
