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
  readonly bytes: Buffer;
  private powerOns = 0;

  constructor(
    size: number,
    private readonly seed: number,
    /** Chance per bit that a BOR-only brownout flips it. */
    public flipRate = 0,
  ) {
    this.bytes = Buffer.alloc(size);
  }

  /** After a power-on reset: power-up noise, different at every power-on, the same for one seed. */
  powerOnReset(): void {
    const n = this.powerOns++;
    for (let at = 0, block = 0; at < this.bytes.length; at += 32, block++) {
      createHash('sha256').update(`sram\0${this.seed}\0${n}\0${block}`).digest().copy(this.bytes, at);
    }
  }

  /** After a BOR-only brownout: kept, each bit flipped with `flipRate`; returns the bits flipped (byte offset, bit). */
  brownout(rng: Rng): { at: number; bit: number }[] {
    if (this.flipRate <= 0) return [];
    const flips: { at: number; bit: number }[] = [];
    // Geometric gaps between flipped bits: one draw per flip instead of one per bit.
    const bits = this.bytes.length * 8;
    const logKeep = Math.log1p(-Math.min(this.flipRate, 1 - 1e-12));
    for (let i = Math.floor(Math.log1p(-rng.next()) / logKeep); i < bits; i += 1 + Math.floor(Math.log1p(-rng.next()) / logKeep)) {
      const at = i >> 3;
      const bit = i & 7;
      this.bytes[at]! ^= 1 << bit;
      flips.push({ at, bit });
    }
    return flips;
  }
}
