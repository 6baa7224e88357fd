import { ScaledClock } from '../core/clock.js';
import { Timeline } from '../core/timeline.js';
import type { RigConfig } from '../config/index.js';
import { openTwinLink } from '../drivers/console/twin-link.js';
import type { Rig } from './rig.js';
import { openBenchControls } from './bench-controls.js';
import { openBenchConsole } from './bench-console.js';
import { openOcdProbeFor } from './bench-probe.js';
import { openTwinRig } from './open-twin-rig.js';
import { openBenchProduct } from './open-bench-product.js';
import { openWith } from './rig-parts.js';
import { fenceFromEnv } from './fence.js';

/**
 * Binds a rig's drivers: a twin's (open-twin-rig.ts, any transport) or a bench's. Everything that
 * can fail on a missing part fails here, before a test starts; every exit path goes through
 * close(), which leaves the safe state behind.
 */
export async function openRig(config: RigConfig): Promise<Rig> {
  // Under a lab lease (HIL_LAB_FENCE) every hardware action checks the lease first: fence.ts.
  return fenceFromEnv(await openBareRig(config));
}

function openBareRig(config: RigConfig): Promise<Rig> {
  if (config.twin) return openTwinRig(config, openTwinLink);
  if (config.mcus) return openBenchProduct(config);
  return openWith(config, async (cleanups) => {
    const clock = new ScaledClock(1);
    const timeline = new Timeline(clock);
    // Before any pin or power is touched: a probe value openocd would run as TCL is refused here.
    const probe = config.probe?.driver === 'openocd' ? openOcdProbeFor(config, config.probe, timeline) : undefined;
    const controls = await openBenchControls(config, clock, timeline);
    cleanups.push(() => controls.close());
    const link = await openBenchConsole(config, controls.power, clock, timeline);
    cleanups.push(() => link.close());
    return {
      clock,
      timeline,
      link,
      power: controls.power,
      ...(probe && { probe }),
      ...(controls.gpio && { gpio: controls.gpio }),
      ...(controls.marker && { marker: controls.marker }),
      ...(controls.reset && { pinReset: controls.reset }),
    };
  });
}
