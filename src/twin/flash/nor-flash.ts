import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crcShift } from './crc-combine.js';
import type { FlashGeometry } from './geometry.js';
import type { PowerLossMode } from './power-loss.js';
import type { Rng } from '../rng.js';
import { ResumeMemo } from './resume-memo.js';
import type { SectorReads } from './run-memo.js';

export type FlashOpKind = 'program' | 'erase';

/** A flash operation that takes time: it lands when completed, or partly when power dies. */
export interface FlashOp {
  readonly kind: FlashOpKind;
  readonly address: number;
  readonly length: number;
  readonly durationMs: number;
  /** The operation finished normally. */
  complete(): void;
  /**
   * Power died after `fraction` (0..1) of the operation's time. Returns the mode that was
   * applied (a 'random' mode resolves to one of the others).
   */
  interrupt(mode: PowerLossMode, fraction: number, rng: Rng): Exclude<PowerLossMode, 'random'>;
  /**
   * The same operation once more, against the store's content at the time it lands, not counted
   * as a new operation (no marker edge): a sweep rebuilds a cut point's torn state with it.
   */
  again?(): FlashOp;
}

export interface FlashSnapshot {
  readonly sectors: readonly Buffer[];
  readonly writes?: readonly (Uint8Array | undefined)[];
}

/** Arrays a snapshot is taken into again and again (snapshotInto): valid until the next take. */
export interface ReusedSnapshot {
  sectors: Buffer[];
  writes: (Uint8Array | undefined)[];
}

/** A device's state now: into `into` where the device takes reused arrays (`snapshotReusing`), else a snapshot of its own. */
export function stateInto(device: { snapshot(): FlashSnapshot; snapshotReusing?(into: ReusedSnapshot): FlashSnapshot }, into: ReusedSnapshot): FlashSnapshot {
  return device.snapshotReusing?.(into) ?? device.snapshot();
}

/** `state` in arrays of its own (one read into reused arrays, to be kept); its other fields by reference. */
export function ownCopy(state: FlashSnapshot): FlashSnapshot {
  return { ...state, sectors: state.sectors.slice(), ...(state.writes && { writes: state.writes.slice() }) };
}

export class FlashError extends Error {}

/**
 * NOR flash: erase sets whole units to 0xFF, programming can only clear bits (new = old & data).
 * Storage is one Buffer per sector, shared copy-on-write with snapshots, so a sweep can restore
 * a baseline for every cut point without copying megabytes.
 */
export class NorFlash {
  private sectors: Buffer[];
  /** owned[i]: sectors[i] (and writes[i]) belong to this flash alone and may be written in place. */
  private owned: boolean[];
  /** Per sector, writes per write unit since its erase; only when the geometry limits them. */
  private writes: (Uint8Array | undefined)[];
  /** Writes beyond maxWritesPerUnit so far (each one a bootloader bug on a real part). */
  overWrites = 0;
  private readonly erasedSector: Buffer;
  /** Changes so far to the stored state (see `version`). */
  private changes = 0;
  /** Operations started so far: the twin's marker pin toggles on each. */
  opCount = 0;
  onOp?: (op: { kind: FlashOpKind; address: number; length: number; index: number }) => void;
  /** Ends of resumable jobs run before on this flash (a sweep arms it for each recovery). */
  readonly resume = new ResumeMemo(this);
  /** While a sweep's run memo watches a recovery (./run-memo.ts): the sectors it read or changed. */
  reads?: SectorReads;

  constructor(readonly geometry: FlashGeometry) {
    if (geometry.size % geometry.sectorSize) throw new RangeError('flash size must be a multiple of the sector size');
    this.erasedSector = Buffer.alloc(geometry.sectorSize, geometry.erasedValue);
    const n = geometry.size / geometry.sectorSize;
    this.sectors = new Array<Buffer>(n).fill(this.erasedSector);
    this.owned = new Array<boolean>(n).fill(false);
    this.writes = new Array<Uint8Array | undefined>(n).fill(undefined);
    for (const span of geometry.sectorMap ?? []) {
      if ((span.address - geometry.base) % geometry.sectorSize || span.size % geometry.sectorSize) {
        throw new RangeError(`${geometry.name}: sector at 0x${span.address.toString(16)} is not made of whole ${geometry.sectorSize}-byte granules`);
      }
    }
  }

