import { ControlFlow } from '../../core/control-flow.js';
import type { Outcome } from '../../config/vocabulary.js';
import type { CompatibleSet } from '../../config/version-pattern.js';
import type { Rig } from '../../rig/rig.js';
import type { FlashView, SchemeAdapter } from '../../schemes/scheme.js';
import { observeBoot, type BootObservation } from '../observe-boot.js';
import { judge, judgeConsoleOnly, type Verdict } from '../verdict.js';
import { retryable } from '../cut/retry-policy.js';
import { retryUpdate } from '../cut/retry-update.js';
import { confirmStable, stableCommand } from '../cut/stable-command.js';
import type { ChangedSectors, SweepOp } from '../../drivers/device/twin-sweep.js';
import { sweepOf, type Recording, type SweepImages } from './recording.js';
import type { SweepCutPoint } from './points.js';

/** Readings kept per session (a few MB each at most, shared buffers aside). */
const MAX_VIEWS = 256;
/** Judged tail contexts kept per session (a few hundred bytes each). */
const MAX_TAIL_VERDICTS = 4096;

/**
 * A recovery's op log ends once the device has started no flash op for this long after its boot
 * was observed: longer than any op of the twins' parts (an STM32F429 128 KiB sector erase, 1 s),
 * so no op is left in flight, and than the gaps between the ops of one piece of work.
 */
export const RECOVERY_QUIET_MS = 2500;
/** A recovery that never goes quiet (a loop that writes on every boot) is logged this long at most. */
export const MAX_RECOVERY_LOG_MS = 120_000;
const QUIET_STEP_MS = 250;

/**
 * Every wait of a recovery is bounded in device time (the boot timeout, the retries', the boot-loop
 * cycles'), so a point ends; these are the backstop for a wait that is not (a bug): a point whose
 * device time passes this many of its boot watches, or whose clock fires POINT_EVENT_BUDGET events
 * without getting there (a loop at one instant), is stopped and judged `waiting`, the budget named.
 */
export const POINT_BUDGET_WATCHES = 10;
export const POINT_EVENT_BUDGET = 50_000_000;
/** How often (wall time) the event budget and an abort are looked at while a point runs. */
const GUARD_EVERY_MS = 200;

/** Wall ms between turns of the event loop in a thread's run of points (see recoverPoint). */
const TURN_EVERY_MS = 25;
let lastTurn = performance.now();

