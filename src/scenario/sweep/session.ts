import { VirtualClock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { loadRig, type RigConfig } from '../../config/index.js';
import type { Outcome } from '../../config/vocabulary.js';
import { openRig } from '../../rig/open-rig.js';
import type { Rig } from '../../rig/rig.js';
import { schemeAdapter } from '../../schemes/registry.js';
import type { FlashView, SchemeAdapter } from '../../schemes/scheme.js';
import { loadUpdateImage } from '../update-image.js';
import { everyOpPoints, type SweepCutMode, type SweepCutPoint } from './points.js';
import { pointsFor, type SweepMode } from './modes.js';
import { recordUpdate, type Recording, type SweepImages } from './recording.js';
import { committedAt, recoverPoint, type PointResult } from './recover.js';

/** Everything that makes a sweep, as plain data (a worker thread rebuilds its own session from it). */
export interface SweepRequest {
  /** Rig file (a twin rig). */
  rig: string;
  /** Twin settings that override the rig file's (a suite's `rigs:` entry). */
  twin?: { variant?: string; powerLoss?: 'skip' | 'complete' | 'torn' | 'random'; seed?: number };
  images: { from: string; to: string; previous?: string };
  setup?: string;
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

  private constructor(
    readonly rig: Rig,
    readonly scheme: SchemeAdapter,
    readonly images: SweepImages,
    readonly recording: Recording,
    readonly request: SweepRequest,
  ) {}

  static async open(request: SweepRequest, opts: { signal?: AbortSignal } = {}): Promise<SweepSession> {
    const config = sweepRigConfig(await loadRig(request.rig), request);
    const scheme = await schemeAdapter(config.scheme);
    const images: SweepImages = {
      from: await loadUpdateImage(request.images.from, config.scheme),
      to: await loadUpdateImage(request.images.to, config.scheme),
      ...(request.images.previous !== undefined && { previous: await loadUpdateImage(request.images.previous, config.scheme) }),
    };
    const rig = await openRig(config);
    try {
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
    const id = this.rig.twin!.sweep.stateId(point.op, point.mode);
    const key = id === undefined ? undefined : `${id}/${committedAt(this.recording, point)}`;
    const known = key === undefined ? undefined : this.shared.get(key);
    if (known) return { point, ...known, reasons: [...known.reasons], shared: true };
    const result = await recoverPoint(
      this.rig,
      this.scheme,
      this.images,
      this.recording,
      point,
      {
        offMs: offMsOf(this.request, this.rig.config),
        ...(this.request.bootLoopCycles !== undefined && { bootLoopCycles: this.request.bootLoopCycles }),
      },
      this.views,
    );
    if (key !== undefined) this.shared.set(key, { outcome: result.outcome, reasons: result.reasons, stateHash: result.stateHash });
    return result;
  }

  async close(): Promise<void> {
    await this.rig.close();
  }
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
