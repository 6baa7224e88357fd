import { ConfigError, RigError } from '../core/errors.js';
import { formatTrigger, type Trigger } from '../config/trigger.js';
import type { Outcome } from '../config/vocabulary.js';
import type { Rig } from '../rig/rig.js';
import { observeBoot, type BootObservation } from './observe-boot.js';
import type { FlashView, SchemeAdapter } from '../schemes/scheme.js';
import { TriggerWatch, type FirePoint } from './trigger-watch.js';
import type { UpdateImage } from './update-image.js';
import { judge, judgeConsoleOnly, type Verdict } from './verdict.js';

export interface CutSpec {
  trigger: Trigger;
  offMs: number;
  seed: number;
  /** Extra plain power cycles after recovery that must keep the same image running. */
  bootLoopCycles?: number;
  /** A second cut this many ms after power returns (during the recovery itself). */
  second?: number;
  /** The scheme's baseline setup (suite `setup:`); default: the scheme's first. */
  setup?: string;
}

export interface CutResult {
  rig: string;
  variant?: string;
  trigger: string;
  offMs: number;
  seed: number;
  fired?: FirePoint & { devicePhase?: string };
  /** The second cut, when the spec asked for one: ms after power returned, and the device phase then. */
  secondCut?: { afterMs: number; devicePhase?: string };
  outcome: Outcome;
  verdict?: Verdict;
  observation?: BootObservation;
  flash?: FlashView;
  update: { finished: boolean; committed: boolean; error?: string; acked: number; total: number };
  /** What went wrong with the rig, when the outcome is rig-error. */
  rigError?: string;
  transcript: string;
  timeline: string;
  /** Clock ms the whole scenario took (virtual on an in-process twin). */
  clockMs: number;
}

/** Thrown into the update when the cut fires; the updater's rejection with it is expected. */
class CutFired extends Error {
  constructor() {
    super('power cut');
  }
}

/** Twin baselines per rig and image: after the first, every cut restores a snapshot. */
const baselines = new WeakMap<Rig, Map<string, unknown>>();

/**
 * One brownout scenario: baseline (image A running), update to B, cut when the trigger fires,
 * power back after offMs, wait for the device, judge from console and flash.
 */
