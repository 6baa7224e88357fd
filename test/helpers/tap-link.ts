/**
 * A ByteLink wrapper for tests: records every host frame on the wire (code, time), and can drop
 * or corrupt host->device frames, corrupt device->host WRITE replies, black-hole a direction, or
 * inject garbage bytes between device frames. Decisions come from plain functions, so a test's
 * schedule is deterministic (seed it, or count).
 */
import type { Clock } from '../../src/core/clock.js';
import { Listeners, type ByteLink } from '../../src/drivers/console/byte-link.js';
import { DEVICE_SIGNATURE, HOST_SIGNATURE, SfuCode, frameCrc } from '../../src/protocols/sfu/index.js';

export type HostFate = 'pass' | 'drop' | 'corrupt' | 'forge';

export interface TapPlan {
  /**
   * Fate of each host frame. 'corrupt' flips a body bit (the device sees a CRC error); 'forge'
   * flips a data bit and fixes the CRC up (the device accepts wrong data).
   */
  host?(frame: { code: number; index: number; codeIndex: number; bytes: Buffer }): HostFate;
  /** Fate of each device WRITE reply found whole in one chunk: 'corrupt' breaks its CRC, 'drop' removes it. */
  reply?(index: number): 'pass' | 'corrupt' | 'drop';
  /** Bytes to insert before a device chunk that starts a frame (between frames), or undefined. */
  garbage?(index: number): Buffer | undefined;
}

export interface SentFrame {
  t: number;
  code: number;
  fate: HostFate;
  length: number;
}

export interface TapLink extends ByteLink {
  readonly sent: SentFrame[];
  /** Host frames with this code that were written (whatever their fate). */
  count(code: number): number;
  /** Host frames written after clock time `t`. */
  sentAfter(t: number): SentFrame[];
  readonly repliesTampered: number;
  readonly garbageBytes: number;
}

const REPLY_HEAD = Buffer.from([...DEVICE_SIGNATURE, SfuCode.WRITE, SfuCode.WRITE ^ 0xff, 8, 0]);
const REPLY_LENGTH = 20;

export function tapLink(inner: ByteLink, clock: Clock, plan: TapPlan = {}): TapLink {
  const sent: SentFrame[] = [];
  const perCode = new Map<number, number>();
  const data = new Listeners<Buffer>();
  let replies = 0;
  let repliesTampered = 0;
  let frameStarts = 0;
  let garbageBytes = 0;

  inner.onData((chunk) => {
    let out = chunk;
    if (chunk.subarray(0, 4).equals(Buffer.from(DEVICE_SIGNATURE))) {
      const g = plan.garbage?.(frameStarts++);
      if (g?.length) {
        garbageBytes += g.length;
        data.emit(Buffer.from(g));
      }
    }
    if (plan.reply) {
      let at = out.indexOf(REPLY_HEAD);
      while (at >= 0 && at + REPLY_LENGTH <= out.length) {
        const fate = plan.reply(replies++);
        if (fate === 'corrupt') {
          out = Buffer.from(out);
          out[at + REPLY_LENGTH - 1]! ^= 0x5a;
          repliesTampered++;
        } else if (fate === 'drop') {
          out = Buffer.concat([out.subarray(0, at), out.subarray(at + REPLY_LENGTH)]);
          repliesTampered++;
          at = out.indexOf(REPLY_HEAD, at);
          continue;
        }
        at = out.indexOf(REPLY_HEAD, at + REPLY_LENGTH);
      }
    }
    if (out.length) data.emit(out);
  });

  return {
    description: `${inner.description} (tapped)`,
    sent,
    count: (code) => sent.filter((f) => f.code === code).length,
    sentAfter: (t) => sent.filter((f) => f.t > t),
    get repliesTampered() {
      return repliesTampered;
    },
    get garbageBytes() {
      return garbageBytes;
    },
    async write(bytes) {
      let frame = Buffer.from(bytes);
      const isFrame = frame.length >= 12 && frame.subarray(0, 4).equals(Buffer.from(HOST_SIGNATURE));
      const code = isFrame ? frame[4]! : -1;
      const codeIndex = perCode.get(code) ?? 0;
      perCode.set(code, codeIndex + 1);
      const fate = (isFrame && plan.host?.({ code, index: sent.length, codeIndex, bytes: frame })) || 'pass';
      sent.push({ t: clock.now(), code, fate, length: frame.length });
      if (fate === 'drop') return;
      if (fate === 'corrupt' && frame.length > 12) {
        frame = Buffer.from(frame);
        frame[frame.length - 6]! ^= 0x01;
      } else if (fate === 'forge' && frame.length > 16) {
        frame = Buffer.from(frame);
        const size = frame.readUInt16LE(6);
        frame[8 + size - 1]! ^= 0x01; // last data byte
        frame.writeUInt32LE(frameCrc(frame.subarray(4, 8), frame.subarray(8, 8 + size)), 8 + size);
      }
      return inner.write(frame);
    },
    onData: (l) => data.add(l),
    onClose: (l) => inner.onClose(l),
    close: () => inner.close(),
  };
}
