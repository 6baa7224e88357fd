/**
 * Power from a programmable bench supply (reference §4.4): on/off switch its output, and sag()
 * lowers the voltage instead of cutting it, for brownouts that pass through the BOR window (§4.5).
 *
 * Honest limits of a sag through a serial supply:
 *   - each step is one command: ~50 ms apart on a Korad (its firmware drops closer commands), a
 *     few to tens of ms on SCPI plus the supply's own latency, so a sag is a coarse staircase
 *     with tens-of-ms steps, never a millisecond brownout. sag() returns, and puts on the timeline,
 *     the times each step really left, so a report shows the staircase that was achieved.
 *   - a supply sources but does not sink current: below the set point the output falls only as
 *     fast as the DUT discharges the output capacitors. What the DUT saw must be measured (ADC,
 *     scope); the step times here are when the set point changed, not the rail.
 */
import { ScaledClock, type Clock } from '../../../core/clock.js';
import { RigError } from '../../../core/errors.js';
import type { Timeline } from '../../../core/timeline.js';
import type { Power } from '../../capabilities.js';
import { requireLevel, type SupplyProtocol } from './protocol.js';

export interface SupplyPowerOptions {
  protocol: SupplyProtocol;
  /** Nominal output voltage: what on() sets and what a sag returns to. */
  volts: number;
  /** Current limit, set at open. */
  amps: number;
  /** Refuse a nominal above this (a 33 for 3.3 typo would otherwise reach the DUT). */
  maxVolts?: number;
  /**
   * cycle() never keeps the output off for less than this: with the output off, the supply's
   * output capacitors discharge only through the DUT. Default 500.
   */
  minOffMs?: number;
  /** Confirm on()/off() by reading the output state back (set commands get no reply). Default true. */
  verifyOutput?: boolean;
  clock?: Clock;
  timeline?: Timeline;
  log?: (msg: string) => void;
}

export interface SagProfile {
  /** Set point at the bottom of the sag: >= 0 and below the nominal. */
  volts: number;
  /** Time at the bottom, from the last down step leaving to the first up step. */
  holdMs: number;
  /** Steps of each ramp (down and up). Default 1: straight to `volts` and back. */
  steps?: number;
  /**
   * Duration of each ramp, its steps rampMs/steps apart (down: the last step lands at rampMs; up:
   * the first leaves when the hold ends). Default 0: the steps go as fast as the supply takes
   * commands, which on a serial supply is tens of ms each anyway.
   */
  rampMs?: number;
}

export interface SagStep {
  phase: 'down' | 'up';
  /** The set point as sent (rounded to the supply's resolution). */
  volts: number;
  /** When the step was due and when its command had left, ms since the sag started. */
  plannedMs: number;
  sentMs: number;
}

export interface SagResult {
  nominal: number;
  volts: number;
  steps: SagStep[];
  /** The hold achieved (never shorter than asked: a late ramp pushes the up ramp back). */
  holdMs: number;
  totalMs: number;
  /** Longest time between two consecutive steps of a ramp: the achieved step resolution. */
  maxStepGapMs: number;
  /** Latest a step left after it was due: the command latency the profile could not hide. */
  maxLateMs: number;
}

export const SUPPLY_DEFAULTS = { minOffMs: 500, maxSteps: 1000 } as const;

export class SupplyPower implements Power {
  readonly nominal: number;
  readonly amps: number;
  readonly minOffMs: number;
  readonly protocol: SupplyProtocol;
  /** The supply's *IDN? answer, once identified. */
  idn?: string;
  private current: 'on' | 'off' | 'unknown' = 'unknown';
  private readonly verifyOutput: boolean;
  private readonly clock: Clock;
  private readonly timeline?: Timeline;
  private readonly log: (msg: string) => void;

  constructor(opts: SupplyPowerOptions) {
    this.protocol = opts.protocol;
    ({ volts: this.nominal, amps: this.amps, minOffMs: this.minOffMs } = checkSupplyLevels(opts));
    this.verifyOutput = opts.verifyOutput ?? true;
    this.clock = opts.clock ?? new ScaledClock(1);
    this.timeline = opts.timeline;
    this.log = opts.log ?? (() => {});
  }

