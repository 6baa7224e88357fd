import { describe, expect, it } from '@jest/globals';
import { SfuCode } from '../../../src/protocols/sfu/constants.js';
import { sfuCrc } from '../../../src/protocols/sfu/crc.js';
import { DeviceFrameReceiver, encodeFrame, type DeviceRxEvent } from '../../../src/protocols/sfu/frame.js';
import { encodeEraseRequest } from '../../../src/protocols/sfu/commands.js';
import { pushInSlices, seededBytes } from './helpers.js';

const SIG = [0x81, 0x7e, 0xa3, 0x45];

/** A host frame with any header, bypassing encodeFrame's limits; the CRC is made valid. */
function rawFrame(code: number, inverted: number, size: number, body: Uint8Array): Buffer {
  const header = Buffer.from([code, inverted, size & 0xff, size >> 8]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(sfuCrc(body, sfuCrc(header)));
  return Buffer.concat([Buffer.from(SIG), header, body, crc]);
}

function receive(stream: Uint8Array, slice = stream.length || 1): { rx: DeviceFrameReceiver; events: DeviceRxEvent[] } {
  const rx = new DeviceFrameReceiver();
  return { rx, events: pushInSlices(stream, slice, (c) => rx.push(c)) };
}

describe('DeviceFrameReceiver', () => {
  it('accepts a packet, byte by byte or at once', () => {
    const frame = encodeFrame('host', SfuCode.ERASE, encodeEraseRequest(0x1000));
    for (const slice of [1, 5, frame.length]) {
      const { rx, events } = receive(frame, slice);
      expect(events).toEqual([{ type: 'packet', code: SfuCode.ERASE, body: encodeEraseRequest(0x1000) }]);
      expect(rx.completedCount).toBe(1);
      expect(rx.stats).toMatchObject({ goodPackets: 1, startHuntBytes: 0 });
    }
  });

  it('accepts a zero-size packet', () => {
    const { events } = receive(encodeFrame('host', SfuCode.INFO), 1);
    expect(events).toEqual([{ type: 'packet', code: SfuCode.INFO, body: Buffer.alloc(0) }]);
  });

  it('accepts codes it does not know (the dispatcher ignores them later)', () => {
    const { events } = receive(encodeFrame('host', SfuCode.HWRESET));
    expect(events).toEqual([{ type: 'packet', code: SfuCode.HWRESET, body: Buffer.alloc(0) }]);
  });

  it('counts garbage as hunt bytes without completing anything', () => {
    const garbage = Buffer.from('hello E\x81\x7e');
    const { rx, events } = receive(Buffer.concat([garbage, encodeFrame('host', SfuCode.INFO)]));
    expect(events).toHaveLength(1);
    expect(rx.stats.startHuntBytes).toBe(garbage.length);
    const idle = new DeviceFrameReceiver();
    expect(idle.push(garbage)).toEqual([]);
    expect(idle.completedCount).toBe(0);
  });

  it('rejects a bad inverted code and then reads the next packet', () => {
    const { rx, events } = receive(Buffer.concat([Buffer.from([...SIG, 0x97, 0x00, 0x00, 0x00]), encodeFrame('host', SfuCode.INFO)]), 1);
    expect(events).toEqual([
      { type: 'error', kind: 'code', text: 'ERROR packet: Code\n' },
      { type: 'packet', code: SfuCode.INFO, body: Buffer.alloc(0) },
    ]);
    expect(rx.stats).toMatchObject({ codeErrors: 1, goodPackets: 1 });
    expect(rx.completedCount).toBe(2);
  });

  it.each([6, 4092, 0xfffc])('rejects size %i', (size) => {
    const { rx, events } = receive(Buffer.from([...SIG, 0x38, 0xc7, size & 0xff, size >> 8]));
    expect(events).toEqual([{ type: 'error', kind: 'size', text: 'ERROR packet: Size\n' }]);
    expect(rx.stats.sizeErrors).toBe(1);
  });

  it('rejects a 4088-byte body as Overfull, only once its CRC has arrived', () => {
    const frame = rawFrame(0x38, 0xc7, 4088, seededBytes(21, 4088));
    const rx = new DeviceFrameReceiver();
    expect(rx.push(frame.subarray(0, frame.length - 1))).toEqual([]);
    expect(rx.push(frame.subarray(frame.length - 1))).toEqual([{ type: 'error', kind: 'overfull', text: 'ERROR packet: Overfull\n' }]);
    expect(rx.stats).toMatchObject({ overfull: 1, goodPackets: 0, sizeErrors: 0 });
    expect(rx.push(encodeFrame('host', SfuCode.INFO))).toHaveLength(1);
  });

  it('accepts the real maximum body of 4084 bytes', () => {
    const body = seededBytes(22, 4084);
    const { events } = receive(encodeFrame('host', SfuCode.WRITE, body), 1);
    expect(events).toEqual([{ type: 'packet', code: SfuCode.WRITE, body }]);
  });

  it('prints both CRC lines with the computed and the received value', () => {
    const frame = encodeFrame('host', SfuCode.WRITE); // CRC C13B97FD
    frame.writeUInt32LE(0x0000abcd, frame.length - 4);
    const { rx, events } = receive(Buffer.concat([frame, encodeFrame('host', SfuCode.INFO)]));
    expect(events).toEqual([
      { type: 'error', kind: 'crc', text: 'CRC ERROR:\tC13B97FD\t0000ABCD\nERROR packet: CRC\n' },
      { type: 'packet', code: SfuCode.INFO, body: Buffer.alloc(0) },
    ]);
    expect(rx.stats.crcErrors).toBe(1);
  });

  it('loses a packet whose signature is doubled, as the device does', () => {
    // The second signature is consumed as the header: code 0x81/0x7E is valid, size 0x45A3 is not.
    const { events } = receive(Buffer.concat([Buffer.from(SIG), encodeFrame('host', SfuCode.INFO)]));
    expect(events).toEqual([{ type: 'error', kind: 'size', text: 'ERROR packet: Size\n' }]);
  });

  it('drops a partial packet on timeout and counts the timeout', () => {
    const rx = new DeviceFrameReceiver();
    const erase = encodeFrame('host', SfuCode.ERASE, encodeEraseRequest(4));
    expect(rx.push(erase.subarray(0, 10))).toEqual([]);
    expect(rx.inPacket).toBe(true);
    rx.timeout();
    expect(rx.inPacket).toBe(false);
    expect(rx.push(encodeFrame('host', SfuCode.INFO))).toEqual([{ type: 'packet', code: SfuCode.INFO, body: Buffer.alloc(0) }]);
    expect(rx.stats).toMatchObject({ timeouts: 1, goodPackets: 1 });
    expect(rx.completedCount).toBe(1);
  });

  it('keeps the hunt register across reset, like the device', () => {
    const rx = new DeviceFrameReceiver();
    rx.push(Buffer.from([0x81, 0x7e]));
    rx.reset();
    const rest = encodeFrame('host', SfuCode.INFO).subarray(2);
    expect(rx.push(rest)).toEqual([{ type: 'packet', code: SfuCode.INFO, body: Buffer.alloc(0) }]);
  });

  it('handles a long mixed stream in 1-byte pushes with consistent stats', () => {
    const parts = [Buffer.from('junk'), encodeFrame('host', SfuCode.WRITE, seededBytes(23, 2052)), Buffer.from([...SIG, 0x26, 0x26, 0, 0]), encodeFrame('host', SfuCode.START, Buffer.alloc(4))];
    const { rx, events } = receive(Buffer.concat(parts), 1);
    expect(events.map((e) => (e.type === 'packet' ? e.code : e.kind))).toEqual([SfuCode.WRITE, 'code', SfuCode.START]);
    expect(rx.stats).toMatchObject({ startHuntBytes: 4, goodPackets: 2, codeErrors: 1 });
  });
});