  private get unit(): number {
    return this.geometry.writeUnit ?? 1;
  }

  get base(): number {
    return this.geometry.base;
  }

  /** Copy of `length` bytes at `address`. */
  read(address: number, length: number): Buffer {
    return this.readInto(address, Buffer.allocUnsafe(length));
  }

  /**
   * Reads `out.length` bytes at `address` into `out`. A sweep's probe reads megabytes per cut
   * point: into buffers it keeps, the read is a copy (TypedArray.set, several times faster than
   * Buffer.copy here), where a fresh multi-megabyte buffer each time costs its page faults.
   * `seen` (kept by the caller with `out`, which nobody else writes): the sector buffer each span
   * was last read from, so a span still read from the same shared buffer is not copied again.
   */
  readInto(address: number, out: Buffer, seen?: (Buffer | undefined)[]): Buffer {
    this.noteRead(address, out.length);
    let span = 0;
    this.forEachSpan(address, out.length, (sector, offset, pos, n) => {
      const src = this.sectors[sector]!;
      if (seen) {
        // `out` already holds this span from the same shared sector buffer, which nobody writes
        // again (the flash copies a sector before writing it): a sweep reads both 1 MiB STM32 banks
        // per point, and most of their sectors are the recording's.
        const i = span++;
        if (!this.owned[sector] && seen[i] === src) return;
        seen[i] = this.owned[sector] ? undefined : src;
      }
      out.set(offset === 0 && n === src.length ? src : src.subarray(offset, offset + n), pos);
    });
    return out;
  }

  /**
   * CRC-32 (zlib's) of a range, sector by sector with no copy: a bootloader that checks a whole
   * slot at every boot (the SFU's), and a sweep's host inspection of both slots at every point,
   * would otherwise pass over megabytes each time. A whole sector shared with a snapshot (never
   * written again) has its CRC kept, and the range's CRC is combined from the sectors' (see
   * crc-combine): only the sectors written since the last snapshot, and partial ends, are read.
   */
  crc32(address: number, length: number): number {
    const size = this.geometry.sectorSize;
    const shift = crcShift(size);
    this.noteRead(address, length);
    let crc = 0;
    this.forEachSpan(address, length, (sector, offset, _pos, n) => {
      const src = this.sectors[sector]!;
      if (n !== size) {
        crc = crc32(src.subarray(offset, offset + n), crc);
        return;
      }
      let own = this.owned[sector] ? undefined : sectorCrcs.get(src);
      if (own === undefined) {
        own = crc32(src) >>> 0;
        if (!this.owned[sector]) sectorCrcs.set(src, own);
      }
      crc = (shift(crc) ^ own) >>> 0;
    });
    return crc >>> 0;
  }

  /** SHA-256 of a range, sector by sector with no copy; kept over snapshot-shared sectors (MCUboot's image check at every boot). */
  sha256(address: number, length: number): Buffer {
    this.noteRead(address, length);
    return this.keptDigest('sha256', address, length, () => {
      const h = createHash('sha256');
      this.forEachSpan(address, length, (sector, offset, _pos, n) => {
        const src = this.sectors[sector]!;
        h.update(offset === 0 && n === src.length ? src : src.subarray(offset, offset + n));
      });
      return h.digest();
    });
  }

  /**
   * A digest of a range, kept when every sector of the range is shared with a snapshot: such a
   * sector buffer is never written again (the flash copies it first), so the same buffers mean the
   * same bytes. Keyed by the range's first sector buffer; a sector this flash owns is recomputed.
   */
  private keptDigest<T extends Buffer>(kind: string, address: number, length: number, compute: () => T): T {
    const spans: Buffer[] = [];
    let shared = true;
    this.forEachSpan(address, length, (sector) => {
      spans.push(this.sectors[sector]!);
      if (this.owned[sector]) shared = false;
    });
    const key = `${kind}:${address}+${length}`;
    let list = shared ? rangeDigests.get(spans[0]!) : undefined;
    const known = list?.find((d) => d.key === key && d.spans.length === spans.length && d.spans.every((b, i) => b === spans[i]));
    if (known) return known.digest as T;
    const digest = (this.digestOfSameBytes(key, address) as T | undefined) ?? this.remember(key, address, length, compute());
    if (!shared) return digest;
    if (!list) rangeDigests.set(spans[0]!, (list = []));
    if (list.length >= MAX_DIGESTS_PER_SECTOR) list.shift();
    list.push({ key, spans, digest });
    return digest;
  }

