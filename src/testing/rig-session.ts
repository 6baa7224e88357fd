/**
 * One rig opened for TypeScript tests, without Jest: its capabilities wrapped so that every call is
 * an Allure step, and a cut takes file names and a trigger as a user writes them. useRig() (./use-rig.ts)
 * ties a session to Jest's beforeAll/afterAll; scripts may use a session directly.
 */
import * as allure from 'allure-js-commons';
import { ConfigError, RigError } from '../core/errors.js';
import { formatTrigger, loadRig, parseTrigger, withTwinOverrides, type RigConfig, type Trigger, type TwinOverrides } from '../config/index.js';
import type { UpdateResult } from '../drivers/capabilities.js';
import type { ConsoleLine } from '../drivers/console/console.js';
import { openRig } from '../rig/open-rig.js';
import type { Rig } from '../rig/rig.js';
import { runCut, type CutResult } from '../scenario/cut.js';
import { loadUpdateImage, type UpdateImage } from '../scenario/update-image.js';
import { schemeAdapter, schemeSetup, type FlashView, type SchemeAdapter } from '../schemes/registry.js';
import { cutSummary, reproCommand } from '../report/cut-summary.js';

export interface RigSessionOptions {
  /** Twin overrides (bootloader variant, power-loss mode, seed), as a suite's rigs[] entry gives them. */
  twin?: TwinOverrides;
  /** Aborted when the run stops (hil's worker lifeline): ends a cut or a wait at once. */
  signal?: AbortSignal;
}

export interface CutOptions {
  /** Image running before the update (a file, read as the rig's scheme reads it). */
  from: string;
  /** Image sent by the update that gets cut. */
  to: string;
  /** An older image for the other slot (MCUboot revert cases). */
  previous?: string;
  /** Where to cut: `progress:37%`, `after:1.2s`, `console:/Erasing/`, ... or a parsed Trigger. */
  trigger: string | Trigger;
  /** How long power stays off (default: the rig's power.offMs). */
  offMs?: number;
  /** Twin randomness (power-loss choice, torn bits); default: the rig's twin.seed or 1. */
  seed?: number;
  /** The scheme's baseline setup; default its first. */
  setup?: string;
  /** Extra power cycles after recovery that must keep the same image running. */
  bootLoopCycles?: number;
}

export interface ConsoleExpectOptions {
  /** Default: the rig's boot.timeoutMs. */
  timeoutMs?: number;
  /** Match lines from this index of `lines` on (default: only lines arriving after the call). */
  fromLine?: number;
}

/** What a test uses: the rig's capabilities, each call an Allure step. */
export interface RigSession {
  readonly name: string;
  readonly config: RigConfig;
  /** The opened rig itself, for what the handle does not wrap (timeline, probe, twin snapshots). */
  readonly rig: Rig;
  readonly power: {
    readonly state: 'on' | 'off' | 'unknown';
    on(): Promise<void>;
    off(): Promise<void>;
    /** Off for offMs (default the rig's power.offMs), then on. */
    cycle(offMs?: number): Promise<void>;
  };
  readonly console: {
    /** Every line the device printed since the rig opened. */
    readonly lines: readonly ConsoleLine[];
    expect(pattern: RegExp, opts?: ConsoleExpectOptions): Promise<{ line: ConsoleLine; match: RegExpExecArray; index: number }>;
    write(data: string | Uint8Array): Promise<void>;
    transcript(): string;
  };
  readonly updater: {
    /** Sends an image (a file name, or the bytes of the update stream) through the rig's update path. */
    update(image: string | Buffer): Promise<UpdateResult>;
  };
  /** One brownout scenario: baseline `from`, update to `to`, cut at `trigger`, judge. */
  cut(opts: CutOptions): Promise<CutResult>;
  /** Reads the flash through the probe and judges it; `known` image files (default: every image this session has read) are recognised by content. */
  inspect(known?: string[]): Promise<FlashView>;
  /** Safe state, then releases the rig. Never throws; a second call does nothing. */
  close(): Promise<void>;
}

/**
 * Whether an Allure runtime is listening (allure-jest's environment sets this global). Without one,
 * allure-js-commons logs "no test runtime is found" for every call: under plain Jest the steps are
 * simply skipped.
 */
function reporting(): boolean {
  return typeof (globalThis as { allureTestRuntime?: unknown }).allureTestRuntime === 'function';
}

async function attach(name: string, text: string): Promise<void> {
  if (reporting()) await allure.attachment(name, text, 'text/plain');
}

