/**
 * The device's packet receiver, byte-faithful (reference/sfu-protocol.md §1.4), for the twin.
 * Quirks are kept on purpose: the twin must fail exactly where the hardware fails.
 */
import { DEVICE_SIZE_LIMIT, HOST_SIGNATURE, RX_BUFFER } from './constants.js';
import { frameCrc, invertedCodeMatches } from './frame-format.js';
import { hexDigits } from '../../core/hex.js';

export type DeviceRxErrorKind = 'code' | 'size' | 'crc' | 'overfull';

export type DeviceRxEvent =
  | { type: 'packet'; code: number; body: Buffer }
  /** `text` is exactly what the device prints to its console for this error. */
  | { type: 'error'; kind: DeviceRxErrorKind; text: string };

export interface DeviceRxStats {
  /** Bytes skipped while hunting (the signature's own first 3 bytes are taken back on a match). */
  startHuntBytes: number;
  codeErrors: number;
  sizeErrors: number;
  crcErrors: number;
  overfull: number;
  goodPackets: number;
  /** Counted by timeout(); the receiver itself has no clock. */
  timeouts: number;
}

/** The device's signature register value: bytes 81 7E A3 45 shifted in MSB first. */
const SIGNATURE_WORD = HOST_SIGNATURE.reduce((word, byte) => ((word << 8) | byte) >>> 0, 0);
const HEADER_BYTES = 4;
const CRC_BYTES = 4;

type Stage = 'hunt' | 'header' | 'body' | 'crc';

const ERROR_LINE: Record<DeviceRxErrorKind, string> = {
  code: 'ERROR packet: Code\n',
  size: 'ERROR packet: Size\n',
  crc: 'ERROR packet: CRC\n',
  overfull: 'ERROR packet: Overfull\n',
};

const ERROR_COUNTER = {
  code: 'codeErrors',
  size: 'sizeErrors',
  crc: 'crcErrors',
  overfull: 'overfull',
} as const satisfies Record<DeviceRxErrorKind, keyof DeviceRxStats>;

export class DeviceFrameReceiver {
  private stage: Stage = 'hunt';
  /**
   * The 32-bit hunt register. Like the device, it survives reset(): a signature split by a
   * timeout still matches, and stale contents can never fake one (the signature has no border).
   */
  private shiftRegister = 0;
  /** Header + body + CRC, as the device buffers them (the signature is not stored). */
  private readonly buf = Buffer.alloc(RX_BUFFER);
  private fill = 0;
  private stillNeeded = 0;
  private bodySize = 0;
  private completions = 0;
  private readonly counters: DeviceRxStats = {
    startHuntBytes: 0,
    codeErrors: 0,
    sizeErrors: 0,
    crcErrors: 0,
    overfull: 0,
    goodPackets: 0,
    timeouts: 0,
  };

  /**
   * Feeds received bytes. Any returned event is a completion: the caller restarts its 500 ms
   * packet timer on each one (errors included), never on garbage that stays in the hunt.
   */
  push(chunk: Uint8Array): DeviceRxEvent[] {
    const events: DeviceRxEvent[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.stage === 'hunt') {
        this.hunt(chunk[i]!);
        i += 1;
        continue;
      }
      const take = Math.min(this.stillNeeded, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + take), this.fill);
      this.fill += take;
      this.stillNeeded -= take;
      i += take;
      if (this.stillNeeded === 0) {
        const event = this.stageComplete();
        if (event) {
          this.completions += 1;
          events.push(event);
        }
      }
    }
    return events;
  }

  /** Back to hunting, dropping a partial packet (what the device does on its packet timeout). */
  reset(): void {
    this.stage = 'hunt';
    this.fill = 0;
    this.stillNeeded = 0;
  }

  /** The device's timeout path: count it, then reset the parser. */
  timeout(): void {
    this.counters.timeouts += 1;
    this.reset();
  }

  /** Packets plus receive errors so far: if it changed across a push(), restart the timer. */
  get completedCount(): number {
    return this.completions;
  }

  get stats(): Readonly<DeviceRxStats> {
    return { ...this.counters };
  }

  /** True while part of a packet (after a signature) is buffered. */
  get inPacket(): boolean {
    return this.stage !== 'hunt';
  }

  private hunt(byte: number): void {
    this.shiftRegister = ((this.shiftRegister << 8) | byte) >>> 0;
    if (this.shiftRegister === SIGNATURE_WORD) {
      // The 3 earlier signature bytes were counted as garbage; the device takes them back.
      this.counters.startHuntBytes = (this.counters.startHuntBytes - 3) >>> 0;
      this.expect('header', HEADER_BYTES);
      this.fill = 0;
    } else {
      this.counters.startHuntBytes = (this.counters.startHuntBytes + 1) >>> 0;
    }
  }

  private expect(stage: Stage, bytes: number): void {
    this.stage = stage;
    this.stillNeeded = bytes;
  }

  /**
   * The device checks for a full buffer after every read, before looking at what it read. Only
   * a 4088-byte body reaches 4096 (at its CRC), so the largest "legal" size is always rejected.
   */
  private stageComplete(): DeviceRxEvent | undefined {
    if (this.fill >= RX_BUFFER) return this.fail('overfull');
    switch (this.stage) {
      case 'header':
        return this.headerComplete();
      case 'body':
        this.expect('crc', CRC_BYTES);
        return undefined;
      case 'crc':
        return this.crcComplete();
      default:
        return undefined;
    }
  }

  private headerComplete(): DeviceRxEvent | undefined {
    if (!invertedCodeMatches(this.buf[0]!, this.buf[1]!)) return this.fail('code');
    const size = this.buf.readUInt16LE(2);
    if (size > DEVICE_SIZE_LIMIT || size % 4 !== 0) return this.fail('size');
    this.bodySize = size;
    if (size > 0) this.expect('body', size);
    else this.expect('crc', CRC_BYTES);
    return undefined;
  }

  private crcComplete(): DeviceRxEvent {
    const bodyEnd = HEADER_BYTES + this.bodySize;
    const body = this.buf.subarray(HEADER_BYTES, bodyEnd);
    const computed = frameCrc(this.buf.subarray(0, HEADER_BYTES), body);
    const received = this.buf.readUInt32LE(bodyEnd);
    if (computed !== received) {
      return this.fail('crc', `CRC ERROR:\t${hexDigits(computed)}\t${hexDigits(received)}\n`);
    }
    this.counters.goodPackets += 1;
    const packet: DeviceRxEvent = { type: 'packet', code: this.buf[0]!, body: Buffer.from(body) };
    this.reset();
    return packet;
  }

  /** Every error drops the packet and goes back to hunting; the device sends no NAK. */
  private fail(kind: DeviceRxErrorKind, printedBefore = ''): DeviceRxEvent {
    this.counters[ERROR_COUNTER[kind]] += 1;
    this.reset();
    return { type: 'error', kind, text: printedBefore + ERROR_LINE[kind] };
  }
}