  /**
   * The digest of a range whose bytes equal those of the same range digested before (a copy of
   * them is kept): a recovery that finishes the same swap writes the same image into fresh
   * sectors, and a memcmp costs a fraction of the image's SHA-256.
   */
  private digestOfSameBytes(key: string, address: number): Buffer | undefined {
    return contentDigests.get(key)?.find((e) => this.holds(address, e.bytes))?.digest;
  }

  private remember<T extends Buffer>(key: string, address: number, length: number, digest: T): T {
    let entries = contentDigests.get(key);
    if (!entries) {
      if (contentDigests.size >= MAX_CONTENT_RANGES) contentDigests.clear();
      contentDigests.set(key, (entries = []));
    }
    if (entries.length >= MAX_CONTENTS_PER_RANGE) entries.shift();
    entries.push({ bytes: this.read(address, length), digest });
    return digest;
  }

  /** True when the flash at `address` holds exactly `bytes`. */
  private holds(address: number, bytes: Buffer): boolean {
    let same = true;
    this.forEachSpan(address, bytes.length, (sector, offset, pos, n) => {
      if (same && !this.sectors[sector]!.subarray(offset, offset + n).equals(bytes.subarray(pos, pos + n))) same = false;
    });
    return same;
  }

  /**
   * The bytes at `address` without a copy when they lie in one sector (a copy otherwise): valid
   * only until the flash is next written, for a caller that uses them at once (a copy loop
   * handing them to program(), which takes its own copy).
   */
  peek(address: number, length: number): Buffer {
    this.checkRange(address, length);
    this.noteRead(address, length);
    const s = this.geometry.sectorSize;
    const off = address - this.geometry.base;
    const offset = off % s;
    if (offset + length > s) return this.read(address, length);
    return this.sectors[(off - offset) / s]!.subarray(offset, offset + length);
  }

  readU32(address: number): number {
    return this.read(address, 4).readUInt32LE(0);
  }

  /** True when every byte of the range is erased. */
  isErased(address: number, length: number): boolean {
    this.noteRead(address, length);
    let erased = true;
    this.forEachSpan(address, length, (sector, offset, _pos, n) => {
      if (!erased) return;
      const buf = this.sectors[sector]!;
      if (buf === this.erasedSector) return;
      for (let i = offset; i < offset + n; i++) {
        if (buf[i] !== this.geometry.erasedValue) {
          erased = false;
          return;
        }
      }
    });
    return erased;
  }

  /**
   * Offset from `address` of the last byte in the range that is not erased, or -1: a log's scan
   * for its end (the radio app's at each start) without a call per record.
   */
  lastWritten(address: number, length: number): number {
    this.checkRange(address, length);
    this.noteRead(address, length);
    const s = this.geometry.sectorSize;
    const erased = this.geometry.erasedValue;
    const start = address - this.geometry.base;
    for (let end = start + length; end > start;) {
      const sector = Math.floor((end - 1) / s);
      const from = Math.max(start, sector * s);
      const buf = this.sectors[sector]!;
      if (buf !== this.erasedSector) {
        for (let i = end - 1; i >= from; i--) if (buf[i - sector * s] !== erased) return i - start;
      }
      end = from;
    }
    return -1;
  }

  /** Starts programming up to one page (or row). */
  program(address: number, data: Uint8Array): FlashOp {
    return this.programOp(address, data, true);
  }

  /**
   * A program op that is not a new operation (no count, no marker edge): what lands of an op
   * already issued when a shared bus altered its bytes on the way (src/twin/spi-bus/).
   */
  programUncounted(address: number, data: Uint8Array): FlashOp {
    return this.programOp(address, data, false);
  }

