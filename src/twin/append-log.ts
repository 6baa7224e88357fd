/**
 * A board's append log, for its tail memo (board-tail.ts): a region one program appends records to
 * while the rest of the board works (the product's radio logs every 100 ms for its first 48 records
 * after a start). Every position of the log times every state of the work is a different flash, so a
 * memo keyed on the whole flash would never see a recovery's state twice. The log is written, never
 * read by anyone else, and its writer puts the next record where its start-up scan finds the end: so
 * what the board does from a state does not depend on where the log ends, only on the rest of the
 * flash, provided the records it will append land on erased bytes (no erase is needed) and do not
 * wrap. The memo keys states with the log's sectors masked, keeps what a tail appended, and plays a
 * tail back at another position by writing the same records there.
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
}

/** A log's sectors within a flash set's snapshot, and what an erased byte reads as. */
export interface LogSectors {
  /** Index of the region's first sector in a snapshot, the number of sectors, their size. */
  readonly first: number;
  readonly count: number;
  readonly sectorSize: number;
  readonly erased: number;
}

/** Where a log stood at a checkpoint: its next record's offset and the region's sectors then. */
export interface LogAt {
  at: number;
  sectors: readonly Buffer[];
}

/** What a tail appended: the bytes from offset `at` on (possibly none). */
export interface LogSpan {
  at: number;
  bytes: Buffer;
}

/** One shared stand-in for a masked sector (its content never matters: a key digests it). */
const MASKED = Buffer.from('masked append-log sector');

/** Takes the log's sectors out of `snapshot` (written in place: the snapshot is the key's own) and returns them. */
export function maskLog(snapshot: FlashSnapshot, log: LogSectors): Buffer[] {
  const sectors = snapshot.sectors as Buffer[];
  const taken = sectors.slice(log.first, log.first + log.count);
  for (let i = 0; i < log.count; i++) sectors[log.first + i] = MASKED;
  return taken;
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
 * sectors then; undefined when the tail did anything else to the region (its records did not start
 * at the mark's end or landed on written bytes, or other bytes changed: an erase).
 */
export function appended(mark: LogAt, q: number, final: readonly Buffer[], log: LogSectors): LogSpan | undefined {
  const p = mark.at;
  if (q < p || !erasedIn(mark.sectors, log, p, q)) return undefined;
  const s = log.sectorSize;
  for (let k = 0; k < log.count; k++) {
    const before = mark.sectors[k]!;
    const after = final[k]!;
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
    final[k]!.copy(bytes, off - p, off - k * s, end - k * s);
    off = end;
  }
  return { at: p, bytes };
}

/**
 * The region's sectors when the tail that appended `span` is played from `mark` (the log ending
 * elsewhere): the mark's sectors with the same records at the mark's end; undefined when the tail
 * would not do the same there (a record on written bytes, a sector its writer would erase first,
 * the end of the region, another record alignment).
 */
export function relocated(span: LogSpan, mark: LogAt, log: LogSectors, region: { size: number; align: number }): Buffer[] | undefined {
  const p = mark.at;
  const len = span.bytes.length;
  if (len === 0) return mark.sectors as Buffer[];
  if ((p - span.at) % region.align !== 0 || p + len > region.size) return undefined;
  const s = log.sectorSize;
  // Erased up to the end of the last sector written: the writer erases a sector it enters unless it is erased whole.
  const lastSectorEnd = (Math.floor((p + len - 1) / s) + 1) * s;
  if (!erasedIn(mark.sectors, log, p, lastSectorEnd)) return undefined;
  const out = mark.sectors.slice();
  for (let off = p; off < p + len;) {
    const k = Math.floor(off / s);
    const end = Math.min(p + len, (k + 1) * s);
    const copy = Buffer.from(mark.sectors[k]!);
    span.bytes.copy(copy, off - k * s, off - p, end - p);
    out[k] = copy;
    off = end;
  }
  return out;
}

/** `state` with the log's sectors replaced by `sectors` (a new snapshot; the others shared). */
export function withLog(state: FlashSnapshot, sectors: readonly Buffer[], log: LogSectors): FlashSnapshot {
  const all = state.sectors.slice();
  for (let i = 0; i < log.count; i++) all[log.first + i] = sectors[i]!;
  return state.writes ? { sectors: all, writes: state.writes } : { sectors: all };
}
