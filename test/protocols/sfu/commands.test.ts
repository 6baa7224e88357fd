import { describe, expect, it } from '@jest/globals';
import * as cmd from '../../../src/protocols/sfu/commands.js';
import { hexBytes } from './helpers.js';

describe('INFO', () => {
  const body = hexBytes('52 50 32 30 34 30 5F 32 50 61 67 65 40 00 40 20 BC 07 00 02 00 00 02 00 00 00 21 10 00 01 21 10');

  it('decodes the reference RP2040 reply', () => {
    expect(cmd.decodeInfoReply(body)).toEqual({
      deviceId: Buffer.from('RP2040_2Page', 'latin1'),
      cpuType: 0x20400040,
      slotKib: 1980,
      sfuVersion: 0x0200,
      rxBufferSize: 0x20000,
      mainStartFrom: 0x10210000,
      mainRunFrom: 0x10210100,
    });
  });

  it('round-trips', () => {
    expect(cmd.encodeInfoReply(cmd.decodeInfoReply(body))).toEqual(body);
  });

  it('says it wants 32 bytes when the length is wrong', () => {
    expect(() => cmd.decodeInfoReply(body.subarray(0, 28))).toThrow(/32-byte.*28/);
  });

  it('refuses a device id that is not 12 bytes', () => {
    expect(() => cmd.encodeInfoReply({ ...cmd.decodeInfoReply(body), deviceId: Buffer.alloc(11) })).toThrow(RangeError);
  });
});

describe('ERASE and ERASE_PART', () => {
  it('encodes the size little-endian and decodes it back', () => {
    expect(cmd.encodeEraseRequest(0x1000)).toEqual(hexBytes('00 10 00 00'));
    expect(cmd.decodeEraseRequest(hexBytes('78 56 34 12'))).toBe(0x12345678);
    expect(cmd.decodeEraseRequest(cmd.encodeEraseRequest(0xffffffff))).toBe(0xffffffff);
  });

  it('gives undefined for bodies the device ignores', () => {
    expect(cmd.decodeEraseRequest(Buffer.alloc(0))).toBeUndefined();
    expect(cmd.decodeEraseRequest(Buffer.alloc(3))).toBeUndefined();
    expect(cmd.decodeEraseRequest(Buffer.alloc(8))).toBeUndefined();
  });

  it('reads the ERASE reply echo, empty meaning nothing was erased', () => {
    expect(cmd.decodeEraseReply(cmd.encodeEraseReply(0x20000))).toBe(0x20000);
    expect(cmd.encodeEraseReply()).toHaveLength(0);
    expect(cmd.decodeEraseReply(Buffer.alloc(0))).toBeUndefined();
    expect(() => cmd.decodeEraseReply(Buffer.alloc(2))).toThrow(/4-byte/);
  });

  it('reads ERASE_PART progress', () => {
    expect(cmd.decodeErasePart(hexBytes('01 00 00 00'))).toBe(1);
    expect(cmd.decodeErasePart(cmd.encodeErasePart(31))).toBe(31);
    expect(() => cmd.decodeErasePart(Buffer.alloc(0))).toThrow(/4-byte/);
  });
});

