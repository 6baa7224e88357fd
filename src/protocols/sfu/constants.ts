/** Protocol numbers shared by host and device (reference/sfu-protocol.md §1, §2). */
import { hex } from '../../core/hex.js';

export const SfuCode = {
  INFO: 0x97,
  ERASE: 0xc5,
  ERASE_PART: 0xb3,
  WRITE: 0x38,
  START: 0x26,
  SPEED: 0x4b,
  TIMEOUT: 0xaa,
  WRERROR: 0x55,
  HWRESET: 0x11,
} as const;
export type SfuCodeName = keyof typeof SfuCode;
export type SfuCodeValue = (typeof SfuCode)[SfuCodeName];

const NAMES = new Map<number, SfuCodeName>(Object.entries(SfuCode).map(([name, code]) => [code, name as SfuCodeName]));

/** Name for logs; unknown codes still get a stable label because the device accepts them too. */
export function sfuCodeName(code: number): string {
  return NAMES.get(code) ?? hex(code & 0xff, { width: 2 });
}

/** Signature of frames the host sends (the device matches 0x817EA345 shifted in MSB first). */
export const HOST_SIGNATURE: Readonly<Uint8Array> = Uint8Array.of(0x81, 0x7e, 0xa3, 0x45);
/** Signature of frames the device sends. Its first byte is ASCII 'E', hence the text ambiguity. */
export const DEVICE_SIGNATURE: Readonly<Uint8Array> = Uint8Array.of(0x45, 0xa3, 0x7e, 0x81);

/** Largest body the device really accepts: 4088 passes the size check but trips "Overfull". */
export const MAX_BODY = 4084;
/** The device's own size check (buffer 4096 - header 4 - CRC 4). */
export const DEVICE_SIZE_LIMIT = 4088;
/** Device packet buffer; header + body + CRC reaching this size is "Overfull". */
export const RX_BUFFER = 4096;
/** Signature + code + ~code + size. */
export const FRAME_HEADER = 8;
/** Header plus trailing CRC. */
export const FRAME_OVERHEAD = 12;

export const PACKET_TIMEOUT_MS = 500;
/** Timeouts the main loop lets accumulate before it tries to boot the app (~2 s of idle). */
export const BOOT_WINDOW_TIMEOUTS = 4;
/** The device cuts WRITE data into chunks of this size (padding the last with 0xFF). */
export const WRITE_CHUNK = 256;
export const DEFAULT_BAUD = 921600;
export const SFU_VER_RP2040 = 0x0200;
export const SFU_VER_F4 = 0x0100;
