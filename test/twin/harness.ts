import { VirtualClock } from '../../src/core/clock.js';
import { Console, type SfuFrame } from '../../src/drivers/console/console.js';
import { buildSamplePair } from '../../src/firmware/sample-app.js';
import { SfuCode, encodeFrame, encodeEraseRequest, encodeWriteRequest, encodeStartRequest, sfuCrc, decodeWriteReply } from '../../src/protocols/sfu/index.js';
import { RP2040, SFU_SLOTS, SFU_SLOT_SIZE } from '../../src/targets/rp2040.js';
import { crc32 } from 'node:zlib';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import { Rp2040SfuTwin } from '../../src/twin/sfu-ab/device.js';
import type { SfuVariant } from '../../src/twin/sfu-ab/variants.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';

export const V1 = buildSamplePair('1.0.0', 32 * 1024);
export const V2 = buildSamplePair('2.0.0', 32 * 1024);

/** Writes slot metadata as the bootloader would: IEEE CRC of the slot area (or `crc`) and a generation. */
export function signSlot(twin: Rp2040SfuTwin, slot: 'A' | 'B', generation: number, crc?: number): void {
  const s = SFU_SLOTS[slot];
  const meta = Buffer.alloc(256, 0xff);
  meta.writeUInt32LE(crc ?? crc32(twin.readMemory(s.base, SFU_SLOT_SIZE)) >>> 0, 0);
  meta.writeUInt32LE(generation, 4);
  twin.programMemory(s.metaBase, meta);
}

/**
 * A twin on a virtual clock with a console. By default slot A holds V1 signed as generation 1
 * with the first start already done (as after a factory boot); `firstStart: true` leaves the
 * first-start flag erased instead.
 */
export function twinBench(opts: { variant?: SfuVariant; powerLoss?: PowerLossMode; seed?: number; factoryA?: Buffer | null; firstStart?: boolean } = {}) {
  const clock = new VirtualClock();
  const twin = new Rp2040SfuTwin({ clock, variant: opts.variant ?? 'correct', powerLoss: opts.powerLoss ?? 'skip', seed: opts.seed ?? 1 });
  twin.massErase();
  if (opts.factoryA !== null) twin.programMemory(SFU_SLOTS.A.base, opts.factoryA ?? V1.a);
  if (!opts.firstStart) {
    twin.programMemory(RP2040.firstStartFlag, Buffer.from([0]));
    if (opts.factoryA !== null) signSlot(twin, 'A', 1);
  }
  const link = connectInProcess(twin, { baud: 921600 });
  const console = new Console({ link, clock, sfuFrames: true });
  const frames: SfuFrame[] = [];
  console.onFrame((f) => frames.push(f));

  const send = (code: number, body?: Uint8Array) => link.write(encodeFrame('host', code, body));
  /** Resolves with the next frame of `code` (from now on), or rejects after ms of virtual time. */
  const next = (code: number, ms = 3000) =>
    new Promise<SfuFrame>((resolve, reject) => {
      const timer = clock.setTimer(ms, () => {
        off();
        reject(new Error(`no frame 0x${code.toString(16)} within ${ms} ms`));
      });
      const off = console.onFrame((f) => {
        if (f.code === code) {
          timer.cancel();
          off();
          resolve(f);
        }
      });
    });
  const waitLine = (re: RegExp, ms = 6000) => console.expect(re, { timeoutMs: ms, fromLine: 0 });

  /** Sequential upload (no pipelining): INFO, ERASE, WRITEs one by one, START. */
  async function upload(stream: Buffer, hooks: { beforeStart?: () => Promise<void> } = {}) {
    const info = next(SfuCode.INFO);
    await send(SfuCode.INFO);
    const infoBody = (await info).body;
    const base = infoBody.readUInt32LE(24);
    const erased = next(SfuCode.ERASE, 10_000);
    await send(SfuCode.ERASE, encodeEraseRequest(stream.length));
    await erased;
    for (let off = 0; off < stream.length; off += 2048) {
      const reply = next(SfuCode.WRITE);
      await send(SfuCode.WRITE, encodeWriteRequest(base + off, stream.subarray(off, off + 2048)));
      const ack = decodeWriteReply((await reply).body);
      if (ack.nextAddr !== base + Math.min(off + 2048, stream.length)) throw new Error(`ack 0x${ack.nextAddr.toString(16)}`);
    }
    await hooks.beforeStart?.();
    const started = next(SfuCode.START);
    await send(SfuCode.START, encodeStartRequest(sfuCrc(stream)));
    return { base, start: (await started).body };
  }
  return { clock, twin, link, console, frames, send, next, waitLine, upload };
}
