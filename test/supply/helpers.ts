/** A fake supply on one end of a socat pty pair, the driver's port on the other; all of it closed by cleanup(). */
import { ScaledClock } from '../../src/core/clock.js';
import { Timeline } from '../../src/core/timeline.js';
import { openSupply, type OpenSupplyOptions, type SupplyPower } from '../../src/drivers/power/supply/index.js';
import { startSocatPair, stopAllSocat } from '../helpers/socat.js';
import { FakeSupply, type FakeSupplyOptions } from './fake-supply.js';

const fakes: FakeSupply[] = [];
const powers: SupplyPower[] = [];

export interface Bench {
  fake: FakeSupply;
  port: string;
  clock: ScaledClock;
  timeline: Timeline;
  open(opts?: Partial<OpenSupplyOptions>): Promise<SupplyPower>;
}

export async function bench(protocol: 'korad' | 'scpi', fakeOpts: Partial<FakeSupplyOptions> = {}): Promise<Bench> {
  const pair = await startSocatPair();
  const fake = await FakeSupply.open({ protocol, path: pair.b, ...fakeOpts });
  fakes.push(fake);
  const clock = new ScaledClock(1);
  const timeline = new Timeline(clock);
  return {
    fake,
    port: pair.a,
    clock,
    timeline,
    async open(opts = {}) {
      const power = await openSupply({ protocol, port: pair.a, volts: 3.3, amps: 0.5, clock, timeline, ...opts });
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

/** Gaps (ms) between the end of one logged command and the start of the next. */
export function gaps(fake: FakeSupply): number[] {
  return fake.log.slice(1).map((l, i) => l.t - fake.log[i]!.tEnd);
}