describe('WRITE', () => {
  it('puts the stream address before the data', () => {
    const data = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const body = cmd.encodeWriteRequest(0x10210800, data);
    expect(body).toEqual(hexBytes('00 08 21 10 01 02 03 04 05 06 07 08'));
    expect(cmd.decodeWriteRequest(body)).toEqual({ addr: 0x10210800, data });
  });

  it('refuses data the device could not take', () => {
    expect(() => cmd.encodeWriteRequest(0, Buffer.alloc(6))).toThrow(RangeError);
    expect(() => cmd.encodeWriteRequest(0, Buffer.alloc(cmd.MAX_WRITE_DATA + 4))).toThrow(RangeError);
    expect(cmd.encodeWriteRequest(0, Buffer.alloc(cmd.MAX_WRITE_DATA))).toHaveLength(4084);
  });

  it('treats bodies of 4 bytes or less as status polls', () => {
    expect(cmd.isWriteStatusPoll(Buffer.alloc(0))).toBe(true);
    expect(cmd.isWriteStatusPoll(Buffer.alloc(4))).toBe(true);
    expect(cmd.isWriteStatusPoll(Buffer.alloc(8))).toBe(false);
    expect(() => cmd.decodeWriteRequest(Buffer.alloc(2))).toThrow(/at least 4/);
  });

  it('codes the reply as next address then backlog', () => {
    const body = cmd.encodeWriteReply({ nextAddr: 0x10210800, rxBacklog: 0x1234 });
    expect(body).toEqual(hexBytes('00 08 21 10 34 12 00 00'));
    expect(cmd.decodeWriteReply(body)).toEqual({ nextAddr: 0x10210800, rxBacklog: 0x1234 });
    expect(() => cmd.decodeWriteReply(Buffer.alloc(4))).toThrow(/8-byte/);
  });
});

describe('START', () => {
  it('codes the expected CRC and ignores other lengths', () => {
    expect(cmd.encodeStartRequest(0xfefc54f9)).toEqual(hexBytes('F9 54 FC FE'));
    expect(cmd.decodeStartRequest(hexBytes('F9 54 FC FE'))).toBe(0xfefc54f9);
    expect(cmd.decodeStartRequest(Buffer.alloc(0))).toBeUndefined();
    expect(cmd.decodeStartRequest(Buffer.alloc(8))).toBeUndefined();
  });

  it('codes the 12-byte reply', () => {
    const reply = { slotBase: 0x10210000, count: 0x800, crc: 0xdeadbeef };
    const body = cmd.encodeStartReply(reply);
    expect(body).toEqual(hexBytes('00 00 21 10 00 08 00 00 EF BE AD DE'));
    expect(cmd.decodeStartReply(body)).toEqual(reply);
    expect(() => cmd.decodeStartReply(Buffer.alloc(8))).toThrow(/12-byte/);
  });
});

describe('SPEED', () => {
  it('tells get from set and rejects other lengths', () => {
    expect(cmd.decodeSpeedRequest(cmd.encodeSpeedGet())).toEqual({ kind: 'get' });
    expect(cmd.decodeSpeedRequest(cmd.encodeSpeedSet(2_000_000))).toEqual({ kind: 'set', baud: 2_000_000 });
    expect(cmd.decodeSpeedRequest(Buffer.alloc(8))).toBeUndefined();
  });

  it('codes both reply shapes', () => {
    expect(cmd.encodeSpeedReply({ kind: 'current', baud: 921600 })).toEqual(hexBytes('00 10 0E 00'));
    const changed = cmd.encodeSpeedReply({ kind: 'changed', oldBaud: 921600, newBaud: 2_000_000 });
    expect(changed).toEqual(hexBytes('00 10 0E 00 80 84 1E 00'));
    expect(cmd.decodeSpeedReply(changed)).toEqual({ kind: 'changed', oldBaud: 921600, newBaud: 2_000_000 });
    expect(cmd.decodeSpeedReply(hexBytes('00 10 0E 00'))).toEqual({ kind: 'current', baud: 921600 });
    expect(() => cmd.decodeSpeedReply(Buffer.alloc(0))).toThrow(/4- or 8-byte/);
  });

  it('knows the range the device accepts', () => {
    expect(cmd.isSpeedInRange(1200)).toBe(true);
    expect(cmd.isSpeedInRange(10_000_000)).toBe(true);
    expect(cmd.isSpeedInRange(1199)).toBe(false);
    expect(cmd.isSpeedInRange(10_000_001)).toBe(false);
  });
});

it('TIMEOUT carries four zero bytes', () => {
  expect(cmd.encodeTimeoutBody()).toEqual(Buffer.alloc(4));
});