  /**
   * A program of `length` bytes at `address` issued (counted, its marker edge sent) without the op
   * itself: a shared bus counts the op its master issued, then lands what the wire delivered
   * (programUncounted). Checked as program() checks it.
   */
  countProgram(address: number, length: number): void {
    this.checkProgram(address, length);
    this.count('program', address, length);
  }

  private checkProgram(address: number, length: number): void {
    const g = this.geometry;
    this.checkRange(address, length);
    const pageStart = address - ((address - g.base) % g.pageSize);
    if (address + length > pageStart + g.pageSize) {
      throw new FlashError(`program of ${length} bytes at 0x${address.toString(16)} crosses a ${g.pageSize}-byte page`);
    }
    const u = this.unit;
    if ((address - g.base) % u || length % u) {
      throw new FlashError(`program of ${length} bytes at 0x${address.toString(16)} on ${g.name}: only whole aligned ${u}-byte words can be written`);
    }
  }

  private programOp(address: number, data: Uint8Array, counted: boolean): FlashOp {
    const g = this.geometry;
    this.checkProgram(address, data.length);
    const u = this.unit;
    const bytes = Buffer.from(data);
    const units = bytes.length / u;
    const ms = g.programMs + (g.programMsPerUnit ?? 0) * units;
    return (counted ? this.op : this.uncountedOp).call(this, 'program', address, bytes.length, ms, {
      complete: () => this.writeUnits(address, bytes),
      torn: (fraction, rng) => {
        // Reference §5.4: the first k units are complete, unit k has a random subset of its 1->0
        // transitions, the rest never started.
        const k = Math.min(units - 1, Math.floor(Math.max(0, fraction) * units));
        if (k > 0) this.writeUnits(address, bytes.subarray(0, k * u));
        const partial = Buffer.alloc(u, 0xff);
        for (let i = 0; i < u; i++) {
          const want = bytes[k * u + i]!;
          let v = 0xff;
          for (let bit = 0; bit < 8; bit++) if (!(want & (1 << bit)) && rng.next() < 0.5) v &= ~(1 << bit);
          partial[i] = v;
        }
        this.writeUnits(address + k * u, partial);
      },
    });
  }

  /** Starts erasing one erase unit (a sector or a block). */
  erase(address: number, length: number): FlashOp {
    const g = this.geometry;
    let ms: number;
    if (g.sectorMap) {
      const span = g.sectorMap.find((sp) => sp.address === address);
      if (!span || span.size !== length) {
        throw new FlashError(`no sector of ${length} bytes at 0x${address.toString(16)} on ${g.name}${span ? ` (the sector there is ${span.size} bytes)` : ''}`);
      }
      ms = span.ms;
    } else {
      const unit = g.eraseUnits.find((u) => u.size === length);
      if (!unit) throw new FlashError(`no erase unit of ${length} bytes on ${g.name}`);
      if ((address - g.base) % length) throw new FlashError(`erase at 0x${address.toString(16)} is not aligned to ${length}`);
      ms = unit.ms;
    }
    this.checkRange(address, length);
    return this.op('erase', address, length, ms, {
      complete: () => {
        this.fillErased(address, length);
        this.forgetWrites(address, length);
      },
      torn: (fraction, rng) => {
        // An interrupted erase leaves the unit indeterminate: some bits already back at 1.
        // In place, sector by sector, in address order (the draws' order); a span still the shared
        // erased buffer has nothing to tear and draws nothing.
        const p = Math.min(1, Math.max(0, fraction));
        this.forEachSpan(address, length, (sector, offset, _pos, n) => {
          if (this.sectors[sector] === this.erasedSector && this.geometry.erasedValue === 0xff) return;
          const buf = this.own(sector);
          for (let i = offset; i < offset + n; i++) {
            const v = buf[i]!;
            if (v !== 0xff) buf[i] = v | rng.byteMask(p);
          }
        });
        this.forgetWrites(address, length);
      },
    });
  }

  /** The erase unit that holds `address` (a sector-map entry, or the smallest uniform unit). */
  sectorAt(address: number): { address: number; size: number } {
    const g = this.geometry;
    this.checkRange(address, 1);
    if (g.sectorMap) {
      const span = g.sectorMap.find((sp) => address >= sp.address && address < sp.address + sp.size);
      if (!span) throw new FlashError(`0x${address.toString(16)} is in no sector of ${g.name}`);
      return { address: span.address, size: span.size };
    }
    const size = Math.min(...g.eraseUnits.map((u) => u.size));
    return { address: address - ((address - g.base) % size), size };
  }

