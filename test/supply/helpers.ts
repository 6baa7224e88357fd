/** A fake supply on one end of a socat pty pair, the driver's port on the other; all of it closed by cleanup(). */
import { ScaledClock } from '../../src/core/clock.js';
import { Timeline } from '../../src/core/timeline.js';
import { openSupply, type OpenSupplyOptions, type SupplyPower, type SupplyTurn } from '../../src/drivers/power/supply/index.js';
import { startSocatPair, stopAllSocat } from '../helpers/socat.js';
import { FakeSupply, type FakeSupplyOptions } from './fake-supply.js';

const fakes: FakeSupply[] = [];
const powers: SupplyPower[] = [];

export interface Bench {
  fake: FakeSupply;
  port: string;
  clock: ScaledClock;
  timeline: Timeline;
  /** Every command turn as the driver saw it, on its own clock (write start, turn end). */
  turns: SupplyTurn[];
  open(opts?: Partial<OpenSupplyOptions>): Promise<SupplyPower>;
}

export async function bench(protocol: 'korad' | 'scpi', fakeOpts: Partial<FakeSupplyOptions> = {}): Promise<Bench> {
  const pair = await startSocatPair();
  const fake = await FakeSupply.open({ protocol, path: pair.b, ...fakeOpts });
  fakes.push(fake);
  const clock = new ScaledClock(1);
  const timeline = new Timeline(clock);
  const turns: SupplyTurn[] = [];
  return {
    fake,
    port: pair.a,
    clock,
    timeline,
    turns,
    async open(opts = {}) {
      // A reply window far above the driver's 500 ms default: the fake answers from this same busy
      // process, and a loaded CI box (two Jest workers on two cores) once kept it past 500 ms. Tests
      // of a supply that never answers give their own.
      const power = await openSupply({ protocol, port: pair.a, volts: 3.3, amps: 0.5, clock, timeline, trace: (t) => turns.push(t), replyTimeoutMs: 10_000, ...opts });
      powers.push(power);
      return power;
    },
  };
}

export async function cleanup(): Promise<void> {
  await Promise.all(powers.splice(0).map((p) => p.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await stopAllSocat();
}

/**
 * Gaps (ms) between the end of one turn and the write of the next, on the driver's clock: what the
 * driver controls. (The fake's receive times bunch up whenever the fake is served late.)
 */
export function gaps(b: Bench): number[] {
  return b.turns.slice(1).map((t, i) => t.sentAt - b.turns[i]!.endAt);
}

/** When the driver started writing the last `cmd` (driver clock). */
export function lastSent(b: Bench, cmd: string): number {
  const t = b.turns.filter((x) => x.cmd === cmd).at(-1);
  if (!t) throw new Error(`the driver never sent ${cmd}`);
  return t.sentAt;
}