  get state(): 'on' | 'off' | 'unknown' {
    return this.current;
  }

  private get where(): string {
    return `supply ${this.protocol.name} ${this.protocol.port}`;
  }

  /** Identifies the supply, sets the current limit and the nominal voltage, reads the output state. */
  async init(): Promise<string> {
    this.idn = await this.protocol.identify();
    await this.protocol.setAmps(this.amps);
    await this.protocol.setVolts(this.nominal);
    this.current = (await this.protocol.readOutput()) ? 'on' : 'off';
    this.log(`${this.where}: ${this.idn}, output ${this.current}`);
    return this.idn;
  }

  async on(): Promise<void> {
    this.timeline?.add('power', 'on', `${this.where} ${this.nominal} V`);
    // Volts first: an interrupted sag may have left the set point low.
    await this.switch(true, () => this.protocol.setVolts(this.nominal));
  }

  async off(): Promise<void> {
    this.timeline?.add('power', 'off', this.where);
    await this.switch(false);
  }

  async cycle(offMs: number): Promise<void> {
    if (!(Number.isFinite(offMs) && offMs >= 0)) throw new RigError(`supply: cycle(offMs) needs a number >= 0, got ${String(offMs)}`);
    const eff = Math.max(offMs, this.minOffMs);
    if (eff !== offMs) {
      const msg = `off time ${offMs} ms clamped to ${eff} ms (supply minOffMs, so the output capacitors discharge)`;
      this.timeline?.add('power', 'cycle-clamped', msg, { requestedMs: offMs, offMs: eff });
      this.log(`supply: ${msg}`);
    }
    await this.off();
    await this.clock.sleep(eff);
    await this.on();
  }

  /** Ramps the set point down to profile.volts, holds, ramps back to the nominal. Output must be on. */
  async sag(profile: SagProfile): Promise<SagResult> {
    const p = this.checkSag(profile);
    if (this.current !== 'on') throw new RigError(`supply: sag needs the output on (state is ${this.current}); call on() first`);
    const t0 = this.clock.now();
    const rel = (): number => this.clock.now() - t0;
    const steps: SagStep[] = [];
    this.timeline?.add('power', 'sag-start', `${this.nominal} V -> ${p.volts} V, hold ${p.holdMs} ms, ${p.steps} steps over ${p.rampMs} ms`, { ...p, nominal: this.nominal });
    const step = async (phase: SagStep['phase'], target: number, plannedMs: number): Promise<void> => {
      // Loop: Node timers can fire a fraction of a ms early, and a hold must never come out short.
      for (let wait = plannedMs - rel(); wait > 0; wait = plannedMs - rel()) await this.clock.sleep(wait);
      const volts = await this.protocol.setVolts(target, { check: false });
      const s: SagStep = { phase, volts, plannedMs, sentMs: rel() };
      steps.push(s);
      this.timeline?.add('power', 'sag-step', `${phase} ${volts} V`, { ...s });
    };
    try {
      const span = this.nominal - p.volts;
      for (let i = 1; i <= p.steps; i++) await step('down', i === p.steps ? p.volts : this.nominal - (span * i) / p.steps, (p.rampMs * i) / p.steps);
      const bottom = steps[steps.length - 1]!.sentMs;
      const upStart = bottom + p.holdMs; // from when the bottom really left: a late ramp never shortens the hold
      for (let i = 1; i <= p.steps; i++) await step('up', i === p.steps ? this.nominal : p.volts + (span * i) / p.steps, upStart + (p.rampMs * (i - 1)) / p.steps);
      await this.protocol.checkErrors();
    } catch (err) {
      await this.restoreAfterFailedSag(err);
      throw err;
    }
    const result = summarize(this.nominal, p.volts, steps, p.steps, rel());
    const { steps: _all, ...summary } = result;
    this.timeline?.add('power', 'sag-end', `hold ${result.holdMs.toFixed(1)} ms, steps up to ${result.maxStepGapMs.toFixed(1)} ms apart and ${result.maxLateMs.toFixed(1)} ms late`, summary);
    return result;
  }

