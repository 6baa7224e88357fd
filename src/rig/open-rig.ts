import { ScaledClock, VirtualClock, type Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { Timeline } from '../core/timeline.js';
import type { RigConfig } from '../config/index.js';
import { schemeMeta } from '../schemes/meta-registry.js';
import type { Power, Probe, Updater } from '../drivers/capabilities.js';
import { probeUpdater } from '../drivers/updater/probe/index.js';
import type { ByteLink } from '../drivers/console/byte-link.js';
import { Console } from '../drivers/console/console.js';
import { noteGaps } from '../drivers/console/gap-notes.js';
import { TwinProbe } from '../drivers/flasher/twin-probe.js';
import { TwinPower } from '../drivers/power/twin.js';
import { createTwin } from '../drivers/device/twin.js';
import { twinSweep } from '../drivers/device/twin-sweep.js';
import { openTwinLink } from '../drivers/console/twin-link.js';
import type { Rig, TwinHandle } from './rig.js';
import { sfuUpdater } from './sfu-updater.js';
import type { BenchGpio } from './bench-gpio.js';
import { openBenchControls, toSafeState } from './bench-controls.js';
import { openBenchConsole } from './bench-console.js';
import { openOcdProbeFor } from './bench-probe.js';

const RESET_CYCLE_MS = 20;

/**
 * Binds a rig's drivers. Everything that can fail on a missing part fails here, before a test
 * starts; every exit path goes through close(), which leaves the safe state behind.
 */
export async function openRig(config: RigConfig): Promise<Rig> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    return await assemble(config, cleanups);
  } catch (err) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    throw err;
  }
}

async function assemble(config: RigConfig, cleanups: (() => Promise<void> | void)[]): Promise<Rig> {
  let clock: Clock;
  let link: ByteLink;
  let power: Power;
  let probe: Probe | undefined;
  let twin: TwinHandle | undefined;
  let timeline: Timeline;
  let gpio: BenchGpio | undefined;
  let marker: ((listener: () => void) => () => void) | undefined;
  let pinReset: (() => Promise<void>) | undefined;

  if (config.twin) {
    const t = config.twin;
    if (t.transport === 'pty' && t.timeFactor === 0) {
      throw new ConfigError(`${config.file}: twin.transport pty needs twin.timeFactor > 0 (a pty runs on the wall clock)`);
    }
    clock = t.timeFactor === 0 ? new VirtualClock() : new ScaledClock(t.timeFactor);
    if (clock instanceof VirtualClock) cleanups.push(() => (clock as VirtualClock).dispose());
    timeline = new Timeline(clock);
    const device = createTwin(config.scheme, { clock, variant: t.variant, powerLoss: t.powerLoss, seed: t.seed });
    device.onEvent((e) => {
      if (e.kind === 'phase') timeline.add('twin', `phase:${e.name}`, e.detail);
      else if (e.kind === 'boot') timeline.add('twin', `boot:${e.image}`, e.slot);
      else if (e.kind === 'flash-interrupted') {
        timeline.add('twin', 'flash-interrupted', `${e.op} at 0x${e.address.toString(16)} (${e.length} B) ${(e.fraction * 100).toFixed(0)}% done -> ${e.applied}`);
      }
    });
    const opened = await openTwinLink(device, { transport: t.transport, paceBaud: t.paceBaud, baud: config.console.baud, clock });
    link = opened.link;
    cleanups.push(() => opened.close());
    power = new TwinPower(device, timeline);
    probe = new TwinProbe(device, timeline);
    twin = {
      variant: t.variant,
      snapshot: () => device.snapshot(),
      restore: (s) => device.restore(s as ReturnType<typeof device.snapshot>),
      flashOps: () => device.flash.opCount,
      reseed: (seed) => device.mcu.reseed(seed),
      onMarker: (listener) => device.onEvent((e) => e.kind === 'flash' && listener()),
      baselines: new Map(),
      sweep: twinSweep(device),
    };
    marker = twin.onMarker;
    cleanups.push(() => device.powerOff());
  } else {
    clock = new ScaledClock(1);
    timeline = new Timeline(clock);
    // Before any pin or power is touched: a probe value openocd would run as TCL is refused here.
    if (config.probe?.driver === 'openocd') probe = openOcdProbeFor(config, config.probe, timeline);
    const controls = await openBenchControls(config, clock, timeline);
    cleanups.push(() => controls.close());
    power = controls.power;
    gpio = controls.gpio;
    marker = controls.marker;
    pinReset = controls.reset;
    link = await openBenchConsole(config, power, clock, timeline);
    cleanups.push(() => link.close());
  }

  const scheme = schemeMeta(config.scheme);
  // Where SFU frames share the UART with text (a bootloader or an app that takes uploads), the console must skip them.
  const console = new Console({ link, clock, sfuFrames: scheme.consoleFraming === 'sfu-and-text', timeline });
  cleanups.push(() => console.close());
  // Where the port vanished and came back (USB re-enumeration after a cut) shows in the transcript.
  noteGaps(console, link);
  // Without a reset pin (the twin has none) a short power cycle resets the target.
  const reset = pinReset ?? (() => power.cycle(config.twin ? RESET_CYCLE_MS : config.power.offMs));
  let updater: Updater;
  switch (config.updater.driver) {
    case 'sfu':
      updater = sfuUpdater(console, clock, timeline, reset);
      break;
    case 'sfu-app':
      // The app itself listens: no reset, or the upload would meet the ROM instead.
      updater = sfuUpdater(console, clock, timeline, async () => {});
      break;
    case 'probe':
      if (!probe) throw new ConfigError(`${config.file}: updater.driver probe needs a probe`);
      if (!scheme.stageThroughProbe) throw new ConfigError(`${config.file}: scheme ${scheme.name} cannot be updated through the probe`);
      updater = probeUpdater({ stage: scheme.stageThroughProbe, probe, timeline, reset });
      break;
  }
  let closed = false;
  const safe = async () => {
    try {
      await toSafeState(config, power);
    } catch {
      // Safe state is best effort on the way out; the original error matters more.
    }
  };
  return {
    name: config.name,
    config,
    clock,
    timeline,
    power,
    console,
    updater,
    ...(probe && { probe }),
    ...(twin && { twin }),
    ...(gpio && { gpio }),
    ...(marker && { marker }),
    reset,
    safe,
    async close() {
      if (closed) return;
      closed = true;
      await safe();
      for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    },
  };
}
