import type { TwinDevice } from '../device.js';
import { stateInto, type FlashOp, type FlashSnapshot, type ReusedSnapshot } from './nor-flash.js';
import { StateLog } from './state-log.js';

/** How a sweep cuts at one operation: not started, complete, or torn part way through. */
export type CutMode = 'before' | 'after' | 'torn';
export const CUT_MODES: readonly CutMode[] = ['before', 'after', 'torn'];

/** One flash operation of a recorded update, as the device's firmware ran it. */
export interface RecordedOp {
  /** 0-based, in the order the firmware started them. */
  index: number;
  /** The marker-pin edge this op made, counted from 1 at the start of the recording (none: an option-byte program). */
  marker?: number;
  /** Marker edges made before this op started. */
  edgesBefore: number;
  kind: 'program' | 'erase';
  /** `flash`, or `options` for a store beside it (the STM32's option bytes). */
  target: 'flash' | 'options';
  address: number;
  length: number;
  /** Virtual-clock ms, from the device clock. */
  startMs: number;
  /** Absent when the op never completed (the recording stopped, or a reset cut it). */
  endMs?: number;
  durationMs: number;
  /** The last phase event before the op of the processor that ran it (`swap idx 1 state 2`, `erase B`). */
  phase?: string;
  /** The processor that ran it, on a device with several (its member name). */
  mcu?: string;
  /** On a device with several processors: each one's last phase when the op started (what the others were doing). */
  phases?: Record<string, string>;
  /** The host's label of the part of the scenario it ran in (`update`, `reboot`). */
  stage: string;
}

interface Entry {
  op: RecordedOp;
  /** Absent in a recording taken from another thread (importStates): its ops cannot be torn here. */
  flashOp?: FlashOp;
  /** Ids in the recorder's state log: equal ids, the same state. */
  before: number;
  after?: number;
}

/**
 * A recording's op log and states as plain data another thread can take (structured clone): a
 * sweep's worker threads load before/after cut states from the engine's recording instead of
 * recording the update again. States by id, each snapshot once (shared sector buffers stay shared).
 */
export interface RecordedStates {
  ops: RecordedOp[];
  states: { id: number; snapshot: FlashSnapshot }[];
  entries: { before: number; after?: number }[];
}

/**
 * The operation log of one run of a twin, with a copy-on-write snapshot of the device's persistent
 * state (flash and option bytes) before and after each operation. At a cut the device's RAM is
 * gone, so a cut point's state is all a recovery needs: `load` rebuilds it without replaying the
 * update (op k skipped, completed, or torn with the part's own physics).
 */
export class OpRecorder {
  private entries: Entry[] = [];
  private byOp = new Map<FlashOp, Entry>();
  private edges = 0;
  /** Each processor's last phase, by member name ('' for an unnamed MCU). */
  private phases = new Map<string, string>();
  private stageName = 'update';
  /** The states before and after each op, each once (the last one's id: the latest capture). */
  private states = new StateLog();
  /** The device's state version at the last capture (see capture). */
  private lastVersion?: number;
  /** The arrays a capture reads the device's state into (the log copies what it keeps). */
  private readonly captured: ReusedSnapshot = { sectors: [], writes: [] };
  private detach?: () => void;

  constructor(private readonly device: TwinDevice) {}

  /** Forgets any earlier recording and logs every operation from now on. */
  start(stage = 'update'): void {
    this.stop();
    this.entries = [];
    this.byOp.clear();
    this.edges = 0;
    this.phases.clear();
    this.stageName = stage;
    this.states = new StateLog();
    this.lastVersion = undefined;
    const mcu = this.device.mcu;
    const offEvents = this.device.onEvent((e) => {
      if (e.kind === 'flash') this.edges++;
      else if (e.kind === 'phase') this.phases.set(e.mcu ?? '', e.detail ? `${e.name} ${e.detail}` : e.name);
    });
    const observer = { started: (op: FlashOp, by?: string) => this.started(op, by), done: (op: FlashOp) => this.done(op) };
    mcu.opObserver = observer;
    this.detach = () => {
      offEvents();
      // Another recorder (a sweep's recovery log) may observe the MCU now: leave it be.
      if (mcu.opObserver === observer) mcu.opObserver = undefined;
    };
  }

  stage(name: string): void {
    this.stageName = name;
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
  }

  get ops(): readonly RecordedOp[] {
    return this.entries.map((e) => e.op);
  }

  /** The op started and not yet complete, if any (the MCU runs one at a time). */
  get inFlight(): number | undefined {
    let last: number | undefined;
    for (const e of this.byOp.values()) last = Math.max(last ?? -1, e.op.index);
    return last;
  }

  /** Ops started so far: a host event's place among them. */
  get opsStarted(): number {
    return this.entries.length;
  }

