import type { FlashGeometry } from './geometry.js';
import type { PowerLossMode } from './power-loss.js';
import type { Rng } from '../rng.js';

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
}

export interface FlashSnapshot {
  readonly sectors: readonly Buffer[];
}

export class FlashError extends Error {}

/**
 * NOR flash: erase sets whole units to 0xFF, programming can only clear bits (new = old & data).
 * Storage is one Buffer per sector, shared copy-on-write with snapshots, so a sweep can restore
 * a baseline for every cut point without copying megabytes.
 */
export class NorFlash {
  private sectors: Buffer[];
  /** owned[i]: sectors[i] belongs to this flash alone and may be written in place. */
  private owned: boolean[];
  private readonly erasedSector: Buffer;
  /** Operations started so far: the twin's marker pin toggles on each. */
  opCount = 0;
  onOp?: (op: { kind: FlashOpKind; address: number; length: number; index: number }) => void;

  constructor(readonly geometry: FlashGeometry) {
    if (geometry.size % geometry.sectorSize) throw new RangeError('flash size must be a multiple of the sector size');
    this.erasedSector = Buffer.alloc(geometry.sectorSize, geometry.erasedValue);
    const n = geometry.size / geometry.sectorSize;
    this.sectors = new Array<Buffer>(n).fill(this.erasedSector);
    this.owned = new Array<boolean>(n).fill(false);
  }

  get base(): number {
    return this.geometry.base;
  }

  /** Copy of `length` bytes at `address`. */
  read(address: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    this.forEachSpan(address, length, (sector, offset, pos, n) => {
      this.sectors[sector]!.copy(out, pos, offset, offset + n);
    });
    return out;
  }

  readU32(address: number): number {
    return this.read(address, 4).readUInt32LE(0);
  }

  /** True when every byte of the range is erased. */
  isErased(address: number, length: number): boolean {
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

  /** Starts programming up to one page. */
  program(address: number, data: Uint8Array): FlashOp {
    const g = this.geometry;
    this.checkRange(address, data.length);
    const pageStart = address - ((address - g.base) % g.pageSize);
    if (address + data.length > pageStart + g.pageSize) {
      throw new FlashError(`program of ${data.length} bytes at 0x${address.toString(16)} crosses a ${g.pageSize}-byte page`);
    }
    const bytes = Buffer.from(data);
    return this.op('program', address, bytes.length, g.programMs, {
      complete: () => this.andInto(address, bytes),
      torn: (fraction, rng) => {
        // Each bit that should go 1->0 has done so with a probability that grows with time.
        const p = Math.min(1, Math.max(0, fraction));
        const partial = Buffer.alloc(bytes.length, 0xff);
        for (let i = 0; i < bytes.length; i++) {
          let mask = 0xff;
          const clear = ~bytes[i]! & 0xff;
          for (let bit = 0; bit < 8; bit++) if (clear & (1 << bit) && rng.next() < p) mask &= ~(1 << bit);
          partial[i] = mask;
        }
        this.andInto(address, partial);
      },
    });
  }

  /** Starts erasing one erase unit (a sector or a block). */
  erase(address: number, length: number): FlashOp {
    const g = this.geometry;
    const unit = g.eraseUnits.find((u) => u.size === length);
    if (!unit) throw new FlashError(`no erase unit of ${length} bytes on ${g.name}`);
    this.checkRange(address, length);
    if ((address - g.base) % length) throw new FlashError(`erase at 0x${address.toString(16)} is not aligned to ${length}`);
    return this.op('erase', address, length, unit.ms, {
      complete: () => this.fillErased(address, length),
      torn: (fraction, rng) => {
        // An interrupted erase leaves the unit indeterminate: some bits already back at 1.
        const p = Math.min(1, Math.max(0, fraction));
        const cur = this.read(address, length);
        for (let i = 0; i < length; i++) {
          if (cur[i] === 0xff) continue;
          let v = cur[i]!;
          for (let bit = 0; bit < 8; bit++) if (rng.next() < p) v |= 1 << bit;
          cur[i] = v;
        }
        this.writeRaw(address, cur);
      },
    });
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
    this.sectors.fill(this.erasedSector);
    this.owned.fill(false);
  }

  snapshot(): FlashSnapshot {
    this.owned.fill(false);
    return { sectors: this.sectors.slice() };
  }

  restore(snapshot: FlashSnapshot): void {
    if (snapshot.sectors.length !== this.sectors.length) throw new FlashError('snapshot is from another flash geometry');
    this.sectors = snapshot.sectors.slice();
    this.owned.fill(false);
  }

  private op(
    kind: FlashOpKind,
    address: number,
    length: number,
    durationMs: number,
    effects: { complete(): void; torn(fraction: number, rng: Rng): void },
  ): FlashOp {
    const index = this.opCount++;
    this.onOp?.({ kind, address, length, index });
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
    };
  }

  private andInto(address: number, data: Uint8Array): void {
    this.forEachSpan(address, data.length, (sector, offset, pos, n) => {
      const buf = this.own(sector);
      for (let i = 0; i < n; i++) buf[offset + i]! &= data[pos + i]!;
    });
  }

  private fillErased(address: number, length: number): void {
    const g = this.geometry;
    this.forEachSpan(address, length, (sector, offset, _pos, n) => {
      if (offset === 0 && n === g.sectorSize) {
        this.sectors[sector] = this.erasedSector;
        this.owned[sector] = false;
      } else {
        this.own(sector).fill(g.erasedValue, offset, offset + n);
      }
    });
  }

  private own(sector: number): Buffer {
    if (!this.owned[sector]) {
      this.sectors[sector] = Buffer.from(this.sectors[sector]!);
      this.owned[sector] = true;
    }
    return this.sectors[sector]!;
  }

  private checkRange(address: number, length: number): void {
    const g = this.geometry;
    if (address < g.base || address + length > g.base + g.size || length < 0) {
      throw new FlashError(
        `0x${address.toString(16)}+${length} is outside ${g.name} (0x${g.base.toString(16)}..0x${(g.base + g.size).toString(16)})`,
      );
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