  async measureVolts(): Promise<number> {
    return this.protocol.measureVolts();
  }

  /** Closes the port; the output is left as it is (the rig decides its safe state). */
  close(): Promise<void> {
    return this.protocol.close();
  }

  private async switch(on: boolean, before?: () => Promise<unknown>): Promise<void> {
    try {
      await before?.();
      await this.protocol.output(on);
      if (this.verifyOutput && (await this.protocol.readOutput()) !== on) {
        throw new RigError(`${this.where}: output still ${on ? 'off' : 'on'} after switching it ${on ? 'on' : 'off'}`);
      }
    } catch (err) {
      this.current = 'unknown';
      throw err;
    }
    this.current = on ? 'on' : 'off';
  }

  private async restoreAfterFailedSag(cause: unknown): Promise<void> {
    this.timeline?.add('power', 'sag-failed', String((cause as Error)?.message ?? cause));
    try {
      await this.protocol.setVolts(this.nominal);
    } catch (err) {
      this.current = 'unknown';
      this.log(`${this.where}: could not restore ${this.nominal} V after a failed sag: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private checkSag(profile: SagProfile): Required<SagProfile> {
    if (!profile || typeof profile !== 'object') throw new RigError('supply sag: profile must be an object {volts, holdMs, steps?, rampMs?}');
    const volts = requireLevel('supply sag', 'volts', profile.volts);
    if (!(volts < this.nominal)) throw new RigError(`supply sag: volts must be below the nominal ${this.nominal} V, got ${volts}`);
    const holdMs = requireLevel('supply sag', 'holdMs', profile.holdMs);
    const rampMs = requireLevel('supply sag', 'rampMs', profile.rampMs ?? 0);
    const steps = profile.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1 || steps > SUPPLY_DEFAULTS.maxSteps) {
      throw new RigError(`supply sag: steps must be an integer 1..${SUPPLY_DEFAULTS.maxSteps}, got ${String(steps)}`);
    }
    return { volts, holdMs, rampMs, steps };
  }
}

/** The numeric options, checked (RigErrors naming the field); used before any port is opened. */
export function checkSupplyLevels(opts: Pick<SupplyPowerOptions, 'volts' | 'amps' | 'maxVolts' | 'minOffMs'>): { volts: number; amps: number; minOffMs: number } {
  const volts = requireLevel('supply', 'volts', opts.volts);
  if (volts === 0) throw new RigError('supply: volts must be above 0 (it is the nominal the DUT runs at)');
  const amps = requireLevel('supply', 'amps', opts.amps);
  if (opts.maxVolts !== undefined && !(volts <= requireLevel('supply', 'maxVolts', opts.maxVolts))) {
    throw new RigError(`supply: volts ${volts} is above maxVolts ${opts.maxVolts}`);
  }
  const minOffMs = requireLevel('supply', 'minOffMs', opts.minOffMs ?? SUPPLY_DEFAULTS.minOffMs);
  return { volts, amps, minOffMs };
}

function summarize(nominal: number, volts: number, steps: SagStep[], n: number, totalMs: number): SagResult {
  const down = steps.slice(0, n);
  const up = steps.slice(n);
  let maxStepGapMs = 0;
  for (const ramp of [down, up]) for (let i = 1; i < ramp.length; i++) maxStepGapMs = Math.max(maxStepGapMs, ramp[i]!.sentMs - ramp[i - 1]!.sentMs);
  const maxLateMs = Math.max(...steps.map((s) => s.sentMs - s.plannedMs));
  return { nominal, volts, steps, holdMs: up[0]!.sentMs - down[down.length - 1]!.sentMs, totalMs, maxStepGapMs, maxLateMs };
}