/** A trigger as a test writes it; a bad one is a config error (exit code 2), like in a suite. */
function triggerOf(text: string, rigFile: string): Trigger {
  try {
    return parseTrigger(text);
  } catch (err) {
    throw new ConfigError(`rig.cut() on ${rigFile}: ${(err as Error).message}`);
  }
}

/** Loads and checks a rig file, then opens it: every config error (file:line:col) comes before any hardware. */
export async function openRigSession(rigFile: string, opts: RigSessionOptions = {}): Promise<RigSession> {
  const config = withTwinOverrides(await loadRig(rigFile), opts.twin, rigFile);
  const scheme = await schemeAdapter(config.scheme);
  const rig = await openRig(config);
  return sessionOf(rig, scheme, opts.signal);
}

function sessionOf(rig: Rig, scheme: SchemeAdapter, signal: AbortSignal | undefined): RigSession {
  const { config } = rig;
  const images = new Map<string, Promise<UpdateImage>>();
  // A test usually names the same images again and again: read each once.
  const image = (file: string) => {
    let img = images.get(file);
    if (!img) images.set(file, (img = loadUpdateImage(file, config.scheme)));
    return img;
  };
  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => (reporting() ? allure.step(name, body) : body());
  const withSignal = signal ? { signal } : {};

  return {
    name: rig.name,
    config,
    rig,
    power: {
      get state() {
        return rig.power.state;
      },
      on: () => step('power on', () => rig.power.on()),
      off: () => step('power off', () => rig.power.off()),
      cycle: (offMs = config.power.offMs) => step(`power cycle (off ${offMs} ms)`, () => rig.power.cycle(offMs)),
    },
    console: {
      get lines() {
        return rig.console.lines;
      },
      expect: (pattern, o = {}) =>
        step(`console expects ${pattern}`, async () => {
          const got = await rig.console.expect(pattern, { timeoutMs: o.timeoutMs ?? config.boot.timeoutMs, what: String(pattern), ...(o.fromLine !== undefined && { fromLine: o.fromLine }), ...withSignal });
          await attach('matched line', got.line.text);
          return got;
        }),
      write: (data) => step(`console write ${typeof data === 'string' ? JSON.stringify(data) : `${data.length} bytes`}`, () => rig.console.write(data)),
      transcript: () => rig.console.transcript(),
    },
    updater: {
      update: (img) =>
        step(`update with ${typeof img === 'string' ? img : `${img.length} bytes`}`, async () => {
          const stream = typeof img === 'string' ? (await image(img)).stream : img;
          return rig.updater.update(stream, withSignal);
        }),
    },
    async cut(o) {
      const trigger = typeof o.trigger === 'string' ? triggerOf(o.trigger, config.file) : o.trigger;
      const setup = schemeSetup(scheme, o.setup, `${config.file}: rig.cut()`);
      const spec = {
        trigger,
        offMs: o.offMs ?? config.power.offMs,
        seed: o.seed ?? config.twin?.seed ?? 1,
        setup,
        ...(o.bootLoopCycles !== undefined && { bootLoopCycles: o.bootLoopCycles }),
      };
      const [from, to, previous] = await Promise.all([image(o.from), image(o.to), o.previous ? image(o.previous) : undefined]);
      const repro = reproCommand({ rig: config.file, from: from.file, to: to.file, ...(previous && { previous: previous.file }), ...spec });
      return step(`cut at ${formatTrigger(trigger)}, off ${spec.offMs} ms`, async () => {
        // Attached first, so even a cut that throws leaves the line that replays it.
        await attach('repro command', repro);
        const r = await runCut(rig, scheme, { from, to, ...(previous && { previous }) }, spec, withSignal);
        await attach('summary', cutSummary(r));
        await attach('console transcript', r.transcript || '(nothing received)');
        await attach('event timeline', r.timeline);
        // A rig that failed is never reported as a device outcome (Allure `broken`, not `failed`).
        if (r.outcome === 'rig-error') throw new RigError(`${r.rigError ?? 'rig error'} (repro: ${repro})`);
        return r;
      });
    },
    inspect(known) {
      return step('inspect the flash', async () => {
        if (!rig.probe) throw new ConfigError(`${config.file}: rig.inspect() needs a probe (the rig has no probe: section)`);
        const files = known ?? [...images.keys()];
        const view = await scheme.inspect(rig.probe, await Promise.all(files.map(image)));
        await attach('slots', view.table);
        return view;
      });
    },
    close: () => rig.close(),
  };
}
