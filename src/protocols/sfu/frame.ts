/** Building frames, plus the two directions' readers (reference/sfu-protocol.md §1.2). */
import { DEVICE_SIGNATURE, FRAME_HEADER, FRAME_OVERHEAD, HOST_SIGNATURE, MAX_BODY } from './constants.js';
import { frameCrc } from './frame-format.js';

export { frameCrc } from './frame-format.js';
export { HostFrameReader, type SfuReadEvent } from './host-reader.js';
export { DeviceFrameReceiver, type DeviceRxEvent, type DeviceRxErrorKind, type DeviceRxStats } from './device-receiver.js';

/** 'host' = a frame the host sends (host→device signature); 'device' = one the device sends. */
export type SfuDirection = 'host' | 'device';

const EMPTY = new Uint8Array(0);

/**
 * One complete frame. The limits are the ones a real device enforces (body ≤ 4084, whole words),
 * so a twin or a host built on this can never emit something the hardware would drop.
 */
export function encodeFrame(direction: SfuDirection, code: number, body: Uint8Array = EMPTY): Buffer {
  if (!Number.isInteger(code) || code < 0 || code > 0xff) {
    throw new RangeError(`encodeFrame: code ${code} is not a byte`);
  }
  if (body.length % 4 !== 0) {
    throw new RangeError(`encodeFrame: body length ${body.length} is not a multiple of 4`);
  }
  if (body.length > MAX_BODY) {
    throw new RangeError(`encodeFrame: body length ${body.length} exceeds ${MAX_BODY}`);
  }
  const frame = Buffer.alloc(FRAME_OVERHEAD + body.length);
  frame.set(direction === 'host' ? HOST_SIGNATURE : DEVICE_SIGNATURE, 0);
  frame[4] = code;
  frame[5] = code ^ 0xff;
  frame.writeUInt16LE(body.length, 6);
  frame.set(body, FRAME_HEADER);
  frame.writeUInt32LE(frameCrc(frame.subarray(4, FRAME_HEADER), body), FRAME_HEADER + body.length);
  return frame;
}

/** Bytes on the wire for a body of `bodyLength` bytes. */
export function frameLength(bodyLength: number): number {
  return FRAME_OVERHEAD + bodyLength;
}
