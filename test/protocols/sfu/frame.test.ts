import { describe, expect, it } from '@jest/globals';
import { DEVICE_SIGNATURE, HOST_SIGNATURE, MAX_BODY, SfuCode, sfuCodeName } from '../../../src/protocols/sfu/constants.js';
import { encodeEraseRequest, encodeErasePart, encodeInfoReply, encodeSpeedSet, encodeTimeoutBody, encodeWriteReply } from '../../../src/protocols/sfu/commands.js';
import { encodeFrame, frameLength } from '../../../src/protocols/sfu/frame.js';
import { hexBytes } from './helpers.js';

describe('constants', () => {
  it('has the command codes of the reference table', () => {
    expect(SfuCode).toEqual({
      INFO: 0x97,
      ERASE: 0xc5,
      ERASE_PART: 0xb3,
      WRITE: 0x38,
      START: 0x26,
      SPEED: 0x4b,
      TIMEOUT: 0xaa,
      WRERROR: 0x55,
      HWRESET: 0x11,
    });
  });

  it('names known codes and labels unknown ones in hex', () => {
    expect(sfuCodeName(0x97)).toBe('INFO');
    expect(sfuCodeName(0xb3)).toBe('ERASE_PART');
    expect(sfuCodeName(0x0a)).toBe('0x0A');
  });

  it('has the two signatures in wire order', () => {
    expect([...HOST_SIGNATURE]).toEqual([0x81, 0x7e, 0xa3, 0x45]);
    expect([...DEVICE_SIGNATURE]).toEqual([0x45, 0xa3, 0x7e, 0x81]);
  });
});

describe('encodeFrame reproduces every frame printed in the reference', () => {
  const cases: [string, Buffer, string][] = [
    [
      'INFO reply, RP2040 with slot A active',
      encodeFrame(
        'device',
        SfuCode.INFO,
        encodeInfoReply({
          deviceId: Buffer.from('RP2040_2Page', 'latin1'),
          cpuType: 0x20400040,
          slotKib: 1980,
          sfuVersion: 0x0200,
          rxBufferSize: 0x20000,
          mainStartFrom: 0x10210000,
          mainRunFrom: 0x10210100,
        }),
      ),
      '45 A3 7E 81 97 68 20 00 52 50 32 30 34 30 5F 32 50 61 67 65 40 00 40 20 BC 07 00 02 00 00 02 00 00 00 21 10 00 01 21 10 1D 77 2D 70',
    ],
    ['ERASE(0x1000) request', encodeFrame('host', SfuCode.ERASE, encodeEraseRequest(0x1000)), '81 7E A3 45 C5 3A 04 00 00 10 00 00 8B 4E 7D 13'],
    ['ERASE_PART #1', encodeFrame('device', SfuCode.ERASE_PART, encodeErasePart(1)), '45 A3 7E 81 B3 4C 04 00 01 00 00 00 07 F7 08 67'],
    [
      'WRITE reply (next 0x10210800, backlog 0)',
      encodeFrame('device', SfuCode.WRITE, encodeWriteReply({ nextAddr: 0x10210800, rxBacklog: 0 })),
      '45 A3 7E 81 38 C7 08 00 00 08 21 10 00 00 00 00 08 E9 B4 C1',
    ],
    ['empty WRITE (status poll)', encodeFrame('host', SfuCode.WRITE), '81 7E A3 45 38 C7 00 00 FD 97 3B C1'],
    ['HWRESET', encodeFrame('device', SfuCode.HWRESET), '45 A3 7E 81 11 EE 00 00 BA 65 23 03'],
    ['TIMEOUT', encodeFrame('device', SfuCode.TIMEOUT, encodeTimeoutBody()), '45 A3 7E 81 AA 55 04 00 00 00 00 00 B8 28 D6 9C'],
    ['SPEED set 2000000', encodeFrame('host', SfuCode.SPEED, encodeSpeedSet(2_000_000)), '81 7E A3 45 4B B4 04 00 80 84 1E 00 3D B8 FC 62'],
  ];

  it.each(cases)('%s', (_name, frame, expected) => {
    expect(frame.toString('hex')).toBe(hexBytes(expected).toString('hex'));
  });
});

describe('encodeFrame limits', () => {
  it('accepts the real maximum body of 4084 bytes', () => {
    expect(encodeFrame('host', SfuCode.WRITE, Buffer.alloc(MAX_BODY))).toHaveLength(frameLength(MAX_BODY));
    expect(frameLength(MAX_BODY)).toBe(4096);
  });

  it('rejects bodies that are too long or not whole words', () => {
    expect(() => encodeFrame('host', SfuCode.WRITE, Buffer.alloc(4088))).toThrow(RangeError);
    expect(() => encodeFrame('host', SfuCode.WRITE, Buffer.alloc(6))).toThrow(RangeError);
  });

  it('rejects codes that are not a byte', () => {
    expect(() => encodeFrame('host', 0x100)).toThrow(RangeError);
    expect(() => encodeFrame('host', -1)).toThrow(RangeError);
  });
});
