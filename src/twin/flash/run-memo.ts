import type { FlashSnapshot, NorFlash } from './nor-flash.js';
import { DigestRows, sameAt, sameExtras } from './state-digest.js';

/**
 * Which sectors of one flash a run read or changed from the state it started in. A sector the run
 * erased whole is its own from then on: what it reads or writes there after no longer depends on
 * the start. A write into a sector it had not erased counts as a read (the bytes it leaves, and
 * the part's write-count limit, depend on what was there).
 */
export class SectorReads {
  /** 1: erased whole during the run. */
  readonly fresh: Uint8Array;
  /** 1: the run depends on the sector's bytes at its start. */
  readonly deps: Uint8Array;
  /** 1: the run changed the sector (its bytes at the end are the run's). */
  readonly touched: Uint8Array;
  /** The flash was restored during the run (a memo jumped, a tail was played): its reads are not all seen. */
  restored = false;

  constructor(sectors: number) {
    this.fresh = new Uint8Array(sectors);
    this.deps = new Uint8Array(sectors);
    this.touched = new Uint8Array(sectors);
  }

  /** As new, for the next run (a sweep watches one per point). */
  reset(): this {
    this.fresh.fill(0);
    this.deps.fill(0);
    this.touched.fill(0);
    this.restored = false;
    return this;
  }

  read(first: number, last: number): void {
    for (let i = first; i <= last; i++) if (!this.fresh[i]) this.deps[i] = 1;
  }

  changed(sector: number): void {
    this.touched[sector] = 1;
    if (!this.fresh[sector]) this.deps[sector] = 1;
  }

  erased(sector: number): void {
    this.fresh[sector] = 1;
    this.touched[sector] = 1;
  }
}

/** A run kept: what it gave, and the sectors it left (every one it changed), by snapshot index. */
interface KeptRun<T> {
  /**
   * The read sectors at the start (by index, in the set's order) and what the state stored beside
   * the flash: the fingerprint the run is filed under only narrows the search, these decide.
   */
  start: { sectors: Buffer[]; writes: (Uint8Array | undefined)[] };
  extras: FlashSnapshot;
  value: T;
  final: { index: number; sector: Buffer; writes: Uint8Array | undefined }[];
}

/** The runs kept that read the same sectors: by context and those sectors' fingerprint at their start. */
interface ReadSet<T> {
  indices: Int32Array;
  runs: Map<string, KeptRun<T>>;
}

/**
 * Read sets looked up per state, most recently hit first: a miss costs a fingerprint per set.
 * Measured over the five schemes' every-op sweeps: 5,766 of 5,769 hits were on the first set.
 */
const MAX_SETS_LOOKED = 3;
const MAX_SETS = 64;
const MAX_RUNS = 4096;

/**
 * A sweep's recoveries by what they read. At a cut RAM is gone, so a deterministic firmware's run
 * from power-on is a function of the stored bytes it reads (and of its host, told in `context`):
 * two cut states that agree on every sector a run read before erasing it run the same, write the
 * same and print the same. The first run from a state is simulated with the flash watching
 * (SectorReads); a later state whose bytes agree on that run's read sectors takes its outcome
 * (`value`) and has the sectors it changed put in place, its other sectors left as its cut left
 * them. A cut mid-download that the bootloader never looks past the header of is one run for the
 * whole download.
 *
 * Exact as long as the run is seen whole: a run that drew from a processor's generator, jumped
 * by a memo or played a board's tail (the flash restored under it), or changed what the device
 * stores beside the flash (option bytes), is not kept.
 */
export class RunMemo<T> {
  /** Most recently hit or added first. */
  private readonly sets: ReadSet<T>[] = [];
  /** The same sets by their indices' length and fingerprint (indexKey). */
  private readonly setsByIndices = new Map<string, ReadSet<T>[]>();
  /** Each part's watch, reused from run to run. */
  private readonly reads: SectorReads[];
  /** Scratch for a kept run's read sectors. */
  private readonly scratch: Int32Array;
  private runs = 0;
  private watching?: { start: FlashSnapshot };
  /** The digests of the state loaded (a find's, then the watched run's start). */
  private readonly rows = new DigestRows();
  /** The state the last find missed on, which the run it then watches starts from (one snapshot, not two). */
  private missed?: FlashSnapshot;
  /** Runs taken from the memo so far. */
  hits = 0;

  constructor(
    /** The flash parts, in the order of the device's snapshot (a FlashSet's base order). */
    private readonly parts: readonly NorFlash[],
    private readonly device: { snapshot(): FlashSnapshot; restore(state: FlashSnapshot): void },
  ) {
    this.reads = parts.map((p) => new SectorReads(p.geometry.size / p.geometry.sectorSize));
    this.scratch = new Int32Array(this.reads.reduce((n, r) => n + r.deps.length, 0));
  }

