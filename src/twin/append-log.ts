/**
 * A board's append log, for its tail memo (board-tail.ts): a region one program appends records to
 * while the rest of the board works (the product's radio logs every 100 ms for its first 48 records
 * after a start; its host appends an entry to its update record at each step). Every position of the
 * log times every state of the work is a different flash, so a memo keyed on the whole flash would
 * never see a recovery's state twice. The writer puts the next record where its scan finds the end,
 * and whoever reads the log back reads only what it means (`meaning`: the host's record as it
 * decodes it, a torn entry skipped; the radio's log means nothing to anyone): so what the board does
 * from a state does not depend on where the log ends, only on the rest of the flash and the log's
 * meaning, provided the records it will append land on erased bytes never written since their erase
 * (no erase is needed, no write count is past one) and do not wrap. The memo keys states with the
 * log's sectors masked and its meaning beside them, keeps what a tail appended, and plays a tail
 * back at another position by writing the same records there.
 */
import type { FlashSnapshot } from './flash/nor-flash.js';

export interface AppendLog {
  /** First byte of the region (an address of the board's flash set) and its size: whole sectors. */
  readonly base: number;
  readonly size: number;
  /** Records start at multiples of this (a record never straddles a program page). */
  readonly align: number;
  /** Offset in the region where the writer's next record goes, as its scan finds it now. */
  next(): number;
  /** What the log's content means to the program that reads it back, in full (absent: nobody reads it). */
  meaning?(): string;
}

/** A log's sectors within a flash set's snapshot, and what an erased byte reads as. */
export interface LogSectors {
  /** Index of the region's first sector in a snapshot, the number of sectors, their size. */
  readonly first: number;
  readonly count: number;
  readonly sectorSize: number;
  readonly erased: number;
  /** The part's write unit, when it counts writes per unit (nWRITE): a record's units are each written once. */
  readonly unit?: number;
}

/** Write counts of a region's sectors (a sector's absent: none written since its erase). */
export type LogWrites = readonly (Uint8Array | undefined)[];

/** A log region's content: its sectors, and their write counts on a part that counts them. */
export interface LogContent {
  sectors: readonly Buffer[];
  writes?: LogWrites;
}

/** Where a log stood at a checkpoint: its next record's offset and the region's content then. */
export interface LogAt extends LogContent {
  at: number;
}

/** What a tail appended: the bytes from offset `at` on (possibly none). */
export interface LogSpan {
  at: number;
  bytes: Buffer;
}

/** One shared stand-in for a masked sector (its content never matters: a key digests it). */
const MASKED = Buffer.from('masked append-log sector');

/** Takes the log's sectors (and write counts) out of `snapshot` (written in place: the snapshot is the key's own) and returns them. */
export function maskLog(snapshot: FlashSnapshot, log: LogSectors): LogContent {
  const sectors = snapshot.sectors as Buffer[];
  const taken = sectors.slice(log.first, log.first + log.count);
  for (let i = 0; i < log.count; i++) sectors[log.first + i] = MASKED;
  if (log.unit === undefined) return { sectors: taken };
  const writes = (snapshot.writes ?? []) as (Uint8Array | undefined)[];
  const counts = writes.slice(log.first, log.first + log.count);
  for (let i = 0; i < log.count && log.first + i < writes.length; i++) writes[log.first + i] = undefined;
  return { sectors: taken, writes: counts };
}

/** True when every write unit of bytes [from, to) of the region has been written `n` times since its erase (0: not at all). */
function countsAre(writes: LogWrites, log: LogSectors, from: number, to: number, n: number): boolean {
  const u = log.unit!;
  for (let off = from - (from % u); off < to; off += u) {
    const k = Math.floor(off / log.sectorSize);
    if ((writes[k]?.[(off - k * log.sectorSize) / u] ?? 0) !== n) return false;
  }
  return true;
}

/** True when the counts of units outside bytes [from, to) are the same in `a` and `b`. */
function sameCountsOutside(a: LogWrites, b: LogWrites, log: LogSectors, from: number, to: number): boolean {
  const u = log.unit!;
  const per = log.sectorSize / u;
  for (let k = 0; k < log.count; k++) {
    if (a[k] === b[k]) continue;
    for (let i = 0; i < per; i++) {
      const off = k * log.sectorSize + i * u;
      if (off >= from && off < to) continue;
      if ((a[k]?.[i] ?? 0) !== (b[k]?.[i] ?? 0)) return false;
    }
  }
  return true;
}

