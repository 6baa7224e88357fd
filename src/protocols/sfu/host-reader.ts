/**
 * What a host reads from the device: frames and console text share one UART
 * (reference/sfu-protocol.md §1.2, §6). Everything that is not a valid device frame is text.
 */
import { DEVICE_SIGNATURE, FRAME_HEADER, FRAME_OVERHEAD, MAX_BODY } from './constants.js';
import { frameCrc, invertedCodeMatches } from './frame-format.js';
import { hex, hexDigits } from '../../core/hex.js';

export type SfuReadEvent = { type: 'frame'; code: number; body: Buffer } | { type: 'text'; text: string } | { type: 'bad-frame'; reason: string; bytes: Buffer };

const SIGNATURE = Buffer.from(DEVICE_SIGNATURE);

type Parse = { kind: 'incomplete' } | { kind: 'frame'; code: number; body: Buffer; length: number } | { kind: 'bad'; reason: string; length: number };

/**
 * Parses a frame whose signature sits at offset 0. The size limit is the one the device itself
 * could ever send (≤ MAX_BODY): a larger "size" means the signature bytes were a coincidence.
 */
function parseAtSignature(buf: Buffer): Parse {
  if (buf.length < FRAME_HEADER) return { kind: 'incomplete' };
  const code = buf[4]!;
  const inverted = buf[5]!;
  if (!invertedCodeMatches(code, inverted)) {
    return { kind: 'bad', reason: `code: ${hex(code & 0xff, { width: 2 })} with inverted code ${hex(inverted & 0xff, { width: 2 })}`, length: FRAME_HEADER };
  }
  const size = buf.readUInt16LE(6);
  if (size % 4 !== 0 || size > MAX_BODY) {
    return { kind: 'bad', reason: `size: ${size} (must be a multiple of 4, at most ${MAX_BODY})`, length: FRAME_HEADER };
  }
  const length = FRAME_OVERHEAD + size;
  if (buf.length < length) return { kind: 'incomplete' };
  const body = buf.subarray(FRAME_HEADER, FRAME_HEADER + size);
  const computed = frameCrc(buf.subarray(4, FRAME_HEADER), body);
  const received = buf.readUInt32LE(FRAME_HEADER + size);
  if (computed !== received) {
    return { kind: 'bad', reason: `crc: computed ${hexDigits(computed)}, received ${hexDigits(received)}`, length };
  }
  return { kind: 'frame', code, body: Buffer.from(body), length };
}

/** Length of the longest tail of `buf` that could still grow into a signature. */
function signaturePrefixAtEnd(buf: Buffer): number {
  for (let k = Math.min(SIGNATURE.length - 1, buf.length); k > 0; k--) {
    if (buf.subarray(buf.length - k).equals(SIGNATURE.subarray(0, k))) return k;
  }
  return 0;
}

/**
 * Splits the device→host byte stream into frames and text, across arbitrary chunk boundaries.
 *
 * Text is decoded as latin1 (one char per byte): the device prints ASCII, and a byte-exact
 * mapping cannot be broken by a chunk boundary the way a split UTF-8 sequence would be.
 *
 * A rejected frame is reported once, with its bytes; those bytes are then not repeated as text,
 * but hunting resumes one byte after its signature so that a real frame inside is still found.
 */
export class HostFrameReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Leading bytes of `pending` already reported inside a bad-frame event. */
  private muted = 0;

  push(chunk: Uint8Array): SfuReadEvent[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const events: SfuReadEvent[] = [];
    while (this.step(events));
    return events;
  }

  /** Gives up on whatever is held back (a signature prefix or an unfinished frame) as text. */
  flushText(): string {
    const text = this.pending.subarray(Math.min(this.muted, this.pending.length)).toString('latin1');
    this.pending = Buffer.alloc(0);
    this.muted = 0;
    return text;
  }

  /** Bytes received but not yet turned into events. */
  get heldBytes(): number {
    return this.pending.length;
  }

  /** Resolves what it can at the front of `pending`; false when it must wait for more bytes. */
  private step(events: SfuReadEvent[]): boolean {
    const start = this.pending.indexOf(SIGNATURE);
    if (start < 0) {
      this.consumeAsText(events, this.pending.length - signaturePrefixAtEnd(this.pending));
      return false;
    }
    this.consumeAsText(events, start);
    const parsed = parseAtSignature(this.pending);
    switch (parsed.kind) {
      case 'incomplete':
        return false;
      case 'frame':
        events.push({ type: 'frame', code: parsed.code, body: parsed.body });
        this.consume(parsed.length);
        return true;
      case 'bad':
        events.push({ type: 'bad-frame', reason: parsed.reason, bytes: Buffer.from(this.pending.subarray(0, parsed.length)) });
        this.muted = Math.max(this.muted, parsed.length);
        this.consume(1);
        return true;
    }
  }

  private consumeAsText(events: SfuReadEvent[], count: number): void {
    if (count <= 0) return;
    const text = this.pending.subarray(Math.min(this.muted, count), count).toString('latin1');
    this.consume(count);
    if (text.length === 0) return;
    const last = events[events.length - 1];
    if (last?.type === 'text') last.text += text;
    else events.push({ type: 'text', text });
  }

  private consume(count: number): void {
    this.pending = this.pending.subarray(count);
    this.muted = Math.max(0, this.muted - count);
  }
}
