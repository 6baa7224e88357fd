/**
 * One rig opened for TypeScript tests, without Jest: its capabilities wrapped so that every call is
 * an Allure step, and a cut takes file names (or images already loaded) and a trigger as a user
 * writes them. useRig() (./use-rig.ts) ties a session to Jest's beforeAll/afterAll, and the YAML
 * suite runner (./suite.ts) is built on it; scripts may use a session directly.
 */
import * as allure from 'allure-js-commons';
import { ConfigError, RigError } from '../core/errors.js';
import { formatTrigger, loadRig, withTwinOverrides, type RigConfig, type TwinOverrides } from '../config/index.js';
import type { UpdateResult } from '../drivers/capabilities.js';
import type { ConsoleLine } from '../drivers/console/console.js';
import { openRig } from '../rig/open-rig.js';
import type { Rig } from '../rig/rig.js';
import { runCut, type CutResult } from '../scenario/cut.js';
import { schemeAdapter, type FlashView, type SchemeAdapter } from '../schemes/registry.js';
import { cutSummary } from '../report/cut-summary.js';
import { RigCutError, type RigCutResult } from './cut-error.js';
import { transcriptExcerpt, timelineExcerpt } from './excerpt.js';
import { planCut, type CutOptions } from './cut-plan.js';
import { imageCache } from './image-cache.js';
import { unopenedSession } from './unopened-session.js';

export type { CutOptions } from './cut-plan.js';

export interface RigSessionOptions {
  /** Twin overrides (bootloader variant, power-loss mode, seed), as a suite's rigs[] entry gives them. */
  twin?: TwinOverrides;
  /** Aborted when the run stops (hil's worker lifeline): ends a cut or a wait at once. */
  signal?: AbortSignal;
  /**
   * A rig that fails to open (a probe missing, a port gone): `throw` (the default) rejects;
   * `record` still gives a session, whose `openError` says why, whose capabilities throw that
   * RigError, and whose cut() throws a RigCutError carrying a `rig-error` CutResult: a suite
   * records every cut of that rig as broken, with the reason. Config errors always throw.
   */
  onOpenError?: 'throw' | 'record';
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
  /** Why the rig did not open (only with `onOpenError: 'record'`); undefined once it is open. */
  readonly openError: RigError | undefined;
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
  /**
   * One brownout scenario: baseline `from`, update to `to`, cut at `trigger`, judge. A step for the
   * cut, then what console and flash said, the summary, console transcript, timeline and repro line.
   * A rig error throws a RigCutError (Allure `broken`), never a device outcome.
   */
  cut(opts: CutOptions): Promise<RigCutResult>;
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

/**
 * Loads and checks a rig file (or takes a loaded RigConfig, e.g. one a suite prepared), then opens
 * it: every config error (file:line:col) comes before any hardware.
 */
export async function openRigSession(rigFile: string | RigConfig, opts: RigSessionOptions = {}): Promise<RigSession> {
  const file = typeof rigFile === 'string' ? rigFile : rigFile.file;
  const config = withTwinOverrides(typeof rigFile === 'string' ? await loadRig(rigFile) : rigFile, opts.twin, file);
  const scheme = await schemeAdapter(config.scheme);
  let rig: Rig;
  try {
    rig = await openRig(config);
  } catch (err) {
    if (opts.onOpenError !== 'record') throw err;
    return unopenedSession(config, scheme, err instanceof RigError ? err : new RigError(`rig did not open: ${(err as Error).message}`, { cause: err }));
  }
  return sessionOf(rig, scheme, opts.signal);
}

function sessionOf(rig: Rig, scheme: SchemeAdapter, signal: AbortSignal | undefined): RigSession {
  const { config } = rig;
  const images = imageCache(config.scheme);
  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => (reporting() ? allure.step(name, body) : body());
  const withSignal = signal ? { signal } : {};

  return {
    name: rig.name,
    config,
    openError: undefined,
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
          const got = await rig.console.expect(pattern, {
            timeoutMs: o.timeoutMs ?? config.boot.timeoutMs,
            what: String(pattern),
            ...(o.fromLine !== undefined && { fromLine: o.fromLine }),
            ...withSignal,
          });
          await attach('matched line', got.line.text);
          return got;
        }),
      write: (data) => step(`console write ${typeof data === 'string' ? JSON.stringify(data) : `${data.length} bytes`}`, () => rig.console.write(data)),
      transcript: () => rig.console.transcript(),
    },
    updater: {
      update: (img) =>
        step(`update with ${typeof img === 'string' ? img : `${img.length} bytes`}`, async () => {
          const stream = typeof img === 'string' ? (await images.get(img)).stream : img;
          return rig.updater.update(stream, withSignal);
        }),
    },
    async cut(o) {
      const { spec, images: imgs, repro } = await planCut(config, scheme, o, images.get);
      let r: CutResult;
      try {
        r = await step(`cut at ${formatTrigger(spec.trigger)}, off ${spec.offMs} ms`, () => runCut(rig, scheme, imgs, spec, withSignal));
      } catch (err) {
        // Even a cut that threw (stopped by a signal, a bug) leaves the line that replays it.
        await attach('repro command', repro);
        throw err;
      }
      await step(`console says: ${r.verdict?.fromConsole ?? '-'}`, async () => {});
      await step(`flash says: ${r.verdict?.fromFlash ?? '-'}`, async () => {});
      await attach('summary', cutSummary(r));
      if (o.details?.(r) ?? true) {
        await attach('console transcript', r.transcript ? transcriptExcerpt(r.transcript) : '(nothing received)');
        await attach('event timeline', timelineExcerpt(r.timeline));
      }
      await attach('repro command', repro);
      const result: RigCutResult = { ...r, repro };
      // A rig that failed is never reported as a device outcome (Allure `broken`, not `failed`).
      if (r.outcome === 'rig-error') throw new RigCutError(`${r.rigError ?? 'rig error'} (repro: ${repro})`, result);
      return result;
    },
    inspect(known) {
      return step('inspect the flash', async () => {
        if (!rig.probe) throw new ConfigError(`${config.file}: rig.inspect() needs a probe (the rig has no probe: section)`);
        const files = known ?? images.files();
        const view = await scheme.inspect(rig.probe, await Promise.all(files.map(images.get)));
        await attach('slots', view.table);
        return view;
      });
    },
    close: () => rig.close(),
  };
}
