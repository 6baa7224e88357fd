/**
 * Power through a relay (or load switch) on one GPIO output line (reference §4.1).
 *
 * The relay line is requested elsewhere (GpioLines, with its activeLow and safe level); this
 * driver only maps on/off to a logical level and adds the relay's timing:
 *   - offSettleMs / onSettleMs: contact release/operate time plus bounce (Songle ≤ 10 ms + a few ms);
 *     on()/off() return only after it.
 *   - minOffMs: cycle() never keeps the DUT unpowered for less than this, so its rails really
 *     fall below the power-on-reset threshold. A shorter request is clamped up and the clamp is
 *     recorded on the timeline (`power cycle-clamped`) and in the log.
 * cycle(offMs): off edge, offSettleMs (contacts open), offMs of off time, on edge, onSettleMs.
 */
import { ScaledClock, type Clock } from '../../core/clock.js';
import { RigError } from '../../core/errors.js';
import type { Timeline } from '../../core/timeline.js';
import type { Power } from '../capabilities.js';
import type { GpioLines, Level } from '../gpio/lines.js';

export interface RelayPowerOptions {
  lines: GpioLines;
  /** The id of the relay line in `lines`. */
  line: string;
  /**
   * Logical level of the line that means "DUT powered". Default 1: the relay is energised
   * (line asserted) to POWER the DUT (DUT on the NO contact), so a released line, a rebooting
   * Pi or a crashed orchestrator leaves the DUT unpowered (reference §3.6 point 2). Use 0 for
   * a DUT on the NC contact.
   */
  poweredLevel?: Level;
  onSettleMs?: number;
  offSettleMs?: number;
  minOffMs?: number;
  clock?: Clock;
  timeline?: Timeline;
  log?: (msg: string) => void;
}

export const RELAY_DEFAULTS = { onSettleMs: 20, offSettleMs: 20, minOffMs: 200 } as const;

export class RelayPower implements Power {
  private readonly lines: GpioLines;
  private readonly line: string;
  private readonly poweredLevel: Level;
  readonly onSettleMs: number;
  readonly offSettleMs: number;
  readonly minOffMs: number;
  private readonly clock: Clock;
  private readonly timeline?: Timeline;
  private readonly log: (msg: string) => void;

  constructor(opts: RelayPowerOptions) {
    this.lines = opts.lines;
    this.line = opts.line;
    this.poweredLevel = opts.poweredLevel ?? 1;
    this.onSettleMs = opts.onSettleMs ?? RELAY_DEFAULTS.onSettleMs;
    this.offSettleMs = opts.offSettleMs ?? RELAY_DEFAULTS.offSettleMs;
    this.minOffMs = opts.minOffMs ?? RELAY_DEFAULTS.minOffMs;
    for (const [k, v] of [
      ['onSettleMs', this.onSettleMs],
      ['offSettleMs', this.offSettleMs],
      ['minOffMs', this.minOffMs],
    ] as const) {
      if (!(Number.isFinite(v) && v >= 0)) throw new RigError(`relay: ${k} must be a number >= 0, got ${String(v)}`);
    }
    this.clock = opts.clock ?? new ScaledClock(1);
    this.timeline = opts.timeline;
    this.log = opts.log ?? (() => {});
    this.lines.get(this.line); // throws a RigError now if the line id is wrong
  }

  get state(): 'on' | 'off' | 'unknown' {
    try {
      return this.lines.get(this.line) === this.poweredLevel ? 'on' : 'off';
    } catch {
      return 'unknown';
    }
  }

  async on(): Promise<void> {
    this.timeline?.add('power', 'on');
    await this.lines.set(this.line, this.poweredLevel);
    await this.clock.sleep(this.onSettleMs);
  }

  async off(): Promise<void> {
    this.timeline?.add('power', 'off');
    await this.lines.set(this.line, (1 - this.poweredLevel) as Level);
    await this.clock.sleep(this.offSettleMs);
  }

  /** The off time cycle() will really use for a requested `offMs`. */
  effectiveOffMs(offMs: number): number {
    return Math.max(offMs, this.minOffMs);
  }

  async cycle(offMs: number): Promise<void> {
    if (!(Number.isFinite(offMs) && offMs >= 0)) throw new RigError(`relay: cycle(offMs) needs a number >= 0, got ${String(offMs)}`);
    const eff = this.effectiveOffMs(offMs);
    if (eff !== offMs) {
      const msg = `off time ${offMs} ms clamped to ${eff} ms (relay minOffMs, so the target reaches power-on reset)`;
      this.timeline?.add('power', 'cycle-clamped', msg, { requestedMs: offMs, offMs: eff });
      this.log(`relay: ${msg}`);
    }
    await this.off();
    await this.clock.sleep(eff);
    await this.on();
  }
}