export async function runCut(
  rig: Rig,
  scheme: SchemeAdapter,
  images: { from: UpdateImage; to: UpdateImage; previous?: UpdateImage },
  spec: CutSpec,
  opts: { signal?: AbortSignal } = {},
): Promise<CutResult> {
  const { clock, console, timeline } = rig;
  const { from, to } = images;
  if (!from.version || !to.version) throw new ConfigError(`${(from.version ? to : from).file}: image carries no app info block, so its banner cannot be recognised`);
  if (from.version === to.version) throw new ConfigError(`${from.file} and ${to.file} have the same version ${from.version}: an update could not be told from a rollback`);
  timeline.clear();
  const t0 = clock.now();
  const base = {
    rig: rig.name,
    ...(rig.twin && { variant: rig.twin.variant }),
    trigger: formatTrigger(spec.trigger),
    offMs: spec.offMs,
    seed: spec.seed,
  };
  const progress = { acked: 0, total: to.stream.length, phase: 'start' };
  const update: CutResult['update'] = { finished: false, committed: false, acked: 0, total: to.stream.length };
  const finish = (outcome: Outcome, extra: Partial<CutResult>): CutResult => {
    console.flushPartial();
    update.acked = progress.acked;
    return { ...base, outcome, update, transcript: console.transcript(t0), timeline: timeline.format(t0), clockMs: clock.now() - t0, ...extra };
  };

  try {
    opts.signal?.throwIfAborted();
    await baseline(rig, scheme, images, spec.setup ?? scheme.setups[0]!, spec.seed, opts.signal);
  } catch (err) {
    if (err instanceof RigError) return finish('rig-error', { rigError: `baseline: ${err.message}` });
    throw err;
  }

  timeline.add('scenario', 'update-start', `${to.name} (${to.stream.length} bytes), trigger ${base.trigger}`);
  const abort = new AbortController();
  const onAbort = () => abort.abort(opts.signal!.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // Aborted during the baseline (a probe programming cannot be stopped): no update at all.
  if (opts.signal?.aborted) onAbort();
  try {
    return await updateCutAndJudge();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  /** One interruption of power (off for offMs, or the supply's sag); returns the first console line after it. */
  async function interrupt(): Promise<number> {
    if (rig.power.cut) {
      await rig.power.cut(spec.offMs);
      console.flushPartial();
      return console.lines.length;
    }
    await rig.power.off();
    await clock.sleep(spec.offMs, opts.signal);
    console.flushPartial();
    const fromLine = console.lines.length;
    await rig.power.on();
    return fromLine;
  }

  async function updateCutAndJudge(): Promise<CutResult> {
    let fired: FirePoint | undefined;
    let secondCut: CutResult['secondCut'];
    let afterCut!: Promise<number>;
    let resolveFired!: () => void;
    const firedPromise = new Promise<void>((r) => (resolveFired = r));
    const marker = rig.marker;
    const unsupported = TriggerWatch.unsupported(spec.trigger, { ...(marker && { marker }) });
    if (unsupported) throw new ConfigError(`${rig.config.file}: trigger ${base.trigger}: ${unsupported}`);
    const watch = new TriggerWatch(spec.trigger, { clock, console, progress, ...(marker && { marker }) }, (point) => {
      fired = point;
      timeline.add('cut', 'fire', `${point.offsetMs.toFixed(3)} ms after update start, ${point.acked} bytes acked, phase ${point.phase}`);
      abort.abort(new CutFired());
      afterCut = (async () => {
        let fromLine = await interrupt();
        if (spec.second !== undefined) {
          // Cut the recovery itself: the resumed swap, the repair, the first boot's housekeeping.
          await clock.sleep(spec.second, opts.signal);
          const at = clock.now();
          timeline.add('cut', 'second', `${spec.second} ms after power returned`);
          secondCut = { afterMs: spec.second, ...(lastPhaseBefore(rig, at) && { devicePhase: lastPhaseBefore(rig, at)! }) };
          fromLine = await interrupt();
        }
        return fromLine;
      })();
      // Awaited below; if Ctrl-C ends the off time first, nobody may be awaiting it yet.
      afterCut.catch(() => {});
      resolveFired();
    });
    try {
      return await updateAndJudge();
    } finally {
      // However this ends (Ctrl-C included), an armed trigger must never cut power later.
      watch.disarm();
    }

    async function updateAndJudge(): Promise<CutResult> {
      let updateRigError: string | undefined;
      try {
        const result = await rig.updater.update(to.stream, {
          signal: abort.signal,
          ...(spec.setup !== undefined && { setup: spec.setup }),
          onProgress: (p) => {
            Object.assign(progress, p);
            watch.onProgress();
          },
        });
        update.finished = true;
        // Only a commit the device announced before the cut binds it.
        update.committed = result.committed && !fired;
        timeline.add('scenario', 'update-done', result.committed ? 'committed' : undefined);
      } catch (err) {
        if (!(err instanceof CutFired) && !abort.signal.aborted) {
          update.error = (err as Error).message;
          timeline.add('scenario', 'update-failed', update.error);
          if (err instanceof RigError) updateRigError = err.message;
        }
      }
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (!fired) {
        if (updateRigError) {
          watch.disarm();
          return finish('rig-error', { rigError: `update: ${updateRigError}` });
        }
        // A time trigger always fires. A progress trigger cannot advance once the update is over; a
        // console one gets until the boot timeout.
        const grace = spec.trigger.kind === 'after' ? Number.POSITIVE_INFINITY : spec.trigger.kind === 'progress' ? 0 : rig.config.boot.timeoutMs;
        const timer = Number.isFinite(grace) ? clock.setTimer(grace, () => resolveFired()) : undefined;
        try {
          // A time trigger can be far off (after:90s, the update long done): Ctrl-C must end this wait.
          await untilAborted(firedPromise, opts.signal);
        } finally {
          timer?.cancel();
        }
        if (!fired && update.error) {
          // The device refused the update before the trigger was met: what it does at the next power
          // cycle is still the question, so cut now and say so.
          timeline.add('cut', 'forced', 'the update failed before the trigger was met');
          watch.forceFire();
        }
      }
      if (!fired) {
        watch.disarm();
        return finish('rig-error', { rigError: `trigger ${base.trigger} never fired (update ${update.finished ? 'finished' : 'stopped'} at ${progress.acked} of ${progress.total} bytes)` });
      }
      const devicePhase = lastPhaseBefore(rig, fired.t);
      const fromLine = await afterCut;

      const observation = await observeBoot(console, clock, { fromLine, timeoutMs: rig.config.boot.timeoutMs, ...(opts.signal && { signal: opts.signal }) });
      // Let the app finish what it does right after its banner (confirming itself) before reading the flash.
      if (rig.probe && observation.banner && scheme.settleMs > 0) await clock.sleep(scheme.settleMs, opts.signal);
      const flash = rig.probe ? await scheme.inspect(rig.probe, [from, to, ...(images.previous ? [images.previous] : [])]) : undefined;
      const judged = { committed: update.committed, silence: scheme.silence };
      const verdict = flash ? judge(observation, flash, from, to, judged) : judgeConsoleOnly(observation, from, to, judged);
      let outcome = verdict.outcome;
      for (let i = 0; i < (spec.bootLoopCycles ?? 0) && observation.banner; i++) {
        await rig.power.off();
        await clock.sleep(spec.offMs, opts.signal);
        const line = console.lines.length;
        await rig.power.on();
        const again = await observeBoot(console, clock, { fromLine: line, timeoutMs: rig.config.boot.timeoutMs, ...(opts.signal && { signal: opts.signal }) });
        if (again.banner?.line !== observation.banner.line) {
          verdict.reasons.push(`power cycle ${i + 1}: ${again.banner ? `now runs ${again.banner.version} from slot ${again.banner.slot}` : `no banner (${again.state})`}`);
          outcome = 'boot-loop';
          break;
        }
      }
      return finish(outcome, { fired: { ...fired, ...(devicePhase && { devicePhase }) }, ...(secondCut && { secondCut }), verdict, observation, ...(flash && { flash }) });
    }
  }
}

async function baseline(
  rig: Rig,
  scheme: SchemeAdapter,
  images: { from: UpdateImage; previous?: UpdateImage },
  setup: string,
  seed: number,
  signal?: AbortSignal,
): Promise<void> {
  const { from } = images;
  const { clock, console, timeline } = rig;
  let cache = baselines.get(rig);
  if (!cache) baselines.set(rig, (cache = new Map()));
  await rig.power.off();
  rig.twin?.reseed(seed);
  const key = `${setup}/${from.sha256}/${images.previous?.sha256 ?? '-'}`;
  const snap = rig.twin && cache.get(key);
  if (snap) rig.twin!.restore(snap);
  else if (!rig.probe) {
    // No probe (a bench without SWD): the update path itself installs the baseline. The slot it
    // does not write keeps whatever it held, so the baseline is less exact than a probe's.
    if (setup !== scheme.setups[0]) throw new RigError(`${rig.config.file}: setup ${setup} needs a probe to provision the board`);
    timeline.add('scenario', 'baseline-by-update', from.name);
    const r = await rig.updater.update(from.stream, { ...(signal && { signal }) });
    if (!r.ok) throw new RigError(`${rig.config.file}: installing the baseline ${from.name} over the update path failed`);
  } else {
    // A real probe needs a powered target; the twin's debug port works on an unpowered model.
    if (!rig.twin) await rig.power.on();
    await scheme.baseline(rig.probe, { from, ...(images.previous && { previous: images.previous }) }, setup);
  }
  if (!snap && !rig.twin) {
    // Off long enough for a real power-on reset before the baseline boot is observed.
    await rig.power.off();
    await clock.sleep(Math.max(rig.config.power.offMs, rig.config.power.minOffMs ?? 0), signal);
  }
  timeline.add('scenario', 'baseline', from.name);
  console.flushPartial();
  const fromLine = console.lines.length;
  await rig.power.on();
  const obs = await observeBoot(console, clock, { fromLine, timeoutMs: rig.config.boot.timeoutMs, ...(signal && { signal }) });
  if (obs.banner?.version !== from.version) {
    throw new RigError(`device did not come up running ${from.name} ${from.version} (${obs.banner ? `runs ${obs.banner.version}` : obs.state}); last line: ${console.lines.at(-1)?.text ?? '(none)'}`);
  }
  if (rig.twin && !snap) cache.set(key, rig.twin.snapshot());
}

/** Resolves with `promise`, or rejects with the abort reason as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function lastPhaseBefore(rig: Rig, t: number): string | undefined {
  let phase: string | undefined;
  for (const e of rig.timeline.events) {
    if (e.t > t) break;
    if (e.source === 'twin' && e.kind.startsWith('phase:')) phase = e.kind.slice(6);
  }
  return phase;
}
