import { crc32 } from 'node:zlib';
import type { TwinDevice } from '../../twin/device.js';
import type { MemoryRegion, Probe } from '../capabilities.js';
import { OpRecorder, type RecordedOp, type RecordedStates } from '../../twin/flash/op-recorder.js';
import { sameState, stateDigest } from '../../twin/flash/state-digest.js';
import { ownCopy, stateInto, type FlashSnapshot, type NorFlash, type ReusedSnapshot } from '../../twin/flash/nor-flash.js';
import { FlashSet } from '../../twin/flash/flash-set.js';
import { RunMemo, type ChangedSectors } from '../../twin/flash/run-memo.js';

/** How a sweep cuts at one flash operation: not started, complete, or torn part way through. */
export type SweepCutMode = 'before' | 'after' | 'torn';

/** A recording as plain data for another thread (the orchestrator may not import twin/ itself). */
export type { RecordedStates } from '../../twin/flash/op-recorder.js';
export type { FlashSnapshot } from '../../twin/flash/nor-flash.js';
export type { ChangedSectors } from '../../twin/flash/run-memo.js';

/** One flash operation of a recorded update (the twin's op log, as the orchestrator sees it). */
export type SweepOp = RecordedOp;

/** A cut in the recovery a first cut starts: op is an index into that recovery's own op log. */
export interface SweepSecondCut {
  op: number;
  mode: SweepCutMode;
  fraction?: number;
  /**
   * The twin's generator is not reseeded for the second cut: its torn bits follow the first cut's
   * draws, as in a replayed cut with `second:` (one seed per cut). Kept equal to the point's seed.
   */
  seed: number;
}

/** One cut point of a sweep, as the twin rebuilds it. */
export interface SweepCutPoint {
  op: number;
  mode: SweepCutMode;
  /** How far through the op a torn cut lands (0..1). */
  fraction?: number;
  /** Seeds the torn bits (and any later random choice), as a replayed cut's seed does. */
  seed: number;
  /**
   * A range point's time (ms after the update started) where it decides more than the op does:
   * whether the host had seen the update finish before the cut (src/scenario/sweep/modes.ts).
   */
  atMs?: number;
  /** A double cut: the second cut, in the recovery this point's cut starts. */
  second?: SweepSecondCut;
}

/**
 * The twin's sweep capability: record the flash operations of one run with copy-on-write
 * snapshots, then put the unpowered device in any cut point's state so that only the recovery
 * has to be simulated. A twin-only capability, like snapshot/restore on the twin handle.
 */
