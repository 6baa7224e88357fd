/**
 * One rig opened for TypeScript tests, without Jest: its capabilities wrapped so that every call is
 * an Allure step, and a cut takes file names (or images already loaded) and a trigger as a user
 * writes them. useRig() (./use-rig.ts) ties a session to Jest's beforeAll/afterAll, and the YAML
 * suite runner (./suite.ts) is built on it; scripts may use a session directly.
 */
import * as allure from 'allure-js-commons';
import type { FlashOpInfo } from '../report/timeline/recording.js';
import { Status } from 'allure-js-commons';
import { ConfigError, RigError } from '../core/errors.js';
import { formatTrigger, loadRig, withTwinOverrides, type RigConfig, type TwinOverrides } from '../config/index.js';
import type { UpdateResult } from '../drivers/capabilities.js';
import type { ConsoleLine } from '../drivers/console/console.js';
import { openRig } from '../rig/open-rig.js';
import type { Rig } from '../rig/rig.js';
import { runCut, type CutResult } from '../scenario/cut.js';
import { schemeAdapter, type FlashView, type SchemeAdapter } from '../schemes/registry.js';
import { consoleSays, cutSummary, expectationMessage, flashSays } from '../report/cut-summary.js';
import { formatEvents } from '../core/timeline.js';
import { cutMoments, type CutRecording } from '../report/timeline/recording.js';
import { cutTranscript } from '../report/timeline/transcript.js';
import { cutTimelineSvg } from '../report/timeline/svg.js';
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

/** The outcomes a cut passes with unless the caller says otherwise. */
const SAFE: readonly string[] = ['updated', 'rolled-back'];

/**
 * What each source said, then the verdict, as steps. A step is red (failed, with the reasons as its
 * message) when the cut failed the expectation and that source did not simply say what the cut
 * ended in: "console says: rolled-back" on a cut judged wrong-image is not a green fact.
 */
async function verdictSteps(r: CutResult, expected: readonly string[] | false): Promise<void> {
  await retrySteps(r, expected);
  const v = r.verdict;
  if (!v) return;
  const failed = expected !== false && (!expected.includes(r.outcome) || !v.agree);
  const why = v.reasons.length ? v.reasons.join('; ') : `console says ${v.fromConsole}, flash says ${v.fromFlash}`;
  const red = (said: string) => failed && (said !== r.outcome || !(expected as readonly string[]).includes(said));
  const status = (said: string) => (red(said) ? Status.FAILED : Status.PASSED);
  const error = (said: string, source: string) => (red(said) ? new Error(`${source} says ${said}; the cut ended in ${r.outcome}: ${why}`) : undefined);
  await allure.logStep(`console says: ${consoleSays(r)}`, status(v.fromConsole), error(v.fromConsole, 'the console'));
  if (v.fromFlash === 'not-inspected') await allure.logStep('flash says: not inspected (no probe)', Status.SKIPPED);
  else await allure.logStep(`flash says: ${flashSays(r)}`, status(v.fromFlash), error(v.fromFlash, 'the flash'));
  const wanted = expected === false ? '' : ` (expected one of ${expected.join(', ')})`;
  await allure.logStep(
    `verdict: ${r.outcome}${v.agree ? '' : ', console and flash disagree'}${wanted}`,
    failed ? Status.FAILED : Status.PASSED,
    failed ? new Error(expectationMessage(r, expected as readonly string[])) : undefined,
  );
}

/**
 * A retried cut: what the recovery was judged (before any retry), then a step per retry with its
 * update and what console and flash said after it. The final steps (verdictSteps) are the last
 * retry's. A retry the device refused is named so; the last retry's step is red when the cut failed.
 */