  /**
   * Identity of the state a before/after cut at op k leaves (equal numbers: the same flash, so the
   * same recovery); undefined for a torn cut, whose state is its own.
   */
  stateId(index: number, mode: CutMode): number | undefined {
    const e = this.entry(index);
    if (mode === 'before') return e.before;
    if (mode === 'after') return e.after ?? e.before;
    return undefined;
  }

  /**
   * Puts the device (which must be unpowered) in the state a cut at op `index` leaves. `torn`
   * tears the op `fraction` of the way through with the device's generator, which the caller
   * seeds as the cut's seed (as a replayed cut reseeds it at its baseline).
   */
  load(index: number, mode: CutMode, fraction = 0.5): void {
    if (this.device.powered) throw new Error('load a cut state into an unpowered device only');
    const e = this.entry(index);
    if (mode === 'after') {
      if (e.after === undefined) throw new Error(`op ${index} never completed in the recording: no after state`);
      this.device.restore(this.states.get(e.after));
      return;
    }
    this.device.restore(this.states.get(e.before));
    if (mode === 'torn') {
      if (!e.flashOp) throw new Error(`op ${index} cannot be torn here: its recording was taken in another thread`);
      const again = e.flashOp.again?.();
      if (!again) throw new Error(`op ${index} cannot be torn (its store gives no way to run it again)`);
      // With the generator of the processor that ran it (a product's radio tears with its own, as in a replayed cut).
      const mcu = this.device.members?.find((m) => m.name === e.op.mcu)?.mcu ?? this.device.mcu;
      again.interrupt('torn', Math.min(1, Math.max(0, fraction)), mcu.rng);
    }
  }

  /** The op log and its states as plain data (see RecordedStates). */
  exportStates(): RecordedStates {
    const states: RecordedStates['states'] = [];
    for (let id = 0; id < this.states.size; id++) states.push({ id, snapshot: this.states.copy(id) });
    return {
      ops: this.entries.map((e) => e.op),
      states,
      entries: this.entries.map((e) => ({ before: e.before, ...(e.after !== undefined && { after: e.after }) })),
    };
  }

  /** Takes another recorder's exported recording as this one's (before/after cuts only: no op can be torn from it). */
  importStates(recorded: RecordedStates): void {
    this.stop();
    this.states = new StateLog();
    this.lastVersion = undefined;
    // Each state under this log's id (equal states of the other recording stay one).
    const ids = new Map<number, number>();
    for (const s of [...recorded.states].sort((a, b) => a.id - b.id)) ids.set(s.id, this.states.add(s.snapshot));
    const ref = (id: number) => ids.get(id) ?? fail(`state ${id} is not in the recording`);
    this.entries = recorded.ops.map((op, i) => {
      const e = recorded.entries[i] ?? fail(`op ${i} has no states in the recording`);
      return { op, before: ref(e.before), ...(e.after !== undefined && { after: ref(e.after) }) };
    });
    this.byOp.clear();
  }

  private entry(index: number): Entry {
    const e = this.entries[index];
    if (!e) throw new RangeError(`no op ${index} in the recording (${this.entries.length} ops)`);
    return e;
  }

  private started(flashOp: FlashOp, by?: string): void {
    const inFlash = flashOp.address >= this.device.flash.base && flashOp.address < this.device.flash.base + this.device.flash.geometry.size;
    // A main-flash op pulsed the marker pin when it was issued, just before it started here; the
    // option-byte program has no marker edge.
    const phase = this.phases.get(by ?? '');
    const op: RecordedOp = {
      index: this.entries.length,
      ...(inFlash && { marker: this.edges }),
      edgesBefore: inFlash ? this.edges - 1 : this.edges,
      kind: flashOp.kind,
      target: inFlash ? 'flash' : 'options',
      address: flashOp.address,
      length: flashOp.length,
      startMs: this.device.clock.now(),
      durationMs: flashOp.durationMs,
      ...(phase !== undefined && { phase }),
      ...(by !== undefined && { mcu: by, phases: Object.fromEntries(this.phases) }),
      stage: this.stageName,
    };
    const entry: Entry = { op, flashOp, before: this.capture() };
    this.entries.push(entry);
    this.byOp.set(flashOp, entry);
  }

  private done(flashOp: FlashOp): void {
    const entry = this.byOp.get(flashOp);
    if (!entry) return;
    this.byOp.delete(flashOp);
    entry.op.endMs = this.device.clock.now();
    entry.after = this.capture();
  }

  /** The state now, under the last capture's id when nothing changed since (the device's state version says so without reading it, where it can). */
  private capture(): number {
    const version = this.device.stateVersion?.();
    if (this.states.size && version !== undefined && version === this.lastVersion) return this.states.size - 1;
    this.lastVersion = version;
    return this.states.add(stateInto(this.device, this.captured));
  }
}

function fail(message: string): never {
  throw new Error(message);
}