  /** Writes bytes as they are, with no timing and no NOR rule: a factory programmer or a probe's mass write. */
  writeRaw(address: number, data: Uint8Array): void {
    this.checkRange(address, data.length);
    this.forEachSpan(address, data.length, (sector, offset, pos, n) => {
      this.own(sector).set(data.subarray(pos, pos + n), offset);
    });
  }

  /** Erases everything at once (a probe's mass erase). */
  eraseAll(): void {
    this.changes++;
    if (this.reads) for (let i = 0; i < this.sectors.length; i++) this.reads.erased(i);
    this.sectors.fill(this.erasedSector);
    this.owned.fill(false);
    this.writes.fill(undefined);
  }

  /**
   * A number that changes whenever the stored state does (a sector's bytes or write counts, a
   * restore): equal versions, the same snapshot. An op recorder skips its snapshot when it has not
   * changed since its last (a product's is 1,536 sectors, taken before and after every op).
   */
  get version(): number {
    return this.changes;
  }

  snapshot(): FlashSnapshot {
    this.owned.fill(false);
    return { sectors: this.sectors.slice(), writes: this.writes.slice() };
  }

  /**
   * As snapshot(), written into a larger snapshot's arrays from index `at`: a FlashSet takes its
   * parts' snapshots into one pair of arrays (a product's is 1,536 sectors, taken several times per
   * sweep point).
   */
  snapshotInto(sectors: Buffer[], writes: (Uint8Array | undefined)[], at: number): void {
    this.owned.fill(false);
    for (let i = 0; i < this.sectors.length; i++) {
      sectors[at + i] = this.sectors[i]!;
      writes[at + i] = this.writes[i];
    }
  }

  restore(snapshot: FlashSnapshot): void {
    if (snapshot.sectors.length !== this.sectors.length) throw new FlashError('snapshot is from another flash geometry');
    this.restoreFrom(snapshot, 0);
  }

  /** As restore(), from a larger snapshot's arrays at index `at` (a FlashSet's, see snapshotInto). */
  restoreFrom(snapshot: FlashSnapshot, at: number): void {
    const n = this.sectors.length;
    if (at + n > snapshot.sectors.length) throw new FlashError('snapshot is from another flash geometry');
    this.changes++;
    if (this.reads) this.reads.restored = true;
    // Into this flash's own arrays (a snapshot never shares them): a sweep restores a state per point.
    const writes = snapshot.writes;
    for (let i = 0; i < n; i++) {
      this.sectors[i] = snapshot.sectors[at + i]!;
      this.writes[i] = writes ? writes[at + i] : undefined;
    }
    this.owned.fill(false);
  }

  /** Programs whole write units (1->0 only), counting writes where the part limits them. */
  private writeUnits(address: number, data: Uint8Array): void {
    const max = this.geometry.maxWritesPerUnit;
    if (max === undefined) return this.andInto(address, data);
    const u = this.unit;
    const s = this.geometry.sectorSize;
    // Sector by sector, unit by unit, in place: a 4 KiB row is a thousand words, and a sweep
    // programs millions of them.
    let pos = 0;
    while (pos < data.length) {
      const first = address + pos - this.geometry.base;
      const sector = Math.floor(first / s);
      const buf = this.own(sector);
      let counts = this.writes[sector];
      if (!counts) this.writes[sector] = counts = slabBytes(s / u);
      const end = Math.min(data.length, pos + (s - (first % s)));
      // Counts first: within spec (the common case) the span is one bulk AND.
      const o0 = first % s;
      const firstUnit = o0 / u;
      if (!countWrites(counts, firstUnit, firstUnit + (end - pos) / u, max)) {
        andBytes(buf, o0, data, pos, end - pos);
        pos = end;
        continue;
      }
      for (; pos < end; pos += u) {
        const off = address + pos - this.geometry.base;
        const o = off % s;
        const n = counts[o / u]!;
        if (n > max) {
          // Out of spec (nWRITE exceeded): the cells are over-stressed; model it as bits of the
          // unit cleared that nobody asked for, deterministically per address and write.
          this.overWrites++;
          let h = (Math.imul(off ^ 0x9e3779b9, 0x85ebca6b) ^ n) >>> 0;
          for (let i = 0; i < u; i++) {
            h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
            buf[o + i]! &= data[pos + i]! & ~(1 << (h & 7)) & 0xff;
          }
        } else {
          for (let i = 0; i < u; i++) buf[o + i]! &= data[pos + i]!;
        }
      }
    }
  }