export interface TwinSweep {
  /** Logs every flash operation the device's firmware starts from now on (an earlier log is dropped). */
  startRecording(stage?: string): void;
  /** Labels the ops that follow (`reboot` after the update is over). */
  stage(name: string): void;
  stopRecording(): readonly SweepOp[];
  /** The stopped recording as plain data for another thread's twin (its before/after states; torn cuts need the ops themselves). */
  exportRecording(): RecordedStates;
  /** Takes another thread's recording of the same rig and update as this twin's (only before/after cuts load from it). */
  importRecording(recorded: RecordedStates): void;
  /** Ops started since the recording began: where a host event falls among them. */
  opsStarted(): number;
  /** Loads a cut point's first cut state (flash and option bytes; RAM is gone) into the unpowered device. */
  load(point: SweepCutPoint): void;
  /** The op in flight now (started, not complete), if any: where a host event lands inside an op. */
  inFlight(): number | undefined;
  /**
   * Logs the ops of a recovery (a second recorder: the update's stays loadable) from now until
   * `stopRecovery`; `loadSecond` then builds a cut state in it. Starting again drops the last one.
   */
  startRecovery(): void;
  stopRecovery(): readonly SweepOp[];
  /** Loads the state a second cut in the last recorded recovery leaves (the generator is not reseeded). */
  loadSecond(second: SweepSecondCut): void;
  /** As stateId, in the last recorded recovery. */
  secondStateId(op: number, mode: SweepCutMode): number | undefined;
  /**
   * Whether a processor drew from its generator since the last `load` or `loadSecond` (the cut's
   * own tear aside). A recovery that drew depends on the point's seed, not on its state alone: a
   * bus collision's bit flips on a product without its lock; one that did not is the same for
   * every seed (up to a first draw, a run does not read the generator).
   */
  drewSinceLoad(): boolean;
  /** Equal ids: the same state, so the same recovery (unless it draws: drewSinceLoad); undefined for a torn point. */
  stateId(op: number, mode: SweepCutMode): number | undefined;
  /** sha256 of the device's persistent state now (flash and option bytes). */
  stateHash(): string;
  /**
   * For one recovery: the firmware may jump to where a job it ran before from the same state
   * ended (src/twin/flash/resume-memo.ts), as long as the jump lands before `untilMs` (virtual
   * clock: the host's next look at the device); undefined: never (a full replay, a recording).
   */
  allowJumps(untilMs: number | undefined): void;
  /** Recoveries so far that ended a job by such a jump. */
  jumps(): number;
  /**
   * For one recovery, from its power-on to its judgement: a board of several processors may play
   * back the tail of an earlier recovery that passed through the same whole-board state
   * (src/twin/board-tail.ts). No-op on a single-processor twin. `onPlay` is told when a tail
   * starts to play, with its context (`tailPlaying`).
   */
  armTail(on: boolean, onPlay?: (context: string) => void): void;
  /**
   * The context of the tail this recovery played back (accepted or still playing), or undefined:
   * the board's outward behaviour from its power-on to the hit, and the tail's key. Two recoveries
   * with one context are the same to a host that only hears and answers the board.
   */
  tailPlaying(): string | undefined;
  /**
   * The contexts in which a later recovery would play a tail this one kept (each as `tailPlaying`
   * would say it there): a recovery that did all this one did up to one of its checkpoints and stood
   * there in the same state. Its host then hears and says what this one's did, to the judgement.
   */
  tailLearned(): readonly string[];
  /** sha256 of the state the tail this recovery played leaves at its judgement (a recovery stopped at its hit is judged on it), or undefined. */
  tailStateHash(): string | undefined;
  /**
   * The recovery is judged now (the flash is read next): false when the tail played back cannot
   * give this instant's state (the point must be simulated again, disarmed); true otherwise.
   */
  tailEnd(): boolean;
  /**
   * Recoveries so far whose tail was played back: accepted at the judgement (`moved`: of those, the
   * ones whose board's append log ended elsewhere than the recording's), or refused there (simulated again).
   */
  tailStats(): { jumps: number; refused: number; moved: number };
  /**
   * The twin's debug port for a sweep's readings: the same bytes as the rig's probe, read into
   * buffers it keeps per region, so a dump is only valid until the next one (a sweep reads
   * megabytes per point; fresh buffers cost more than the copy).
   */
  readonly probe: Probe;
  /**
   * Recoveries by the stored bytes they read (src/twin/flash/run-memo.ts): `find` after a `load`
   * gives the value kept for a run from an equal state under `context`, and `place` puts sectors it
   * had changed (as `changed` gave them while it ran) over that state; otherwise `start` watches
   * the run and `keep` files it (false when it cannot be: it drew from a generator, jumped, played a
   * tail, or changed the option bytes). `pause`/`resume`: the host reads the flash meanwhile (a
   * judgement), which is not the firmware's reading. `atHit`: the run stops where a board's tail
   * begins to play (a judgement known from there): what it would do next depends on the whole
   * state, so every sector it did not erase counts as read. `hits`: runs found.
   */
  readonly runs: {
    find(context: string): unknown;
    place(changed: ChangedSectors): void;
    start(): void;
    changed(): ChangedSectors;
    pause(): void;
    resume(): void;
    keep(context: string, value: unknown, atHit?: boolean): boolean;
    stop(): void;
    readonly hits: number;
  };
}

