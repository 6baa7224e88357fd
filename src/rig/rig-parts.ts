import type { Clock } from '../core/clock.js';
import type { Timeline } from '../core/timeline.js';
import type { RigConfig } from '../config/index.js';
import { schemeMeta } from '../schemes/meta-registry.js';
import type { Power, Probe, Updater } from '../drivers/capabilities.js';
import { probeUpdater } from '../drivers/updater/probe/index.js';
import type { ByteLink } from '../drivers/console/byte-link.js';
import { Console } from '../drivers/console/console.js';
import { noteGaps } from '../drivers/console/gap-notes.js';
import { ConfigError } from '../core/errors.js';
import type { MarkerOp, Rig, RigMcu, TwinHandle } from './rig.js';
import { MergedConsole } from '../drivers/console/merged-console.js';
import { fotaUpdater } from '../drivers/updater/fota/index.js';
import { sfuUpdater } from './sfu-updater.js';
import type { BenchGpio } from './bench-gpio.js';
import { toSafeState } from './safe-state.js';

/** Without a reset pin (the twin has none) a short power cycle resets the target. */
const RESET_CYCLE_MS = 20;

/** What a rig's own drivers give (a twin's or a bench's); the rest of a rig is built on them alike. */
export interface RigParts {
  clock: Clock;
  timeline: Timeline;
  link: ByteLink;
  power: Power;
  probe?: Probe;
  twin?: TwinHandle;
  gpio?: BenchGpio;
  marker?: (listener: (op?: MarkerOp) => void) => () => void;
  pinReset?: () => Promise<void>;
  /** A product rig's processors, in the scheme's order; the rig's console then merges theirs (`link` is unused). */
  mcus?: RigMcu[];
}

export type Cleanups = (() => Promise<void> | void)[];

/**
 * Opens a rig from its parts. Everything that can fail on a missing part fails in `build`, before
 * a test starts; on a failure what was opened so far is closed again, and every later exit path
 * goes through close(), which leaves the safe state behind.
 */
export async function openWith(config: RigConfig, build: (cleanups: Cleanups) => Promise<RigParts>): Promise<Rig> {
  const cleanups: Cleanups = [];
  try {
    return finishRig(config, await build(cleanups), cleanups);
  } catch (err) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    throw err;
  }
}

function finishRig(config: RigConfig, parts: RigParts, cleanups: Cleanups): Rig {
  const { clock, timeline, link, power, probe, twin, gpio, marker, pinReset, mcus } = parts;
  const scheme = schemeMeta(config.scheme);
  // Where SFU frames share the UART with text (a bootloader or an app that takes uploads), the console must skip them.
  const console = mcus
    ? new MergedConsole(
        mcus.map((m) => ({ name: m.name, console: m.console })),
        { clock, timeline },
      )
    : new Console({ link, clock, sfuFrames: scheme.consoleFraming === 'sfu-and-text', timeline });
  cleanups.push(() => console.close());
  // Where the port vanished and came back (USB re-enumeration after a cut) shows in the transcript.
  if (mcus) for (const m of mcus) noteGaps(m.console);
  else noteGaps(console, link);
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
    case 'fota': {
      // The host's own console (unprefixed): the chunk server stays on it for the rig's life.
      const fota = fotaUpdater({ console: mcus?.[0]?.console ?? console, clock, timeline, acceptMs: config.updater.acceptMs, quietMs: config.updater.quietMs });
      cleanups.push(() => fota.close());
      updater = fota;
      break;
    }
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
    ...(mcus && { mcus: Object.fromEntries(mcus.map((m) => [m.name, m])) }),
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