  /** The value of a kept run from the state loaded now, with its sectors put in place; undefined: none kept. */
  find(context: string): T | undefined {
    this.missed = undefined;
    if (!this.sets.length) return undefined;
    const state = this.device.snapshot();
    const rows = this.rows.of(state);
    const n = Math.min(this.sets.length, MAX_SETS_LOOKED);
    for (let i = 0; i < n; i++) {
      const set = this.sets[i]!;
      const run = set.runs.get(`${context}|${rows.fingerprint(set.indices)}`);
      if (!run || !sameAt(state, set.indices, run.start, run.extras)) continue;
      if (i > 0) this.sets.unshift(...this.sets.splice(i, 1));
      if (run.final.length) {
        const sectors = state.sectors.slice();
        const writes = (state.writes ?? []).slice();
        for (const f of run.final) {
          sectors[f.index] = f.sector;
          writes[f.index] = f.writes;
        }
        this.device.restore({ ...state, sectors, writes });
      }
      this.hits++;
      return run.value;
    }
    this.missed = state;
    return undefined;
  }

  /** Watches a run from the state loaded now. */
  start(): void {
    this.stop();
    // The state the find just missed on is this one (its rows too): nothing ran in between.
    const start = this.missed ?? this.device.snapshot();
    if (!this.missed) this.rows.of(start);
    this.missed = undefined;
    this.parts.forEach((p, i) => (p.reads = this.reads[i]!.reset()));
    this.watching = { start };
  }

  /**
   * Stops watching and keeps the run with `value`, unless it cannot be (see the class); whether it
   * was kept. `all`: what comes next depends on the whole state (a board's tail about to play from
   * it), so every sector the run had not erased counts as read.
   */
  keep(context: string, value: T, whole: boolean, all = false): boolean {
    const watched = this.watching;
    this.stop();
    if (!watched || !whole || this.reads.some((r) => r.restored)) return false;
    // A run kept at a tail's hit leaves no state to put in place (nor option bytes to compare: the start's are in its key).
    const end = all ? undefined : this.device.snapshot();
    if (end && !sameExtras(watched.start, end)) return false;
    const deps = this.scratch;
    let n = 0;
    const final: KeptRun<T>['final'] = [];
    let at = 0;
    for (const r of this.reads) {
      for (let i = 0; i < r.deps.length; i++) {
        if (r.deps[i] || (all && !r.fresh[i])) deps[n++] = at + i;
        // A run kept at a tail's hit gives its judgement, not a state: nothing to put in place.
        if (end && r.touched[i]) final.push({ index: at + i, sector: end.sectors[at + i]!, writes: end.writes?.[at + i] });
      }
      at += r.deps.length;
    }
    const set = this.setOf(deps.subarray(0, n));
    const { sectors, writes = [], ...extras } = watched.start;
    const indices = set.indices;
    const start = { sectors: new Array<Buffer>(indices.length), writes: new Array<Uint8Array | undefined>(indices.length) };
    for (let i = 0; i < indices.length; i++) {
      start.sectors[i] = sectors[indices[i]!]!;
      start.writes[i] = writes[indices[i]!];
    }
    set.runs.set(`${context}|${this.rows.fingerprint(indices)}`, { start, extras: { sectors: [], ...extras }, value, final });
    this.runs++;
    return true;
  }

  /** The set of runs that read `indices` (a view on scratch: copied when the set is new). */
  private setOf(indices: Int32Array): ReadSet<T> {
    const id = indexKey(indices);
    const same = this.setsByIndices.get(id)?.find((s) => sameIndices(s.indices, indices));
    if (same) return same;
    if (this.sets.length >= MAX_SETS || this.runs >= MAX_RUNS) {
      this.sets.length = 0;
      this.setsByIndices.clear();
      this.runs = 0;
    }
    const set: ReadSet<T> = { indices: indices.slice(), runs: new Map() };
    this.sets.unshift(set);
    const list = this.setsByIndices.get(id);
    if (list) list.push(set);
    else this.setsByIndices.set(id, [set]);
    return set;
  }

  /** Stops watching, keeping nothing. */
  stop(): void {
    for (const p of this.parts) p.reads = undefined;
    this.watching = undefined;
  }
}

/** A short name for a list of sector indices: its length and a hash of its members. */
function indexKey(indices: Int32Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < indices.length; i++) h = Math.imul(h ^ indices[i]!, 0x01000193);
  return `${indices.length}:${h >>> 0}`;
}

function sameIndices(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