export function twinSweep(device: TwinDevice): TwinSweep {
  const mcus = device.members?.map((m) => m.mcu) ?? [device.mcu];
  // Each processor's generator position once the last cut state was loaded (see drewSinceLoad).
  let loadedAt: number[] = [];
  const loaded = () => {
    loadedAt = mcus.map((m) => m.rng.position);
  };
  const recorder = new OpRecorder(device);
  // Only one recorder can observe the MCU: the update's stops at its cut, before any recovery runs.
  const recovery = new OpRecorder(device);
  const hashes = recentHashes();
  // The state read for its hash, into arrays reused from point to point (a kept one is copied).
  const hashedInto: ReusedSnapshot = { sectors: [], writes: [] };
  const drew = () => mcus.some((m, i) => m.rng.position !== loadedAt[i]);
  const flash = device.flash;
  const runs = new RunMemo<unknown>(flash instanceof FlashSet ? flash.parts : [flash as NorFlash], device);
  return {
    startRecording: (stage) => recorder.start(stage),
    stage: (name) => recorder.stage(name),
    stopRecording: () => {
      recorder.stop();
      return recorder.ops;
    },
    exportRecording: () => recorder.exportStates(),
    importRecording: (recorded) => recorder.importStates(recorded),
    opsStarted: () => recorder.opsStarted,
    load: (point) => {
      device.mcu.reseed(point.seed);
      recorder.load(point.op, point.mode, point.fraction);
      loaded();
    },
    drewSinceLoad: drew,
    stateId: (op, mode) => recorder.stateId(op, mode),
    inFlight: () => recorder.inFlight,
    startRecovery: () => recovery.start('recovery'),
    stopRecovery: () => {
      recovery.stop();
      return recovery.ops;
    },
    loadSecond: (second) => {
      recovery.load(second.op, second.mode, second.fraction);
      loaded();
    },
    secondStateId: (op, mode) => recovery.stateId(op, mode),
    stateHash: () => hashes(stateInto(device, hashedInto)),
    allowJumps: (untilMs) => {
      device.flash.resume.until = untilMs;
    },
    jumps: () => device.flash.resume.jumps,
    armTail: (on, onPlay) => device.tail?.arm(on, onPlay),
    tailPlaying: () => device.tail?.playing(),
    tailLearned: () => device.tail?.learnedContexts() ?? [],
    tailStateHash: () => {
      const state = device.tail?.playedState();
      return state && hashes(state);
    },
    tailEnd: () => device.tail?.end() ?? true,
    tailStats: () => ({ jumps: device.tail?.jumps ?? 0, refused: device.tail?.refused ?? 0, moved: device.tail?.moved ?? 0 }),
    probe: reusingProbe(device),
    runs: {
      find: (context) => runs.find(context),
      place: (changed) => runs.place(changed),
      start: () => runs.start(),
      changed: () => runs.changed(),
      pause: () => runs.pause(),
      resume: () => runs.resume(),
      keep: (context, value, atHit = false) => runs.keep(context, value, !drew() && (atHit || device.tail?.playing() === undefined), atHit),
      stop: () => runs.stop(),
      get hits() {
        return runs.hits;
      },
    },
  };
}

/** States whose hashes are kept: a run of points whose recoveries end alike (one played-back tail) hashes its state once. */
const RECENT_STATES = 8;

/**
 * The device's state hash, kept for the last few states: a state with the very same sector buffers
 * as a kept one (sameState: equal buffers, equal bytes) has its hash (a product's is 1,536 sector
 * digests hashed together at each point). The snapshot may be in reused arrays: a kept one is copied.
 */
function recentHashes(): (snapshot: FlashSnapshot) => string {
  const recent: { snapshot: FlashSnapshot; hash: string }[] = [];
  return (snapshot) => {
    const known = recent.find((r) => sameState(r.snapshot, snapshot));
    if (known) return known.hash;
    const hash = stateDigest(snapshot);
    if (recent.length >= RECENT_STATES) recent.shift();
    recent.push({ snapshot: ownCopy(snapshot), hash });
    return hash;
  };
}

function reusingProbe(device: TwinDevice): Probe {
  const buffers = new Map<string, { buf: Buffer; seen: (Buffer | undefined)[] }>();
  const flash = device.flash;
  const inFlash = (r: MemoryRegion) => r.base >= flash.base && r.base + r.size <= flash.base + flash.geometry.size;
  return {
    async dump(regions) {
      const out: Record<string, Buffer> = {};
      for (const r of regions) {
        if (!inFlash(r)) {
          // Beside the flash (the STM32's option bytes): the device's own reading, a few bytes.
          out[r.name] = device.readMemory(r.base, r.size);
          continue;
        }
        const key = `${r.base}+${r.size}`;
        let kept = buffers.get(key);
        if (!kept) buffers.set(key, (kept = { buf: Buffer.allocUnsafe(r.size), seen: [] }));
        // Only the sectors that changed since this buffer's last dump are copied (readInto's `seen`).
        out[r.name] = flash.readInto(r.base, kept.buf, kept.seen);
      }
      return out;
    },
    async program(address, data) {
      device.programMemory(address, data);
    },
    async massErase() {
      device.massErase();
    },
    // A region's CRC-32 from the flash's kept per-sector CRCs, without dumping it: the SFU
    // inspection checks both 2 MB slots at every point (its biggest cost in a sweep).
    async crc32(region) {
      return inFlash(region) ? flash.crc32(region.base, region.size) : crc32(device.readMemory(region.base, region.size)) >>> 0;
    },
  };
}
