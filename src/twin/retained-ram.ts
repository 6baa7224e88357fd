/**
 * SRAM that outlives the program using it. The core's resets (system, watchdog, pin) leave SRAM
 * powered, so its contents stay. A power cut below the power-on reset leaves it holding whatever
 * its cells settle to at power-up: seeded random per power-on here. A brownout that trips the
 * brown-out reset but not the POR keeps it powered but low: most cells keep their bit, a weak one
 * may not (a chance per bit, `flipRate`, drawn from the MCU's seeded generator so a cut's seed
 * replays its flips).
 */
import { createHash } from 'node:crypto';
import type { Rng } from './rng.js';

export class RetainedRam {
  private readonly buf: Buffer;
  private powerOns = 0;
  /**
   * The power-on whose noise the cells hold, not made yet, and what programs wrote over it since
   * (in order): the noise is made when bytes the writes do not cover are first read, never when a
   * program overwrites them all first (`fill`). After a POR the seed's programs clear the magic and
   * then the whole RAM before reading it, so a sweep's thousands of power-ons mostly make none.
   */
  private noiseOf?: number;
  private over: { at: number; data: Buffer }[] = [];

  constructor(
    size: number,
    private readonly seed: number,
    /** Chance per bit that a BOR-only brownout flips it. */
    public flipRate = 0,
  ) {
    this.buf = Buffer.alloc(size);
  }

  /** The cells as they are now (noise not made yet is made first, and what was written since laid over it). */
  get bytes(): Buffer {
    if (this.noiseOf !== undefined) {
      const n = this.noiseOf;
      this.noiseOf = undefined;
      for (let at = 0, block = 0; at < this.buf.length; at += 32, block++) {
        createHash('sha256').update(`sram\0${this.seed}\0${n}\0${block}`).digest().copy(this.buf, at);
      }
      for (const w of this.over) w.data.copy(this.buf, w.at);
      this.over = [];
    }
    return this.buf;
  }

  /** After a power-on reset: power-up noise, different at every power-on, the same for one seed. */
  powerOnReset(): void {
    this.noiseOf = this.powerOns++;
    this.over = [];
  }

  /** Writes `data` at byte `at` (over noise not made yet, kept until it is). */
  write(at: number, data: Uint8Array): void {
    if (this.noiseOf === undefined) this.buf.set(data, at);
    else this.over.push({ at, data: Buffer.from(data) });
  }

  /** The little-endian word at `at`: from the writes over pending noise when the last one covering it holds it whole. */
  readUInt32LE(at: number): number {
    if (this.noiseOf !== undefined) {
      for (let i = this.over.length - 1; i >= 0; i--) {
        const w = this.over[i]!;
        if (w.at + w.data.length <= at || w.at >= at + 4) continue;
        if (w.at <= at && w.at + w.data.length >= at + 4) return w.data.readUInt32LE(at - w.at);
        break;
      }
    }
    return this.bytes.readUInt32LE(at);
  }

  /** Every cell set to `value` (a program's memset): whatever noise they held is never made. */
  fill(value: number): void {
    this.noiseOf = undefined;
    this.over = [];
    this.buf.fill(value);
  }

  /** After a BOR-only brownout: kept, each bit flipped with `flipRate`; returns the bits flipped (byte offset, bit). */
  brownout(rng: Rng): { at: number; bit: number }[] {
    if (this.flipRate <= 0) return [];
    const flips: { at: number; bit: number }[] = [];
    // Geometric gaps between flipped bits: one draw per flip instead of one per bit.
    const bytes = this.bytes;
    const bits = bytes.length * 8;
    const logKeep = Math.log1p(-Math.min(this.flipRate, 1 - 1e-12));
    for (let i = Math.floor(Math.log1p(-rng.next()) / logKeep); i < bits; i += 1 + Math.floor(Math.log1p(-rng.next()) / logKeep)) {
      const at = i >> 3;
      const bit = i & 7;
      bytes[at]! ^= 1 << bit;
      flips.push({ at, bit });
    }
    return flips;
  }
}