  private forgetWrites(address: number, length: number): void {
    if (this.geometry.maxWritesPerUnit === undefined) return;
    const s = this.geometry.sectorSize;
    const first = Math.floor((address - this.geometry.base) / s);
    this.changes++;
    for (let i = first; i < first + length / s; i++) this.writes[i] = undefined;
  }

  private op(kind: FlashOpKind, address: number, length: number, durationMs: number, effects: { complete(): void; torn(fraction: number, rng: Rng): void }): FlashOp {
    this.count(kind, address, length);
    return this.uncountedOp(kind, address, length, durationMs, effects);
  }

  private count(kind: FlashOpKind, address: number, length: number): void {
    const index = this.opCount++;
    this.onOp?.({ kind, address, length, index });
  }

  private uncountedOp(kind: FlashOpKind, address: number, length: number, durationMs: number, effects: { complete(): void; torn(fraction: number, rng: Rng): void }): FlashOp {
    let done = false;
    const once = () => {
      if (done) throw new FlashError(`${kind} at 0x${address.toString(16)} finished twice`);
      done = true;
    };
    return {
      kind,
      address,
      length,
      durationMs,
      complete: () => {
        once();
        effects.complete();
      },
      interrupt: (mode, fraction, rng) => {
        once();
        const applied = mode === 'random' ? rng.pick(['skip', 'complete', 'torn'] as const) : mode;
        if (applied === 'complete') effects.complete();
        else if (applied === 'torn') effects.torn(fraction, rng);
        return applied;
      },
      again: () => this.uncountedOp(kind, address, length, durationMs, effects),
    };
  }

  private andInto(address: number, data: Uint8Array): void {
    this.forEachSpan(address, data.length, (sector, offset, pos, n) => andBytes(this.own(sector), offset, data, pos, n));
  }

  private fillErased(address: number, length: number): void {
    const g = this.geometry;
    this.forEachSpan(address, length, (sector, offset, _pos, n) => {
      if (offset === 0 && n === g.sectorSize) {
        this.changes++;
        this.reads?.erased(sector);
        this.sectors[sector] = this.erasedSector;
        this.owned[sector] = false;
      } else {
        this.own(sector).fill(g.erasedValue, offset, offset + n);
      }
    });
  }

  /** The sector's buffer, this flash's own (copied from a snapshot's first), for a write about to change it. */
  private own(sector: number): Buffer {
    this.changes++;
    this.reads?.changed(sector);
    if (!this.owned[sector]) {
      this.sectors[sector] = slabCopy(this.sectors[sector]!);
      const w = this.writes[sector];
      if (w) this.writes[sector] = slabCopy(w);
      this.owned[sector] = true;
    }
    return this.sectors[sector]!;
  }

  /** Tells a watching run memo that the firmware read these bytes. */
  private noteRead(address: number, length: number): void {
    if (!this.reads || length <= 0) return;
    const s = this.geometry.sectorSize;
    const off = address - this.geometry.base;
    this.reads.read(Math.floor(off / s), Math.floor((off + length - 1) / s));
  }

  private checkRange(address: number, length: number): void {
    const g = this.geometry;
    if (address < g.base || address + length > g.base + g.size || length < 0) {
      throw new FlashError(`0x${address.toString(16)}+${length} is outside ${g.name} (0x${g.base.toString(16)}..0x${(g.base + g.size).toString(16)})`);
    }
  }

  private forEachSpan(address: number, length: number, fn: (sector: number, offset: number, pos: number, n: number) => void): void {
    this.checkRange(address, length);
    const s = this.geometry.sectorSize;
    let off = address - this.geometry.base;
    let pos = 0;
    while (pos < length) {
      const sector = Math.floor(off / s);
      const offset = off % s;
      const n = Math.min(s - offset, length - pos);
      fn(sector, offset, pos, n);
      pos += n;
      off += n;
    }
  }
}

