import { ScaledClock, VirtualClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { Timeline } from '../core/timeline.js';
import type { RigConfig } from '../config/index.js';
import { stableRule } from '../config/stable-rule.js';
import { TwinProbe } from '../drivers/flasher/twin-probe.js';
import { TwinPower } from '../drivers/power/twin.js';
import { createTwin } from '../drivers/device/twin.js';
import { twinSweep } from '../drivers/device/twin-sweep.js';
import { openTwinLinkInProcess, type TwinLinkOpener } from '../drivers/console/twin-in-process.js';
import type { Rig, TwinHandle } from './rig.js';
import { openWith } from './rig-parts.js';

/**
 * Binds a twin rig: the simulated device, its console link, power and debug port. By default in
 * process only, which keeps socat, serialport and the bench drivers out of a sweep worker thread's
 * start-up (they were most of it); openRig passes the opener that also does ptys.
 */
export function openTwinRig(config: RigConfig, openLink: TwinLinkOpener = openTwinLinkInProcess): Promise<Rig> {
  const t = config.twin;
  if (!t) throw new ConfigError(`${config.file}: not a twin rig (no twin: section)`);
  return openWith(config, async (cleanups) => {
    if (t.transport === 'pty' && t.timeFactor === 0) {
      throw new ConfigError(`${config.file}: twin.transport pty needs twin.timeFactor > 0 (a pty runs on the wall clock)`);
    }
    const clock = t.timeFactor === 0 ? new VirtualClock() : new ScaledClock(t.timeFactor);
    if (clock instanceof VirtualClock) cleanups.push(() => clock.dispose());
    const timeline = new Timeline(clock);
    const device = createTwin(config.scheme, { clock, variant: t.variant, powerLoss: t.powerLoss, seed: t.seed });
    device.configureBoard?.({ stable: stableRule(config.boot), ...(t.sramFlipRate !== undefined && { sramFlipRate: t.sramFlipRate }), ...(t.crashReset && { crashReset: t.crashReset }) });
    device.onEvent((e) => {
      if (e.kind === 'phase') timeline.add('twin', `phase:${e.name}`, e.detail);
      else if (e.kind === 'boot') timeline.add('twin', `boot:${e.image}`, e.slot);
      else if (e.kind === 'flash-interrupted') {
        timeline.add('twin', 'flash-interrupted', `${e.op} at 0x${e.address.toString(16)} (${e.length} B) ${(e.fraction * 100).toFixed(0)}% done -> ${e.applied}`);
      }
    });
    const opened = await openLink(device, { transport: t.transport, paceBaud: t.paceBaud, baud: config.console.baud, clock });
    cleanups.push(() => opened.close());
    const twin: TwinHandle = {
      variant: t.variant,
      snapshot: () => device.snapshot(),
      restore: (s) => device.restore(s as ReturnType<typeof device.snapshot>),
      flashOps: () => device.flash.opCount,
      reseed: (seed) => device.mcu.reseed(seed),
      onMarker: (listener) => device.onEvent((e) => e.kind === 'flash' && listener()),
      baselines: new Map(),
      sweep: twinSweep(device),
    };
    cleanups.push(() => device.powerOff());
    return {
      clock,
      timeline,
      link: opened.link,
      power: new TwinPower(device, timeline, config.power.driver === 'twin' ? config.power.sag : undefined),
      probe: new TwinProbe(device, timeline),
      twin,
      marker: twin.onMarker,
    };
  });
}
