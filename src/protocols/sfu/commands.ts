/**
 * Body codecs for each command (reference/sfu-protocol.md §2). All fields are u32/u16 LE.
 * Decoders for requests return undefined where the device silently ignores a body, so a twin
 * can mirror "no reply" without re-deriving the rule.
 */
import { MAX_BODY } from './constants.js';

function u32s(...values: number[]): Buffer {
  const body = Buffer.alloc(4 * values.length);
  values.forEach((value, i) => body.writeUInt32LE(value >>> 0, 4 * i));
  return body;
}

function expectLength(what: string, body: Uint8Array, length: number): Buffer {
  if (body.length !== length) {
    throw new Error(`${what}: expected a ${length}-byte body, got ${body.length} bytes`);
  }
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

// ---- INFO (0x97) -----------------------------------------------------------------------------

export const INFO_REPLY_LENGTH = 32;

export interface InfoReply {
  /** 12 bytes: "RP2040_2Page" on RP2040, the 96-bit unique ID on the F4. */
  deviceId: Buffer;
  cpuType: number;
  /** Usable slot (RP2040) or flash (F4) size, in KiB. */
  slotKib: number;
  sfuVersion: number;
  /** Device RX ring size: the host's in-flight byte budget. */
  rxBufferSize: number;
  /** MAIN_START_FROM: base of the slot the next ERASE targets (the inactive one, before ERASE). */
  mainStartFrom: number;
  /** MAIN_RUN_FROM: where the vector table of that slot lives. */
  mainRunFrom: number;
}

export function encodeInfoReply(info: InfoReply): Buffer {
  if (info.deviceId.length !== 12) {
    throw new RangeError(`encodeInfoReply: deviceId must be 12 bytes, got ${info.deviceId.length}`);
  }
  const body = Buffer.alloc(INFO_REPLY_LENGTH);
  body.set(info.deviceId, 0);
  body.writeUInt32LE(info.cpuType >>> 0, 12);
  body.writeUInt16LE(info.slotKib, 16);
  body.writeUInt16LE(info.sfuVersion, 18);
  body.writeUInt32LE(info.rxBufferSize >>> 0, 20);
  body.writeUInt32LE(info.mainStartFrom >>> 0, 24);
  body.writeUInt32LE(info.mainRunFrom >>> 0, 28);
  return body;
}

export function decodeInfoReply(body: Uint8Array): InfoReply {
  const b = expectLength('INFO reply', body, INFO_REPLY_LENGTH);
  return {
    deviceId: Buffer.from(b.subarray(0, 12)),
    cpuType: b.readUInt32LE(12),
    slotKib: b.readUInt16LE(16),
    sfuVersion: b.readUInt16LE(18),
    rxBufferSize: b.readUInt32LE(20),
    mainStartFrom: b.readUInt32LE(24),
    mainRunFrom: b.readUInt32LE(28),
  };
}

// ---- ERASE (0xC5) / ERASE_PART (0xB3) --------------------------------------------------------

export function encodeEraseRequest(size: number): Buffer {
  return u32s(size);
}

/** Firmware size, or undefined for any body that is not exactly 4 bytes (the device ignores it). */
export function decodeEraseRequest(body: Uint8Array): number | undefined {
  return body.length === 4 ? asBuffer(body).readUInt32LE(0) : undefined;
}

/** The ERASE reply echoes the request; an empty body means "size 0, nothing erased". */
export function encodeEraseReply(size?: number): Buffer {
  return size === undefined ? Buffer.alloc(0) : u32s(size);
}

export function decodeEraseReply(body: Uint8Array): number | undefined {
  if (body.length === 0) return undefined;
  return expectLength('ERASE reply', body, 4).readUInt32LE(0);
}

/** RP2040: 1-based count of 64 KiB blocks erased so far. F4: 0-based sector index. */
export function encodeErasePart(progress: number): Buffer {
  return u32s(progress);
}

export function decodeErasePart(body: Uint8Array): number {
  return expectLength('ERASE_PART', body, 4).readUInt32LE(0);
}

// ---- WRITE (0x38) ----------------------------------------------------------------------------

/** Most data one WRITE can carry; use multiples of 256 (WRITE_CHUNK) on RP2040, see §2.3. */
export const MAX_WRITE_DATA = MAX_BODY - 4;

export interface WriteRequest {
  /** Stream address: slot base + offset in the uploaded file. */
  addr: number;
  data: Buffer;
}

export function encodeWriteRequest(addr: number, data: Uint8Array): Buffer {
  if (data.length % 4 !== 0 || data.length > MAX_WRITE_DATA) {
    throw new RangeError(`encodeWriteRequest: data length ${data.length} must be a multiple of 4 and ≤ ${MAX_WRITE_DATA}`);
  }
  const body = Buffer.alloc(4 + data.length);
  body.writeUInt32LE(addr >>> 0, 0);
  body.set(data, 4);
  return body;
}

/** A WRITE of ≤ 4 bytes writes nothing and only asks for the status reply (a keep-alive). */
export function isWriteStatusPoll(body: Uint8Array): boolean {
  return body.length <= 4;
}

export function decodeWriteRequest(body: Uint8Array): WriteRequest {
  if (body.length < 4) {
    throw new Error(`WRITE request: expected at least 4 bytes (addr), got ${body.length} bytes`);
  }
  const b = asBuffer(body);
  return { addr: b.readUInt32LE(0), data: Buffer.from(b.subarray(4)) };
}

export interface WriteReply {
  /** Next stream address the device expects: the cumulative ack. */
  nextAddr: number;
  /** Bytes still unparsed in the device RX ring; informational only. */
  rxBacklog: number;
}

export function encodeWriteReply(reply: WriteReply): Buffer {
  return u32s(reply.nextAddr, reply.rxBacklog);
}

export function decodeWriteReply(body: Uint8Array): WriteReply {
  const b = expectLength('WRITE reply', body, 8);
  return { nextAddr: b.readUInt32LE(0), rxBacklog: b.readUInt32LE(4) };
}

// ---- START (0x26) ----------------------------------------------------------------------------

/** `crc`: SFU CRC of the whole uploaded stream exactly as sent (RP2040). */
export function encodeStartRequest(crc: number): Buffer {
  return u32s(crc);
}

/** Expected CRC, or undefined for any body that is not exactly 4 bytes (ignored by the device). */
export function decodeStartRequest(body: Uint8Array): number | undefined {
  return body.length === 4 ? asBuffer(body).readUInt32LE(0) : undefined;
}

export interface StartReply {
  slotBase: number;
  /** write_addr − slot base: bytes of stream accepted (wraps if there was no ERASE). */
  count: number;
  /** The device's running CRC; the host must compare it itself, there is no status code. */
  crc: number;
}

export function encodeStartReply(reply: StartReply): Buffer {
  return u32s(reply.slotBase, reply.count, reply.crc);
}

export function decodeStartReply(body: Uint8Array): StartReply {
  const b = expectLength('START reply', body, 12);
  return { slotBase: b.readUInt32LE(0), count: b.readUInt32LE(4), crc: b.readUInt32LE(8) };
}

// ---- SPEED (0x4B), RP2040 only ---------------------------------------------------------------

export const SPEED_MIN_BAUD = 1200;
export const SPEED_MAX_BAUD = 10_000_000;

export type SpeedRequest = { kind: 'get' } | { kind: 'set'; baud: number };
export type SpeedReply = { kind: 'current'; baud: number } | { kind: 'changed'; oldBaud: number; newBaud: number };

export function encodeSpeedGet(): Buffer {
  return Buffer.alloc(0);
}

export function encodeSpeedSet(baud: number): Buffer {
  return u32s(baud);
}

/** undefined for a body that is neither 0 nor 4 bytes: the device answers that with WRERROR. */
export function decodeSpeedRequest(body: Uint8Array): SpeedRequest | undefined {
  if (body.length === 0) return { kind: 'get' };
  if (body.length === 4) return { kind: 'set', baud: asBuffer(body).readUInt32LE(0) };
  return undefined;
}

/** 4 bytes = the current baud (get, or the confirmation at the new baud); 8 = (old, new). */
export function encodeSpeedReply(reply: SpeedReply): Buffer {
  return reply.kind === 'current' ? u32s(reply.baud) : u32s(reply.oldBaud, reply.newBaud);
}

export function decodeSpeedReply(body: Uint8Array): SpeedReply {
  const b = asBuffer(body);
  if (b.length === 4) return { kind: 'current', baud: b.readUInt32LE(0) };
  if (b.length === 8) return { kind: 'changed', oldBaud: b.readUInt32LE(0), newBaud: b.readUInt32LE(4) };
  throw new Error(`SPEED reply: expected a 4- or 8-byte body, got ${b.length} bytes`);
}

/** Baud rates the device will actually switch to; outside it, only the host would switch. */
export function isSpeedInRange(baud: number): boolean {
  return baud >= SPEED_MIN_BAUD && baud <= SPEED_MAX_BAUD;
}

// ---- device-only codes -----------------------------------------------------------------------

/** TIMEOUT (0xAA) always carries 4 zero bytes; WRERROR and HWRESET are always empty. */
export function encodeTimeoutBody(): Buffer {
  return Buffer.alloc(4);
}
