/**
 * The sweep session without the rig file reader (./session.ts adds it): what a sweep worker thread
 * imports, so that its start-up does not pay for zod and yaml (about a third of it).
 */
import { VirtualClock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { RigConfig } from '../../config/index.js';
import type { Outcome } from '../../config/vocabulary.js';
import type { CompatibleSet } from '../../config/version-pattern.js';
import { openTwinRig } from '../../rig/open-twin-rig.js';
import type { Rig } from '../../rig/rig.js';
import { schemeAdapter } from '../../schemes/registry.js';
import type { FlashView, SchemeAdapter } from '../../schemes/scheme.js';
import { loadUpdateImage } from '../update-image.js';
import { everyOpPoints, type SweepCutMode, type SweepCutPoint } from './points.js';
import { pointsFor, type SweepMode } from './modes.js';
import { recordUpdate, type Recording, type SweepImages } from './recording.js';
import { acceptedAt, committedAt, recordRecovery, recoverPoint, summarize, TailNotReplayable, TailVerdicts, type PointResult, type RecordedRecovery, type RecoverySpec } from './recover.js';
import { reviveStates, type SweepRecording } from './transfer.js';

/** Everything that makes a sweep, as plain data (a worker thread rebuilds its own session from it). */
export interface SweepRequest {
  /** Rig file (a twin rig). */
  rig: string;
  /** Twin settings that override the rig file's (a suite's `rigs:` entry). */
  twin?: { variant?: string; powerLoss?: 'skip' | 'complete' | 'torn' | 'random'; seed?: number };
  /** `via`: images sent before `to`, each a whole transfer (a multi-stage update, one update to the scenario). */
  images: { from: string; to: string; previous?: string; via?: string[] };
  setup?: string;
  /** Retries of the update after a point's recovery while it is waiting or rolled-back (a suite's `retry:`). */
  retry?: number;
  /** A product's supported version sets (a suite's `compatible:`), for the verdict. */
  compatible?: readonly CompatibleSet[];
  /** Seeds the recording's baseline and every point's torn fraction and bits. */
  seed: number;
  offMs?: number;
  bootLoopCycles?: number;
  /**
   * Which points the sweep tries when it is not given them (./modes.ts); absent: every op in the
   * engine's `modes`. Travels with the request, so each worker thread computes its points from
   * its own recording (no recording on the main thread).
   */
  mode?: SweepMode;
}

/** The request with a sweep mode: what `runSweep(request, {mode})` hands its sessions. */
export function withMode(request: SweepRequest, mode: SweepMode | undefined): SweepRequest {
  return mode ? { ...request, mode } : request;
}

/**
 * One sweep's twin, images and recording: opened once, then any number of cut points recovered on
 * it. Points whose cut leaves the same state (op k complete is op k+1 not started, unless something
 * else wrote between them) share one recovery. A session is single-threaded; the engine runs one
 * per worker.
 */
export class SweepSession {
  private readonly shared = new Map<string, Omit<PointResult, 'point'>>();
  private readonly views = new Map<string, FlashView>();
  /** Verdicts by played tail context (PointMemo.tails). */
  readonly tailVerdicts = new TailVerdicts();
  /**
   * The last first cut whose recovery was recorded (a double sweep's second cuts index its ops),
   * and the seed it ran with if it drew from the generator (then only that seed's points share it).
   */
  private recovery?: { key: string; recorded: RecordedRecovery; drewWith?: number };
  /** Second-cut results shared by state, within that recovery. */
  private readonly secondShared = new Map<number, Omit<PointResult, 'point'>>();

  protected constructor(
    readonly rig: Rig,
    readonly scheme: SchemeAdapter,
    readonly images: SweepImages,
    readonly recording: Recording,
    readonly request: SweepRequest,
    /** Torn first cuts load here (the session recorded the update itself: a torn state reruns its op). */
    readonly tears = true,
  ) {}

  /**
   * Opens the session on the request's rig as already loaded and made a sweep's (`sweepRigConfig`):
   * a worker thread gets it from the engine, so its start-up loads no config reader (zod, yaml).
   * `SweepSession.open` in ./session.ts loads the rig file itself.
   */
  static async openWith(config: RigConfig, request: SweepRequest, opts: { signal?: AbortSignal; recorded?: SweepRecording } = {}): Promise<SweepSession> {
    const scheme = await schemeAdapter(config.scheme);
    const images: SweepImages = {
      from: await loadUpdateImage(request.images.from, config.scheme),
      to: await loadUpdateImage(request.images.to, config.scheme, request.images.via),
      ...(request.images.previous !== undefined && { previous: await loadUpdateImage(request.images.previous, config.scheme) }),
    };
    const rig = await openTwinRig(config);
    try {
      const { updater } = rig;
      // A product's rig keeps state the update filled (its FOTA chunk server serves the package to a
      // host that resumes after a cut): `prepare` fills it; without it, this session records the update too.
      if (opts.recorded && (updater.prepare || !config.mcus)) {
        // Another thread's recording of the same request: its before/after states, no update run here.
        updater.prepare?.(images.to.stream);
        rig.twin!.sweep.importRecording(reviveStates(opts.recorded.states));
        if (rig.clock instanceof VirtualClock) rig.clock.batched = true;
        return new SweepSession(rig, scheme, images, opts.recorded.recording, request, false);
      }
      const recording = await recordUpdate(rig, scheme, images, {
        seed: request.seed,
        offMs: offMsOf(request, config),
        ...(request.setup !== undefined && { setup: request.setup }),
        ...(opts.signal && { signal: opts.signal }),
      });
      // Recoveries run on the in-process twin alone: no turn of the event loop per event.
      if (rig.clock instanceof VirtualClock) rig.clock.batched = true;
      return new SweepSession(rig, scheme, images, recording, request);
    } catch (err) {
      await rig.close();
      throw err;
    }
  }

  /** The recording as plain data for a worker thread's session (see openWith's `recorded`). */
  exportRecording(): SweepRecording {
    return { recording: this.recording, states: this.rig.twin!.sweep.exportRecording() };
  }

  /**
   * The sweep's points when it is not given them: the request's mode (./modes.ts) if it has one,
   * otherwise every op in each of `modes`; seeded by the request's seed.
   */
  everyOp(modes: readonly SweepCutMode[]): SweepCutPoint[] {
    if (this.request.mode) return this.pointsFor(this.request.mode);
    return everyOpPoints(this.recording.ops, modes, this.request.seed);
  }

  /** The points a mode gives on this session's recording. */
  pointsFor(mode: SweepMode): SweepCutPoint[] {
    return pointsFor(mode, this.recording, this.request.seed);
  }

  async recover(point: SweepCutPoint): Promise<PointResult> {
    if (point.second) return this.recoverSecond(point);
    const id = this.rig.twin!.sweep.stateId(point.op, point.mode);
    const key = id === undefined ? undefined : `${id}/${committedAt(this.recording, point)}/${acceptedAt(this.recording, point)}`;
    const known = key === undefined ? undefined : this.shared.get(key);
    if (known) return { point, ...known, reasons: [...known.reasons], shared: true };
    // A double sweep's first cut: its recovery's op log is what the second cuts will index.
    const double = this.request.mode?.mode === 'double';
    let recorded: RecordedRecovery | undefined;
    const result = await this.recoverOnce(point, double ? (r) => (recorded = r) : undefined);
    if (recorded) {
      result.recovery = summarize(recorded);
      this.recovery = this.recoveryEntry(this.firstKey(point), point.seed, recorded);
      this.secondShared.clear();
    }
    // Not shared when the recovery drew from the generator: it then depends on this point's seed.
    if (key !== undefined && !this.rig.twin!.sweep.drewSinceLoad()) {
      this.shared.set(key, { outcome: result.outcome, reasons: result.reasons, stateHash: result.stateHash, ...(result.recovery && { recovery: result.recovery }) });
    }
    return result;
  }

  /**
   * The recovery a first cut starts, as recorded (op log and power-on instant): recorded now unless
   * it is the last one recorded. Points whose first cut leaves the same state share it (the seed
   * only draws the torn bits of a later cut, not the recovery's ops, unless the recovery drew). `recorded`: the caller has
   * just recorded it on this session's rig (recordRecovery, the last recording the twin holds), so
   * it is taken as is.
   */
  async recoveryOf(first: SweepCutPoint, recorded?: RecordedRecovery): Promise<RecordedRecovery> {
    const key = this.firstKey(first);
    const last = this.recovery;
    if (last?.key !== key || (last.drewWith !== undefined && last.drewWith !== first.seed)) {
      const plain: SweepCutPoint = { ...first };
      delete plain.second;
      // Only the op log is wanted: the recording run alone (it loads the cut state itself), not a judged recovery first.
      recorded ??= await recordRecovery(this.rig, plain, { offMs: offMsOf(this.request, this.rig.config) });
      this.recovery = this.recoveryEntry(key, first.seed, recorded);
      this.secondShared.clear();
    }
    return this.recovery!.recorded;
  }

  /** A recorded first-cut recovery as kept: shared by state, or by seed too when it drew (the twin's last load was its run). */
  private recoveryEntry(key: string, seed: number, recorded: RecordedRecovery): NonNullable<SweepSession['recovery']> {
    return { key, recorded, ...(this.rig.twin!.sweep.drewSinceLoad() && { drewWith: seed }) };
  }

  /** A double cut: the first cut's recovery recorded (once per first cut), then cut at its op. */
  private async recoverSecond(point: SweepCutPoint): Promise<PointResult> {
    const second = point.second!;
    const { ops } = await this.recoveryOf(point);
    const problem = secondProblem(ops, second);
    if (problem) throw new RangeError(`op ${point.op} ${point.mode}: second cut at op ${second.op} ${second.mode}: ${problem}`);
    const id = this.rig.twin!.sweep.secondStateId(second.op, second.mode);
    const known = id === undefined ? undefined : this.secondShared.get(id);
    if (known) return { point, ...known, reasons: [...known.reasons], shared: true };
    const result = await this.recoverOnce(point);
    if (id !== undefined && !this.rig.twin!.sweep.drewSinceLoad()) this.secondShared.set(id, { outcome: result.outcome, reasons: result.reasons, stateHash: result.stateHash });
    return result;
  }

  /** Same state, same recovery: a before/after cut by its state id, a torn cut by its own tear. */
  private firstKey(point: SweepCutPoint): string {
    const id = this.rig.twin!.sweep.stateId(point.op, point.mode);
    const host = `${committedAt(this.recording, point)} ${acceptedAt(this.recording, point)}`;
    return id === undefined ? `torn ${point.op} ${point.fraction} ${point.seed} ${host}` : `${id} ${host}`;
  }

  private async recoverOnce(point: SweepCutPoint, record?: (r: RecordedRecovery) => void): Promise<PointResult> {
    const offMs = offMsOf(this.request, this.rig.config);
    const sweep = this.rig.twin!.sweep;
    const spec: RecoverySpec = {
      offMs,
      ...(this.request.bootLoopCycles !== undefined && { bootLoopCycles: this.request.bootLoopCycles }),
      ...(this.request.compatible && { compatible: this.request.compatible }),
      ...(this.request.retry ? { retry: this.request.retry, ...(this.request.setup !== undefined && { setup: this.request.setup }) } : {}),
    };
    // A board's tail is played back only up to the first judgement: not with retries or power
    // cycles after it, a second cut in it, or a recovery whose ops are being logged.
    const tail = !record && !point.second && !spec.retry && !spec.bootLoopCycles;
    const attempt = (withTail: boolean) => {
      // Until the boot watch's deadline at the earliest, nothing but the firmware acts: a job it ran
      // before from the same state may end by a jump (the twin disarms it once the app is up).
      sweep.allowJumps(this.rig.clock.now() + offMs + this.rig.config.boot.timeoutMs);
      return recoverPoint(this.rig, this.scheme, this.images, this.recording, point, spec, {
        views: this.views,
        ...(withTail && { tails: this.tailVerdicts }),
        ...(record && { record }),
        // Its run may be taken from an earlier point's by what it read (its power cycles too), up to the first judgement's retries.
        runs: !record && !point.second && !spec.retry,
      });
    };
    try {
      try {
        return await attempt(tail);
      } catch (err) {
        if (!(err instanceof TailNotReplayable)) throw err;
        // The played-back tail did not fit this point's judgement: simulated whole.
        return await attempt(false);
      }
    } finally {
      sweep.allowJumps(undefined);
      sweep.armTail(false);
    }
  }

  async close(): Promise<void> {
    await this.rig.close();
  }
}

/** Why a second cut is not in a recovery's op log, or undefined. */
export function secondProblem(ops: readonly { endMs?: number }[], second: { op: number; mode: string }): string | undefined {
  if (!Number.isInteger(second.op) || second.op < 0 || second.op >= ops.length) return `the recovery has ${ops.length} ops (0..${ops.length - 1})`;
  if (second.mode === 'after' && ops[second.op]!.endMs === undefined) return 'that op never completed in the recovery: no after state';
  return undefined;
}

function offMsOf(request: SweepRequest, config: RigConfig): number {
  return request.offMs ?? config.power.offMs;
}

/** The rig as a sweep runs it: the twin in process at time factor 0, with the request's twin overrides. */
export function sweepRigConfig(config: RigConfig, request: Pick<SweepRequest, 'twin'>): RigConfig {
  if (!config.twin) throw new ConfigError(`${config.file}: an op sweep runs on a twin rig (this rig has no twin: section)`);
  return { ...config, twin: { ...config.twin, ...request.twin, timeFactor: 0, transport: 'in-process' } };
}

/** Outcome counts of a list of point results. */
export function countOutcomes(results: readonly PointResult[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}
