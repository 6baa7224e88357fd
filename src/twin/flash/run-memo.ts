import { stateInto, type FlashSnapshot, type NorFlash, type ReusedSnapshot } from './nor-flash.js';
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

/** Sectors a run changed, as they stood at some moment of it (by snapshot index): what `place` puts over a found state. */
export interface ChangedSectors {
  readonly sectors: readonly ChangedSector[];
}

interface ChangedSector {
  index: number;
  sector: Buffer;
  writes: Uint8Array | undefined;
}

/** A run kept: what it gave, and what it read. */
interface KeptRun<T> {
  /**
   * The read sectors at the start (by index, in the set's order) and what the state stored beside
   * the flash: the fingerprint the run is filed under only narrows the search, these decide.
   */
  start: { sectors: Buffer[]; writes: (Uint8Array | undefined)[] };
  extras: FlashSnapshot;
  value: T;
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
 * Sector bytes the kept runs hold (what `changed` gave them): a run that rewrites both slots of a
 * swap holds hundreds of KiB, and kept by the thousand they held the flash's slabs alive (measured:
 * MCUboot no-status-journal, +30 % time in sector copies and GC). Past it the memo starts afresh.
 */
const MAX_KEPT_BYTES = 64 * 1024 * 1024;

/**
 * A sweep's recoveries by what they read. At a cut RAM is gone, so a deterministic firmware's run
 * from power-on is a function of the stored bytes it reads (and of its host, told in `context`):
 * two cut states that agree on every sector a run read before erasing it run the same, write the
 * same and print the same. The first run from a state is simulated with the flash watching
 * (SectorReads); a later state whose bytes agree on that run's read sectors takes what the caller
 * kept of it (`value`: what it saw, and the sectors it had changed at the moments the caller reads
 * the flash, `changed`), and has those sectors put in place (`place`), its other sectors left as
 * its cut left them. A cut mid-download that the bootloader never looks past the header of is one
 * run for the whole download.
 *
 * Exact as long as the run is seen whole: a run that drew from a processor's generator, jumped
 * by a memo or played a board's tail (the flash restored under it), or changed what the device
 * stores beside the flash (option bytes), is not kept. The host's own readings of the flash (a
 * probe's dump to judge it) are not the firmware's: `pause` while they run.
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
  /** Sector bytes held by the kept runs (see MAX_KEPT_BYTES). */
  private keptBytes = 0;
  /** The watched run: its start, and what `changed` gave of it (compacted if it is kept). */
  private watching?: { start: FlashSnapshot; changed: ChangedSector[][] };
  /** The digests of the state loaded (a find's, then the watched run's start). */
  private readonly rows = new DigestRows();
  /** The state the last find looked at (in `lookedInto`): a hit's sectors go over it, a miss's run starts from it. */
  private looked?: FlashSnapshot;
  /**
   * The arrays the device's state is read into: what a find looked at, a watched run's start (kept
   * until `keep` copies out the sectors it read), and any reading that keeps nothing. A product's
   * state is two arrays of 1,536, read several times per point: fresh ones were a tenth of a sweep's
   * allocation.
   */
  private readonly lookedInto: ReusedSnapshot = { sectors: [], writes: [] };
  private readonly startInto: ReusedSnapshot = { sectors: [], writes: [] };
  private readonly nowInto: ReusedSnapshot = { sectors: [], writes: [] };
  /** Runs taken from the memo so far. */
  hits = 0;

  constructor(
    /** The flash parts, in the order of the device's snapshot (a FlashSet's base order). */
    private readonly parts: readonly NorFlash[],
    private readonly device: { snapshot(): FlashSnapshot; snapshotReusing?(into: ReusedSnapshot): FlashSnapshot; restore(state: FlashSnapshot): void },
  ) {
    this.reads = parts.map((p) => new SectorReads(p.geometry.size / p.geometry.sectorSize));
    this.scratch = new Int32Array(this.reads.reduce((n, r) => n + r.deps.length, 0));
  }

  /** The value kept for a run from the state loaded now (its sectors are put in place by `place`); undefined: none kept. */
  find(context: string): T | undefined {
    this.looked = undefined;
    if (!this.sets.length) return undefined;
    const state = (this.looked = this.stateInto(this.lookedInto));
    const rows = this.rows.of(state);
    const n = Math.min(this.sets.length, MAX_SETS_LOOKED);
    for (let i = 0; i < n; i++) {
      const set = this.sets[i]!;
      const run = set.runs.get(`${context}|${rows.fingerprint(set.indices)}`);
      if (!run || !sameAt(state, set.indices, run.start, run.extras)) continue;
      if (i > 0) this.sets.unshift(...this.sets.splice(i, 1));
      this.hits++;
      return run.value;
    }
    return undefined;
  }

  /** Puts a kept run's changed sectors over the state the last find looked at (the rest as its cut left them). */
  place(changed: ChangedSectors): void {
    const state = this.looked;
    if (!state) throw new Error('RunMemo.place: no state found to place the run on');
    if (!changed.sectors.length) return this.device.restore(state);
    const sectors = state.sectors.slice();
    const writes = (state.writes ?? []).slice();
    for (const f of changed.sectors) {
      sectors[f.index] = f.sector;
      writes[f.index] = f.writes;
    }
    this.device.restore({ ...state, sectors, writes });
  }

  /** Watches a run from the state loaded now. */
  start(): void {
    this.stop();
    // The state the find just missed on is this one (its rows too): nothing ran in between.
    const start = this.looked ? copyInto(this.looked, this.startInto) : this.stateInto(this.startInto);
    if (!this.looked) this.rows.of(start);
    this.looked = undefined;
    this.resume();
    for (const r of this.reads) r.reset();
    this.watching = { start, changed: [] };
  }

  /** The sectors the watched run has changed so far, as they stand now. */
  changed(): ChangedSectors {
    const now = this.stateInto(this.nowInto);
    const sectors: ChangedSector[] = [];
    let at = 0;
    for (const r of this.reads) {
      for (let i = 0; i < r.touched.length; i++) if (r.touched[i]) sectors.push({ index: at + i, sector: now.sectors[at + i]!, writes: now.writes?.[at + i] });
      at += r.touched.length;
    }
    this.watching?.changed.push(sectors);
    return { sectors };
  }

  /** The host reads the flash (not the firmware): not watched until `resume`. */
  pause(): void {
    for (const p of this.parts) p.reads = undefined;
  }

  resume(): void {
    this.parts.forEach((p, i) => (p.reads = this.reads[i]!));
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
    // A run kept at a tail's hit has no later state to compare (the start's option bytes are in its key).
    if (!all && !sameExtras(watched.start, this.stateInto(this.nowInto))) return false;
    const deps = this.scratch;
    let n = 0;
    let at = 0;
    for (const r of this.reads) {
      for (let i = 0; i < r.deps.length; i++) if (r.deps[i] || (all && !r.fresh[i])) deps[n++] = at + i;
      at += r.deps.length;
    }
    const bytes = compact(watched.changed);
    if (this.runs >= MAX_RUNS || this.sets.length >= MAX_SETS || this.keptBytes + bytes > MAX_KEPT_BYTES) this.clear();
    this.keptBytes += bytes;
    const set = this.setOf(deps.subarray(0, n));
    const { sectors, writes = [], ...extras } = watched.start;
    const indices = set.indices;
    const start = { sectors: new Array<Buffer>(indices.length), writes: new Array<Uint8Array | undefined>(indices.length) };
    for (let i = 0; i < indices.length; i++) {
      start.sectors[i] = sectors[indices[i]!]!;
      start.writes[i] = writes[indices[i]!];
    }
    set.runs.set(`${context}|${this.rows.fingerprint(indices)}`, { start, extras: { sectors: [], ...extras }, value });
    this.runs++;
    return true;
  }

  /** The set of runs that read `indices` (a view on scratch: copied when the set is new). */
  private setOf(indices: Int32Array): ReadSet<T> {
    const id = indexKey(indices);
    const same = this.setsByIndices.get(id)?.find((s) => sameIndices(s.indices, indices));
    if (same) return same;
    const set: ReadSet<T> = { indices: indices.slice(), runs: new Map() };
    this.sets.unshift(set);
    const list = this.setsByIndices.get(id);
    if (list) list.push(set);
    else this.setsByIndices.set(id, [set]);
    return set;
  }

  /** The device's state now, into `into` where the device can (see lookedInto). */
  private stateInto(into: ReusedSnapshot): FlashSnapshot {
    return stateInto(this.device, into);
  }

  /** Forgets every kept run. */
  private clear(): void {
    this.sets.length = 0;
    this.setsByIndices.clear();
    this.runs = 0;
    this.keptBytes = 0;
  }

  /** Stops watching, keeping nothing. */
  stop(): void {
    this.pause();
    this.watching = undefined;
  }
}