async function retrySteps(r: CutResult, expected: readonly string[] | false): Promise<void> {
  if (r.firstOutcome === undefined) return;
  const first = r.firstVerdict;
  await allure.logStep(`after the recovery: ${r.firstOutcome}${first ? ` (console says ${first.fromConsole}, flash says ${first.fromFlash})` : ''}; retrying`, Status.PASSED);
  const retries = r.retries ?? [];
  const failed = expected !== false && (!expected.includes(r.outcome) || r.verdict?.agree === false);
  for (const [i, x] of retries.entries()) {
    const last = i === retries.length - 1 && r.outcome !== 'rig-error';
    const red = failed && last;
    const update = x.error !== undefined ? `refused: ${x.error}` : `${x.update.acked}/${x.update.total} bytes${x.update.committed ? ', committed' : ''}`;
    try {
      await allure.step(`retry ${x.attempt}: the same update again -> ${x.outcome}`, async (ctx) => {
        await allure.logStep(`update: ${update}`, x.error !== undefined ? Status.BROKEN : Status.PASSED);
        if (x.verdict) {
          await allure.logStep(`console says: ${x.verdict.fromConsole}${x.observation?.banner ? ` (${x.observation.banner.version} from slot ${x.observation.banner.slot})` : ''}`, Status.PASSED);
          await allure.logStep(`flash says: ${x.verdict.fromFlash}`, x.verdict.fromFlash === 'not-inspected' ? Status.SKIPPED : Status.PASSED);
        }
        await ctx.parameter('outcome', x.outcome);
        if (red) throw new Error(`retry ${x.attempt} left the device ${x.outcome}: ${x.verdict?.reasons.join('; ') || 'no reasons'}`);
      });
    } catch (err) {
      // The red step is the report's; the test's own failure comes from the suite's expectation.
      if (!red) throw err;
    }
  }
  if (r.outcome === 'rig-error') await allure.logStep(`retry ${retries.length + 1}: ${r.rigError ?? 'rig error'}`, Status.BROKEN);
}

/**
 * Records what one cut leaves for its report, as it happens: where the console stood when the cut
 * started (a long-lived rig's console holds every cut before it) and when each flash operation
 * started. Flash ops are watched on a twin only: a bench's marker pin is the trigger's to watch.
 */
function watchCut(rig: Rig): { stop(): void; recording(): CutRecording } {
  const firstLine = rig.console.lines.length;
  const firstNote = rig.console.notes.length;
  const flashOps: number[] = [];
  // A product's ops say which processor ran them and in which memory: the picture's per-memory lanes.
  const info: FlashOpInfo[] = [];
  const unwatch =
    rig.twin && rig.marker
      ? rig.marker((op) => {
          flashOps.push(rig.clock.now());
          info.push({ ...(op?.mcu && { mcu: op.mcu }), ...(op?.memory && { memory: op.memory }) });
        })
      : undefined;
  return {
    stop: () => unwatch?.(),
    recording: () => {
      const notes = rig.console.notes.slice(firstNote).map((l) => ({ t: l.t, text: l.text, host: true }));
      const lines = [...rig.console.lines.slice(firstLine).map((l) => ({ t: l.t, text: l.text })), ...notes].sort((a, b) => a.t - b.t);
      return { events: [...rig.timeline.events], lines, flashOps, ...(info.some((o) => o.mcu) && { flashOpInfo: info }), ...(rig.mcus && { members: Object.keys(rig.mcus) }) };
    },
  };
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
      const watch = watchCut(rig);
      let r: CutResult;
      try {
        r = await step(`cut at ${formatTrigger(spec.trigger)}, off ${spec.offMs} ms`, () => runCut(rig, scheme, imgs, spec, withSignal));
      } catch (err) {
        // Even a cut that threw (stopped by a signal, a bug) leaves the line that replays it.
        await attach('repro command', repro);
        throw err;
      } finally {
        watch.stop();
      }
      const recording = watch.recording();
      if (reporting()) await verdictSteps(r, o.expect === undefined ? SAFE : o.expect);
      if (o.details?.(r) ?? true) {
        await attach('summary', cutSummary(r));
        const moments = cutMoments(recording);
        await attach('console transcript', recording.lines.length ? transcriptExcerpt(cutTranscript(recording, moments)) : '(nothing received)');
        await attach('event timeline', timelineExcerpt(formatEvents(recording.events, moments.origin)));
        if (reporting()) await allure.attachment('event timeline (picture)', cutTimelineSvg(recording, { heading: `${rig.name}: ${r.trigger} -> ${r.outcome}` }, moments), 'image/svg+xml');
        await attach('repro command', repro);
      } else if (reporting()) {
        // A cut that needs no details (it passed) says what the verdict steps say already; its replay
        // line is a step's name, not an attachment: each attachment costs the single-file report
        // ~3 KB, and a campaign has hundreds of passing cuts.
        await allure.step(`repro: ${repro}`, () => undefined);
      }
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
