import { crc32 } from 'node:zlib';
import type { FlashStore } from '../device.js';
import { FlashError, type FlashSnapshot, type NorFlash, type ReusedSnapshot } from './nor-flash.js';

/**
 * Several flash parts seen as one store at their own (virtual) bases: a product's processors'
 * internal flashes and the shared SPI NOR, laid out on one address map. Reads go to the part that
 * holds the address; a snapshot is the parts' sectors (and write counts) laid end to end in base
 * order, so the op recorder, stateDigest, sameState and StateKeys treat it as one flash.
 *
 * Its resume memo is a no-op (never armed, never jumps): a product's jobs span several parts
 * (an MCUboot swap between internal flash and the shared NOR) and run beside the other processor's
 * work, which a one-flash memo cannot key; the board's tail memo (../board-tail.ts) keys the whole
 * board instead.
 */
export class FlashSet implements FlashStore {
  readonly parts: readonly NorFlash[];
  readonly base: number;
  readonly geometry: { readonly name: string; readonly size: number };
  readonly resume = { until: undefined as number | undefined, jumps: 0 };
  /** Sectors per part, in base order: where each part's share of a snapshot starts and ends. */
  private readonly counts: number[];
  /** Sectors in all parts: a snapshot's length. */
  private readonly total: number;
  /** Per caller's `seen` array, one per part (readInto's contract is per buffer). */
  private readonly seenByPart = new WeakMap<(Buffer | undefined)[], (Buffer | undefined)[][]>();

  constructor(parts: readonly NorFlash[], name = 'flash set') {
    if (!parts.length) throw new RangeError('a FlashSet needs at least one flash part');
    this.parts = [...parts].sort((a, b) => a.base - b.base);
    for (let i = 1; i < this.parts.length; i++) {
      const prev = this.parts[i - 1]!;
      const part = this.parts[i]!;
      if (prev.base + prev.geometry.size > part.base) {
        throw new RangeError(`${part.geometry.name} at 0x${part.base.toString(16)} overlaps ${prev.geometry.name} (0x${prev.base.toString(16)}+0x${prev.geometry.size.toString(16)})`);
      }
    }
    this.base = this.parts[0]!.base;
    const last = this.parts[this.parts.length - 1]!;
    this.geometry = { name, size: last.base + last.geometry.size - this.base };
    this.counts = this.parts.map((p) => p.geometry.size / p.geometry.sectorSize);
    this.total = this.counts.reduce((a, b) => a + b, 0);
  }

  /** Ops a board's tail memo plays back (src/twin/board-tail.ts): started by now, not run on any part. */
  pendingOps?: () => number;

  /** Changes whenever any part's stored state does (NorFlash.version: each only grows). */
  get version(): number {
    let v = 0;
    for (const p of this.parts) v += p.version;
    return v;
  }

  get opCount(): number {
    let n = this.pendingOps?.() ?? 0;
    for (const p of this.parts) n += p.opCount;
    return n;
  }

  /** The part that holds `address`. */
  partAt(address: number): NorFlash {
    for (const p of this.parts) if (address >= p.base && address < p.base + p.geometry.size) return p;
    throw new FlashError(`0x${address.toString(16)} is in no part of ${this.geometry.name}`);
  }

  /** Index in this set's snapshots of the sector that holds `address`. */
  sectorIndex(address: number): number {
    const part = this.partAt(address);
    let at = 0;
    for (let i = 0; this.parts[i] !== part; i++) at += this.counts[i]!;
    return at + Math.floor((address - part.base) / part.geometry.sectorSize);
  }

  read(address: number, length: number): Buffer {
    return this.readInto(address, Buffer.allocUnsafe(length));
  }

  readInto(address: number, out: Buffer, seen?: (Buffer | undefined)[]): Buffer {
    let perPart = seen && this.seenByPart.get(seen);
    if (seen && !perPart) this.seenByPart.set(seen, (perPart = this.parts.map(() => [])));
    this.forEachPart(address, out.length, (part, i, at, pos, n) => {
      part.readInto(at, pos === 0 && n === out.length ? out : out.subarray(pos, pos + n), perPart?.[i]);
    });
    return out;
  }

  /** A range in one part: that part's kept per-sector CRCs; across parts, the bytes (rare: a whole-map dump). */
  crc32(address: number, length: number): number {
    const part = this.partAt(address);
    if (address + length <= part.base + part.geometry.size) return part.crc32(address, length);
    return crc32(this.read(address, length)) >>> 0;
  }

  snapshot(): FlashSnapshot {
    return this.snapshotInto({ sectors: new Array<Buffer>(this.total), writes: new Array<Uint8Array | undefined>(this.total) });
  }

  /** As snapshot(), into arrays the caller reuses (a board's tail memo keys a state at every checkpoint and keeps none of them). */
  snapshotInto(into: ReusedSnapshot): FlashSnapshot {
    let at = 0;
    for (let i = 0; i < this.parts.length; i++) {
      this.parts[i]!.snapshotInto(into.sectors, into.writes, at);
      at += this.counts[i]!;
    }
    return into;
  }

  restore(snapshot: FlashSnapshot): void {
    if (snapshot.sectors.length !== this.total) throw new FlashError(`snapshot has ${snapshot.sectors.length} sectors, ${this.geometry.name} has ${this.total}`);
    let at = 0;
    for (let i = 0; i < this.parts.length; i++) {
      this.parts[i]!.restoreFrom(snapshot, at);
      at += this.counts[i]!;
    }
  }

  private forEachPart(address: number, length: number, fn: (part: NorFlash, index: number, at: number, pos: number, n: number) => void): void {
    let pos = 0;
    while (pos < length) {
      const at = address + pos;
      const part = this.partAt(at);
      const n = Math.min(length - pos, part.base + part.geometry.size - at);
      fn(part, this.parts.indexOf(part), at, pos, n);
      pos += n;
    }
  }
}