/** `state` copied into `into`'s arrays (its other fields, the option bytes, by reference). */
function copyInto(state: FlashSnapshot, into: ReusedSnapshot): FlashSnapshot {
  const { sectors, writes = [], ...extras } = state;
  into.sectors.length = sectors.length;
  into.writes.length = sectors.length;
  for (let i = 0; i < sectors.length; i++) {
    into.sectors[i] = sectors[i]!;
    into.writes[i] = writes[i];
  }
  return { ...extras, ...into };
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

/**
 * Moves the sectors (and write counts) a kept run holds into one buffer of its own: the flash's
 * are views on shared slabs (nor-flash.ts), and a view kept for long holds its whole slab. A buffer
 * seen twice (unchanged between two moments of the run) is copied once. The bytes held.
 */
function compact(lists: readonly ChangedSector[][]): number {
  const copies = new Map<Uint8Array, Uint8Array>();
  let total = 0;
  for (const list of lists) {
    for (const c of list) {
      for (const b of [c.sector, c.writes]) {
        if (b && !copies.has(b)) {
          copies.set(b, b);
          total += (b.length + 7) & ~7;
        }
      }
    }
  }
  const store = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const b of copies.keys()) {
    const copy = store.subarray(at, at + b.length);
    copy.set(b);
    copies.set(b, copy);
    at += (b.length + 7) & ~7;
  }
  for (const list of lists) {
    for (const c of list) {
      c.sector = copies.get(c.sector) as Buffer;
      if (c.writes) c.writes = copies.get(c.writes);
    }
  }
  return total;
}
