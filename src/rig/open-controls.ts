/**
 * Power, pins and probe of any rig, for `hil power`, `hil pins`, `hil flash` and `hil dump`: a
 * real bench opens only these (its console may be absent while the target is off, and none of
 * these commands needs it), a twin rig opens whole.
 */
import type { RigConfig } from '../config/index.js';
import { ScaledClock, type Clock } from '../core/clock.js';
import { Timeline } from '../core/timeline.js';
import type { Power, Probe } from '../drivers/capabilities.js';
import type { BenchGpio } from './bench-gpio.js';
import { memberProbes, productProbe } from './open-bench-product.js';
import { openBenchControls, toSafeState } from './bench-controls.js';
import { openRig } from './open-rig.js';
import { openOcdProbeFor } from './bench-probe.js';

export interface RigControls {
  readonly clock: Clock;
  readonly timeline: Timeline;
  readonly power: Power;
  readonly gpio?: BenchGpio;
  readonly probe?: Probe;
  /** Safe state (power as the rig file says, pins at their safe levels), then release. */
  close(): Promise<void>;
}

export async function openRigControls(config: RigConfig): Promise<RigControls> {
  if (config.twin) {
    const rig = await openRig(config);
    return { clock: rig.clock, timeline: rig.timeline, power: rig.power, ...(rig.probe && { probe: rig.probe }), close: () => rig.close() };
  }
  const clock = new ScaledClock(1);
  const timeline = new Timeline(clock);
  // Before any pin or power is touched: a probe value openocd would run as TCL is refused here.
  const members = config.mcus ? memberProbes(config, timeline) : undefined;
  const single = config.probe?.driver === 'openocd' ? openOcdProbeFor(config, config.probe, timeline) : undefined;
  const c = await openBenchControls(config, clock, timeline);
  // A product's probe routes its virtual addresses to each member's probe and the shared flash reader.
  const probe = members ? productProbe(config, members, c.gpio, timeline) : single;
  let closed = false;
  return {
    clock,
    timeline,
    power: c.power,
    ...(c.gpio && { gpio: c.gpio }),
    ...(probe && { probe }),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await toSafeState(config, c.power);
      } finally {
        await c.close();
      }
    },
  };
}