/** True when bytes [from, to) of the region read erased in `sectors`. */
function erasedIn(sectors: readonly Buffer[], log: LogSectors, from: number, to: number): boolean {
  for (let off = from; off < to;) {
    const k = Math.floor(off / log.sectorSize);
    const end = Math.min(to, (k + 1) * log.sectorSize);
    const buf = sectors[k]!;
    for (let i = off - k * log.sectorSize; i < end - k * log.sectorSize; i++) if (buf[i] !== log.erased) return false;
    off = end;
  }
  return true;
}

/**
 * What a tail from `mark` appended, given where the log ends at the tail's end (`q`) and the region's
 * content then; undefined when the tail did anything else to the region (its records did not start
 * at the mark's end or landed on written bytes, or other bytes changed: an erase; on a part that
 * counts writes, a unit of its records written other than once since its erase, another's count changed).
 */
export function appended(mark: LogAt, q: number, final: LogContent, log: LogSectors): LogSpan | undefined {
  const p = mark.at;
  if (q < p || !erasedIn(mark.sectors, log, p, q)) return undefined;
  if (log.unit !== undefined) {
    const before = mark.writes ?? [];
    const after = final.writes ?? [];
    if (p % log.unit || q % log.unit || !countsAre(before, log, p, q, 0) || !countsAre(after, log, p, q, 1) || !sameCountsOutside(before, after, log, p, q)) return undefined;
  }
  const s = log.sectorSize;
  for (let k = 0; k < log.count; k++) {
    const before = mark.sectors[k]!;
    const after = final.sectors[k]!;
    if (before === after) continue;
    // Outside [p, q) the sector must read the same.
    const lo = Math.max(0, Math.min(s, p - k * s));
    const hi = Math.max(0, Math.min(s, q - k * s));
    if (before.compare(after, 0, lo, 0, lo) !== 0 || before.compare(after, hi, s, hi, s) !== 0) return undefined;
  }
  const bytes = Buffer.alloc(q - p);
  for (let off = p; off < q;) {
    const k = Math.floor(off / s);
    const end = Math.min(q, (k + 1) * s);
    final.sectors[k]!.copy(bytes, off - p, off - k * s, end - k * s);
    off = end;
  }
  return { at: p, bytes };
}

/**
 * The region's content when the tail that appended `span` is played from `mark` (the log ending
 * elsewhere): the mark's sectors with the same records at the mark's end (on a part that counts
 * writes, each of their units written once); undefined when the tail would not do the same there (a
 * record on written bytes or on a unit written since its erase, a sector its writer would erase
 * first, the end of the region, another record alignment).
 */
export function relocated(span: LogSpan, mark: LogAt, log: LogSectors, region: { size: number; align: number }): LogContent | undefined {
  const p = mark.at;
  const len = span.bytes.length;
  if (len === 0) return mark;
  if ((p - span.at) % region.align !== 0 || p + len > region.size) return undefined;
  const s = log.sectorSize;
  // Erased up to the end of the last sector written: the writer erases a sector it enters unless it is erased whole.
  const lastSectorEnd = (Math.floor((p + len - 1) / s) + 1) * s;
  if (!erasedIn(mark.sectors, log, p, lastSectorEnd)) return undefined;
  const counted = log.unit !== undefined;
  if (counted && (p % log.unit! || len % log.unit! || !countsAre(mark.writes ?? [], log, p, lastSectorEnd, 0))) return undefined;
  const sectors = mark.sectors.slice();
  const writes = counted ? Array.from({ length: log.count }, (_, k) => mark.writes?.[k]) : undefined;
  for (let off = p; off < p + len;) {
    const k = Math.floor(off / s);
    const end = Math.min(p + len, (k + 1) * s);
    const copy = Buffer.from(mark.sectors[k]!);
    span.bytes.copy(copy, off - k * s, off - p, end - p);
    sectors[k] = copy;
    if (writes) {
      const counts = writes[k] ? Uint8Array.from(writes[k]) : new Uint8Array(s / log.unit!);
      counts.fill(1, (off - k * s) / log.unit!, (end - k * s) / log.unit!);
      writes[k] = counts;
    }
    off = end;
  }
  return writes ? { sectors, writes } : { sectors };
}

/** `state` with the log's sectors (and write counts) replaced by `content`'s (a new snapshot; the others shared). */
export function withLog(state: FlashSnapshot, content: LogContent, log: LogSectors): FlashSnapshot {
  const all = state.sectors.slice();
  for (let i = 0; i < log.count; i++) all[log.first + i] = content.sectors[i]!;
  if (!content.writes) return state.writes ? { sectors: all, writes: state.writes } : { sectors: all };
  const writes = (state.writes ?? []).slice();
  for (let i = 0; i < log.count; i++) writes[log.first + i] = content.writes[i];
  return { sectors: all, writes };
}