/**
 * Sector copies and write counts are carved from shared slabs rather than allocated one by one: a
 * sweep's recoveries copy a sector on its first write after each restore (tens of thousands of
 * copies), and a 4 KiB ArrayBuffer of its own costs several microseconds (an off-heap allocation,
 * counted as external memory, which brings the garbage collector round sooner); a view on a slab
 * costs a tenth of that. A slab lives while any view on it does; views handed out together are
 * mostly dropped together (one recovery's sectors), so little is held past its use.
 */
const SLAB_BYTES = 128 * 1024;
let slab = new ArrayBuffer(0);
let slabUsed = 0;

/** `n` zeroed bytes: a view on a slab, or a buffer of its own when large. */
function slabBytes(n: number): Buffer {
  if (n > SLAB_BYTES / 8) return Buffer.alloc(n);
  if (slabUsed + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  // Word-aligned views: the bulk AND and the write counts go four bytes at a time.
  const view = Buffer.from(slab, slabUsed, n);
  slabUsed += (n + 7) & ~7;
  return view;
}

/** A copy of `src` from a slab (see slabBytes). */
function slabCopy(src: Uint8Array): Buffer {
  const copy = slabBytes(src.length);
  copy.set(src);
  return copy;
}

/** Range digests by the range's bytes (keyed by kind and range), for ranges written afresh. */
const contentDigests = new Map<string, { bytes: Buffer; digest: Buffer }[]>();
const MAX_CONTENT_RANGES = 64;
const MAX_CONTENTS_PER_RANGE = 4;

/** CRC-32 of whole sector buffers shared with a snapshot (immutable from then on). */
const sectorCrcs = new WeakMap<Buffer, number>();

/** Range digests over snapshot-shared sectors, by the range's first sector buffer. */
const rangeDigests = new WeakMap<Buffer, { key: string; spans: Buffer[]; digest: Buffer }[]>();
const MAX_DIGESTS_PER_SECTOR = 8;

/**
 * One more write on units [first, last) of a sector's counts (saturating at 255); true when a
 * count now exceeds `max`. Four counts at a time where they are aligned and below 128 (a count
 * that high is a hundred writes out of spec): each byte plus 1 cannot carry, and byte + (127 - max)
 * reaches bit 7 exactly when the byte exceeds max.
 */
function countWrites(counts: Uint8Array, first: number, last: number, max: number): boolean {
  let over = false;
  const one = (i: number) => {
    const c = counts[i]! + 1;
    counts[i] = c > 255 ? 255 : c;
    if (c > max) over = true;
  };
  let i = first;
  if (max <= 0x7f && last - first >= 16) {
    while ((counts.byteOffset + i) & 3) one(i++);
    const n = (last - i) >>> 2;
    const words = new Uint32Array(counts.buffer, counts.byteOffset + i, n);
    const bias = Math.imul(0x7f - max, 0x01010101) >>> 0;
    let high = 0;
    for (let w = 0; w < n; w++) {
      const v = words[w]!;
      if (v & 0x80808080) {
        for (let k = 0; k < 4; k++) one(i + 4 * w + k);
        continue;
      }
      const next = (v + 0x01010101) >>> 0;
      words[w] = next;
      high |= (next + bias) & 0x80808080;
    }
    if (high) over = true;
    i += n << 2;
  }
  while (i < last) one(i++);
  return over;
}

/**
 * dst[at..at+n) &= src[from..from+n): NOR programming clears bits only. Four bytes at a time
 * when both sides are word-aligned (a program is mostly whole words into a sector's own buffer).
 */
function andBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  let i = 0;
  const a = dst.byteOffset + at;
  const b = src.byteOffset + from;
  if (n >= 16 && (a & 3) === 0 && (b & 3) === 0) {
    const words = n >>> 2;
    const d = new Int32Array(dst.buffer, a, words);
    const s = new Int32Array(src.buffer, b, words);
    for (let w = 0; w < words; w++) d[w]! &= s[w]!;
    i = words << 2;
  }
  for (; i < n; i++) dst[at + i]! &= src[from + i]!;
}