/** Lets the event loop turn (signal handlers, the point guard's checks) when TURN_EVERY_MS has passed since it last did. */
async function turnTheLoop(): Promise<void> {
  if (performance.now() - lastTurn < TURN_EVERY_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastTurn = performance.now();
}

/** Abort signals of the sweep rigs whose points stop on them (Ctrl-C inside a point). */
const pointSignals = new WeakMap<Rig, AbortSignal>();

/**
 * Points recovered on `rig` from now on stop within a bounded time once `signal` aborts: the
 * recovery's waits end and the point throws the signal's reason (the sweep is being interrupted;
 * the rig is left off). A session's owner (the engine, hil detect) calls this once per rig.
 */
export function stopPointsOn(rig: Rig, signal: AbortSignal | undefined): void {
  if (signal) pointSignals.set(rig, signal);
  else pointSignals.delete(rig);
}

/** Why a point was stopped by its budget (see POINT_BUDGET_WATCHES). */
class PointBudgetSpent extends Error {}

/** A point stopped at its tail's hit: an earlier point played the same tail in the same context (see PointMemo.tails). */
class KnownVerdict extends ControlFlow {
  constructor(readonly result: Omit<PointResult, 'point'>) {
    super('judged before in this context');
  }
}

/**
 * A recovery whose played-back tail (TwinSweep.armTail) could not give the state at its judgement:
 * the caller simulates the point again with the tail memo disarmed.
 */
export class TailNotReplayable extends Error {
  constructor() {
    super('the recorded tail does not end at this judgement');
  }
}

/**
 * The abort signal a point's waits take: the caller's (Ctrl-C), the device-time budget and the event
 * budget (a loop at one instant), looked at between turns of the event loop. `end()` when the point
 * is done.
 */
function pointGuard(rig: Rig, budgetMs: number): { signal: AbortSignal; stop(reason: Error): void; end(): void } {
  const ac = new AbortController();
  const outer = pointSignals.get(rig);
  const { clock } = rig;
  const spend = (why: string) => ac.abort(new PointBudgetSpent(why));
  // Looked at in wall time, not by a timer on the rig's clock: a virtual clock with nothing else
  // pending jumps straight to its next timer whenever the thread waits on anything else.
  const fired = (clock as { fired?: number }).fired;
  const at = clock.now();
  const interval = setInterval(() => {
    if (outer?.aborted) return ac.abort(outer.reason);
    if (clock.now() - at > budgetMs) return spend(`its device time passed ${budgetMs / 1000} s (${POINT_BUDGET_WATCHES} boot watches per recovery)`);
    const now = (clock as { fired?: number }).fired;
    if (fired !== undefined && now !== undefined && now - fired > POINT_EVENT_BUDGET) {
      spend(`its clock fired ${POINT_EVENT_BUDGET} events in ${((clock.now() - at) / 1000).toFixed(3)} s of device time`);
    }
  }, GUARD_EVERY_MS);
  interval.unref();
  const onOuter = () => ac.abort(outer!.reason);
  if (outer?.aborted) ac.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: ac.signal,
    stop: (reason) => ac.abort(reason),
    end: () => {
      clearInterval(interval);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/**
 * What a run memo (TwinSweep.runs) keeps of a point's recovery: the observation up to its first
 * judgement (the flash is then read as the later point's own), or, for a run stopped where a
 * board's tail begins to play (its whole state decides the rest), the judgement itself.
 */
type RunValue =
  | { judged: Omit<PointResult, 'point'> }
  | {
      observation: BootObservation;
      /** The sectors it had changed when the flash was read for the judgement. */
      atJudge: ChangedSectors;
      /** Its power cycles (bootLoopCycles): why they found a boot loop, if they did, and the sectors changed by their end. */
      cycles?: { reason?: string; atEnd: ChangedSectors };
    };

/** What a cut's recovery needs beyond the point itself (a cut spec's recovery half). */
export interface RecoverySpec {
  offMs: number;
  /** Extra plain power cycles after recovery that must keep the same image running. */
  bootLoopCycles?: number;
  /** Retries of the update after the recovery while the device is waiting or rolled-back (a suite's `retry:`). */
  retry?: number;
  /** The scheme's setup the retries' updates go with (as the recorded update's). */
  setup?: string;
  /** A product's supported version sets (a suite's `compatible:`). */
  compatible?: readonly CompatibleSet[];
}

/** Verdicts by played tail context and host view (see PointMemo.tails), and how often one was used. */
export class TailVerdicts {
  readonly byContext = new Map<string, Omit<PointResult, 'point'>>();
  /** Points stopped at their tail's hit with a verdict from here. */
  used = 0;
}

/** What a session keeps from point to point, and how much of it a point may use. */
export interface PointMemo {
  /**
   * Flash readings by state hash. A reading is a function of the bytes the probe dumps, and those
   * of the state: recoveries that end in the same state (a resumed swap finishing as the uncut one
   * did) are read once. Shared read-only.
   */
  views?: Map<string, FlashView>;
  /**
   * Given: the board may play back tails (TwinSweep.armTail), and these are the verdicts of earlier
   * points by their tail's context (TwinSweep.tailPlaying) and the host's view (committed,
   * accepted). A point whose tail starts to play in a context judged before stops there with that
   * verdict: from power-on to the judgement the rig heard, said and read the same (the rig answers
   * the board alone, the tail ends in the same flash), so it concludes the same. A product's sweep
   * plays ~1,400 tails in a few dozen contexts.
   */
  tails?: TailVerdicts;
  /** Logs the recovery's flash ops (a double sweep's first cut: its second cuts index them), in a run of its own after the judged one (recordRecovery). */
  record?: (recovery: RecordedRecovery) => void;
  /**
   * The recovery (its first judgement and its power cycles) may be taken from an earlier point's
   * whose run read the same stored bytes (TwinSweep.runs): the same console, so the same
   * observation, and the sectors it had written put in place at each reading of the flash, which
   * is then read and judged as this point's own. Not with retries.
   */
  runs?: boolean;
}

/** One cut point's outcome, judged as a replayed cut is. */
export interface PointResult {
  point: SweepCutPoint;
  outcome: Outcome;
  reasons: string[];
  /** sha256 of flash and option bytes once the recovery is judged. */
  stateHash: string;
  /** The point shared its recovery with an earlier point of the same state. */
  shared?: boolean;
  /** Retried (RecoverySpec.retry): the outcome the recovery was judged, before the retries. */
  firstOutcome?: Outcome;
  /** Each retry's outcome (and the device's refusal, if it refused the update). */
  retries?: { attempt: number; outcome: Outcome; error?: string }[];
  /**
   * A double sweep's first cut: the size of the recovery it starts (its own op log), which a
   * second cut indexes; ops that never completed there have no `after` cut.
   */
  recovery?: RecoverySummary;
}

export interface RecoverySummary {
  ops: number;
  /** Indices of ops the recovery started and never completed. */
  unfinished?: number[];
}

/** A first cut's recovery as recorded: its op log and the instant power came back (its ops' time origin). */
export interface RecordedRecovery {
  ops: readonly SweepOp[];
  powerOnMs: number;
}

export function summarize(recovery: RecordedRecovery): RecoverySummary {
  const unfinished = recovery.ops.filter((o) => o.endMs === undefined).map((o) => o.index);
  return { ops: recovery.ops.length, ...(unfinished.length && { unfinished }) };
}

/** Whether the host had seen the update finish (committed) before this point's cut. */
export function committedAt(rec: Recording, point: SweepCutPoint): boolean {
  if (!rec.committed || rec.opsBeforeUpdateDone === undefined) return false;
  // A range point's own time, where its op could not tell (./modes.ts).
  if (point.atMs !== undefined) return rec.updateDoneMs !== undefined && rec.updateDoneMs < rec.updateStartMs + point.atMs;
  if (point.op >= rec.opsBeforeUpdateDone) return true;
  // A torn cut lands inside its op: after the update's end when the op straddles it.
  const op = rec.ops[point.op]!;
  return point.mode === 'torn' && rec.updateDoneMs !== undefined && op.startMs + (point.fraction ?? 0) * op.durationMs > rec.updateDoneMs;
}

/**
 * Whether a product's host had said it accepted the update (`fota: accepted`) before this point's
 * cut: it must then finish the update or say it failed (as a replayed cut judges it from its timeline).
 */
export function acceptedAt(rec: Recording, point: SweepCutPoint): boolean {
  return rec.opsBeforeAccepted !== undefined && point.op >= rec.opsBeforeAccepted;
}

/**
 * Simulates only the recovery from one cut point: the device's persistent state is loaded as the
 * cut left it (RAM gone), power comes back after the off time, and the outcome is judged from the
 * console and from the flash as runCut judges a replayed cut (same observation, settle time,
 * scheme inspection and verdict; the retries and the boot-loop check when asked).
 */
export async function recoverPoint(rig: Rig, scheme: SchemeAdapter, images: SweepImages, rec: Recording, point: SweepCutPoint, spec: RecoverySpec, memo: PointMemo = {}): Promise<PointResult> {
  const { record, tails } = memo;
  // A turn of the event loop between points, at most every TURN_EVERY_MS of wall time: a batched
  // virtual clock runs a twin's events back to back in process ticks and never lets the loop turn
  // while a sweep runs, so without it a Ctrl-C (a signal handler) and the guard's checks would wait
  // for the whole sweep in this thread. Not at every point: a turn costs about as much as a small
  // scheme's whole recovery (measured: a quarter of a loader-app point). The device is off first
  // (the last point or the recording may have left it on): nothing of it runs meanwhile.
  await rig.power.off();
  await turnTheLoop();
  const timeoutMs = rig.config.boot.timeoutMs;
  // A recorded recovery (a double sweep's first cut) runs on after the judgement, to MAX_RECOVERY_LOG_MS at most.
  const recording = record ? spec.offMs + timeoutMs + MAX_RECOVERY_LOG_MS : 0;
  const guard = pointGuard(rig, POINT_BUDGET_WATCHES * (spec.offMs + timeoutMs) * (1 + (spec.retry ?? 0) + (spec.bootLoopCycles ?? 0)) + recording);
  const sweep = sweepOf(rig);
  const host = `${committedAt(rec, point)} ${acceptedAt(rec, point)}`;
  // Only a point judged once, at its first judgement, is the same as another with its context.
  const verdicts = tails && !record && !spec.retry && !spec.bootLoopCycles ? tails.byContext : undefined;
  sweep.armTail(tails !== undefined, (context) => {
    const known = verdicts?.get(`${context} ${host}`);
    if (known) guard.stop(new KnownVerdict(known));
  });
  // Nobody reads a recovery's timeline: it is judged from the console and the flash.
  rig.timeline.quiet = true;
  try {
    const result = await recoverGuarded(rig, scheme, images, rec, point, spec, guard.signal, memo);
    if (verdicts) {
      // The context it played in, and those in which a later recovery would play a tail it kept:
      // from power-on to the judgement the rig hears and says in each what it did in this one.
      const played = sweep.tailPlaying();
      for (const context of [...(played !== undefined ? [played] : []), ...sweep.tailLearned()]) {
        if (verdicts.size >= MAX_TAIL_VERDICTS) verdicts.clear();
        verdicts.set(`${context} ${host}`, { outcome: result.outcome, reasons: [...result.reasons], stateHash: result.stateHash });
      }
    }
    return result;
  } catch (err) {
    if (err instanceof KnownVerdict) {
      tails!.used++;
      // The same outcome; the state is this play's own (its tail's log appended where this recovery's ends).
      const judged = { ...err.result, reasons: [...err.result.reasons], stateHash: sweep.tailStateHash() ?? err.result.stateHash };
      // What follows the hit depends on the whole board state there: a point whose cut agrees on every sector this run did not erase is judged the same.
      if (memo.runs) sweep.runs.keep(host, { judged: structuredClone(judged) } satisfies RunValue, true);
      return { point, ...judged };
    }
    if (!(err instanceof PointBudgetSpent)) throw err;
    if (!sweep.tailEnd()) throw new TailNotReplayable();
    // A wait that never ended (a bug, in the twin or here): the device never settled, as far as anyone can tell.
    await rig.power.off();
    return { point, outcome: 'waiting', reasons: [`the recovery was stopped: ${err.message}`], stateHash: sweep.stateHash() };
  } finally {
    guard.end();
    sweep.runs.stop();
    rig.timeline.quiet = false;
    // The device stops with its point: a firmware that always has a timer pending (a product's
    // host app idles in 60 s waits) would otherwise run on in the background whenever this thread
    // waits, at the cost of every other session on it (hil detect keeps several open).
    await rig.power.off();
  }
}

async function recoverGuarded(
  rig: Rig,
  scheme: SchemeAdapter,
  images: SweepImages,
  rec: Recording,
  point: SweepCutPoint,
  spec: RecoverySpec,
  signal: AbortSignal,
  { views, record, runs }: PointMemo,
): Promise<PointResult> {
  const { clock, console } = rig;
  const sweep = sweepOf(rig);
  const { from, to } = images;
  rig.timeline.clear();
  await rig.power.off();
  // The first cut's state, then the second's in the recovery it started: the twin's generator is
  // seeded once (the point's seed) and carries on from the first tear to the second, as a replayed
  // cut with a second cut draws both from one seed.
  sweep.load(point);
  if (point.second) sweep.loadSecond(point.second);
  const timeoutMs = rig.config.boot.timeoutMs;
  // A crash loop is cut short once it repeats with no flash write (see observeBoot's writes).
  const writes = () => rig.twin!.flashOps();
  // The device's part of a judgement: the stable command and the settle time, then the flash is read.
  const settle = async (obs: BootObservation): Promise<void> => {
    if (stableCommand(rig)) await confirmStable(rig, obs);
    signal.throwIfAborted();
    if (rig.probe && obs.banner && scheme.settleMs > 0) await clock.sleep(scheme.settleMs, signal);
    if (!sweep.tailEnd()) throw new TailNotReplayable();
  };
  const context = `${committedAt(rec, point)} ${acceptedAt(rec, point)}`;
  const ran = runs ? (sweep.runs.find(context) as RunValue | undefined) : undefined;
  if (ran && 'judged' in ran) return { point, ...structuredClone(ran.judged) };
  // This point's run, watched for the run memo (none when an earlier point's is taken).
  const watched = runs === true && !ran;
  let observation: BootObservation;
  if (ran) {
    observation = structuredClone(ran.observation);
    sweep.runs.place(ran.atJudge);
  } else {
    if (watched) sweep.runs.start();
    await clock.sleep(spec.offMs, signal);
    console.flushPartial();
    // Each point reads only its own lines: the earlier points' go (a sweep would keep them all).
    console.forgetLines();
    const fromLine = console.lines.length;
    await rig.power.on();
    observation = await observeBoot(console, clock, { fromLine, timeoutMs, writes, signal });
    await settle(observation);
  }
  const seen = watched ? { observation: structuredClone(observation), atJudge: sweep.runs.changed() } : undefined;
  const judgeNow = async (obs: BootObservation, committed: boolean, accepted?: boolean): Promise<{ verdict: Verdict; stateHash: string }> => {
    const hash = sweep.stateHash();
    let flash = rig.probe ? views?.get(hash) : undefined;
    if (rig.probe && !flash) {
      // The sweep's probe: the bytes the rig's probe would dump, into buffers reused from point to point.
      // The host's reading, not the firmware's: the run memo does not count it.
      if (watched) sweep.runs.pause();
      flash = await scheme.inspect(sweep.probe, [from, to, ...(images.previous ? [images.previous] : [])]);
      if (watched) sweep.runs.resume();
      if (views) {
        if (views.size >= MAX_VIEWS) views.clear();
        views.set(hash, flash);
      }
    }
    const judged = { committed, silence: scheme.silence, ...(spec.compatible && { compatible: spec.compatible }), ...(accepted && { accepted }) };
    return { verdict: flash ? judge(obs, flash, from, to, judged) : judgeConsoleOnly(obs, from, to, judged), stateHash: hash };
  };
  let { verdict, stateHash } = await judgeNow(observation, committedAt(rec, point), acceptedAt(rec, point));
  let outcome = verdict.outcome;
  // The suite's retries (../cut/state-retrying.ts does the same for a replayed cut): the same update
  // again while the device is reachable but not updated, judged after each.
  let retried: Pick<PointResult, 'firstOutcome' | 'retries'> | undefined;
  while ((spec.retry ?? 0) > (retried?.retries?.length ?? 0) && retryable(outcome)) {
    signal.throwIfAborted();
    const retries = (retried ??= { firstOutcome: outcome, retries: [] }).retries!;
    const attempt = retries.length + 1;
    const r = await retryUpdate(rig, to, { attempt, of: spec.retry!, offMs: spec.offMs, ...(spec.setup !== undefined && { setup: spec.setup }), writes });
    if ('rigError' in r) {
      // A twin's update path has no rig of its own to fail: this is a bug in hilrig, not a result.
      throw new Error(`sweep point op ${point.op} ${point.mode}: retry ${attempt}: ${r.rigError}`);
    }
    observation = r.observation;
    await settle(observation);
    ({ verdict, stateHash } = await judgeNow(observation, r.update.committed));
    outcome = verdict.outcome;
    retries.push({ attempt, outcome, ...(r.error !== undefined && { error: r.error }) });
  }
  let cycled: NonNullable<Extract<RunValue, { atJudge: ChangedSectors }>['cycles']> | undefined;
  if ((spec.bootLoopCycles ?? 0) > 0 && observation.banner) {
    if (ran?.cycles) sweep.runs.place(ran.cycles.atEnd);
    const reason = ran ? ran.cycles?.reason : await powerCycles(rig, observation.banner.line, spec, signal);
    if (reason !== undefined) {
      verdict.reasons.push(reason);
      outcome = 'boot-loop';
    }
    stateHash = sweep.stateHash();
    if (watched) cycled = { ...(reason !== undefined && { reason }), atEnd: sweep.runs.changed() };
  }
  if (seen) sweep.runs.keep(context, { ...seen, ...(cycled && { cycles: cycled }) } satisfies RunValue);
  if (record) record(await recordRecovery(rig, point, spec, signal));
  return { point, outcome, reasons: verdict.reasons, stateHash, ...retried };
}

/**
 * The suite's plain power cycles after a recovery that booted (bootLoopCycles): each must boot the
 * same image again. Why one did not (it is then a boot loop), or undefined.
 */
async function powerCycles(rig: Rig, banner: string, spec: RecoverySpec, signal: AbortSignal): Promise<string | undefined> {
  const { clock, console } = rig;
  for (let i = 0; i < (spec.bootLoopCycles ?? 0); i++) {
    await rig.power.off();
    await clock.sleep(spec.offMs, signal);
    const line = console.lines.length;
    await rig.power.on();
    const again = await observeBoot(console, clock, { fromLine: line, timeoutMs: rig.config.boot.timeoutMs, signal });
    if (stableCommand(rig)) await confirmStable(rig, again);
    if (again.banner?.line !== banner) return `power cycle ${i + 1}: ${again.banner ? `now runs ${again.banner.version} from slot ${again.banner.slot}` : `no banner (${again.state})`}`;
  }
  return undefined;
}

/**
 * The op log of the recovery a first cut starts, for its second cuts: the cut state loaded again,
 * power back after the off time, and every flash op the device starts until it goes quiet (see
 * RECOVERY_QUIET_MS). A run of its own, not the judged one: the judgement ends at the banner (and
 * its boot-loop check cuts the power), while a second cut may land in work the device does after
 * it, as a replayed cut's `second:` does (the STM32 repair-moves-boot repair runs after the app's
 * banner: the judged run's log had only its first op).
 */
export async function recordRecovery(rig: Rig, point: SweepCutPoint, spec: Pick<RecoverySpec, 'offMs'>, signal = pointSignals.get(rig)): Promise<RecordedRecovery> {
  const { clock, console } = rig;
  const sweep = sweepOf(rig);
  // As a judged point: the device off, then a turn of the event loop if one is due, so signals are seen (see recoverPoint).
  await rig.power.off();
  await turnTheLoop();
  rig.timeline.clear();
  const first: SweepCutPoint = { ...point };
  delete first.second;
  sweep.load(first);
  sweep.startRecovery();
  try {
    await clock.sleep(spec.offMs, signal);
    console.flushPartial();
    console.forgetLines();
    const fromLine = console.lines.length;
    await rig.power.on();
    const powerOnMs = clock.now();
    const writes = () => rig.twin!.flashOps();
    await observeBoot(console, clock, { fromLine, timeoutMs: rig.config.boot.timeoutMs, writes, ...(signal && { signal }) });
    let seen = writes();
    let quietFrom = clock.now();
    while (clock.now() - powerOnMs < MAX_RECOVERY_LOG_MS && clock.now() - quietFrom < RECOVERY_QUIET_MS) {
      await clock.sleep(QUIET_STEP_MS, signal);
      if (writes() !== seen) {
        seen = writes();
        quietFrom = clock.now();
      }
    }
    return { ops: sweep.stopRecovery(), powerOnMs };
  } finally {
    // As after a judged point: the device does not run on in the background.
    await rig.power.off();
  }
}
