/**
 * Pieces of the frame layout (reference/sfu-protocol.md §1.2) that the encoder and both readers
 * must agree on. Kept apart from them so each reader can stay a pure state machine.
 *
 *   signature(4) | code | code^0xFF | size u16 LE | body(size) | CRC u32 LE
 */
import { sfuCrc } from './crc.js';

/** The CRC skips the signature: it starts at the code byte, and the 4 header bytes form one word. */
export function frameCrc(header: Uint8Array, body: Uint8Array): number {
  return sfuCrc(body, sfuCrc(header));
}

export function invertedCodeMatches(code: number, inverted: number): boolean {
  return ((code ^ 0xff) & 0xff) === inverted;
}
