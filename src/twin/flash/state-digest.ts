import { hash } from 'node:crypto';
import type { FlashSnapshot } from './nor-flash.js';

/**
 * sha256 of a device's persistent state (flash sectors plus any other stored bytes a snapshot
 * carries, such as the STM32's option bytes). A snapshot's sector buffers are never written again
 * (the flash copies a sector before its next write), so each buffer's digest is computed once and
 * kept: a sweep that hashes thousands of cut states hashes only the sectors each recovery wrote.
 */
const sectorDigests = new WeakMap<Buffer, Buffer>();

/**
 * Sector contents already hashed, by a cheap fingerprint (16 sampled bytes), to be matched by
 * memcmp: recoveries that finish the same work (a resumed swap) write equal bytes into fresh
 * buffers, and comparing 4 KiB costs a tenth of hashing it. Bounded; a miss is just a hash.
 */
const byContent = new Map<number, { sector: Buffer; digest: Buffer }[]>();
let contentEntries = 0;
const MAX_CONTENT_ENTRIES = 4096;
const MAX_PER_FINGERPRINT = 4;

function fingerprint(sector: Buffer): number {
  const n = sector.length;
  let h = n;
  // 16 spread samples: sectors that differ only in bytes between them share a bucket, and memcmp tells them apart.
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ sector[Math.floor((i * (n - 1)) / 15)]!, 0x01000193) ^ (h >>> 15);
  return h >>> 0;
}

/** One-shot: no Hash object per 4 KiB sector. */
function sha256(data: Buffer): Buffer {
  return hash('sha256', data, 'buffer');
}

function sectorDigest(sector: Buffer): Buffer {
  let d = sectorDigests.get(sector);
  if (d) return d;
  const key = fingerprint(sector);
  let bucket = byContent.get(key);
  const same = bucket?.find((e) => e.sector.length === sector.length && e.sector.equals(sector));
  if (same) d = same.digest;
  else {
    d = sha256(sector);
    if (contentEntries >= MAX_CONTENT_ENTRIES) {
      byContent.clear();
      contentEntries = 0;
      bucket = undefined;
    }
    if (!bucket) byContent.set(key, (bucket = []));
    if (bucket.length >= MAX_PER_FINGERPRINT) bucket.shift();
    else contentEntries++;
    // A copy: the sector may be a view on a slab of the flash's (nor-flash.ts) that this cache
    // would otherwise keep alive whole long after the recovery that wrote it.
    bucket.push({ sector: Buffer.from(sector), digest: d });
  }
  sectorDigests.set(sector, d);
  return d;
}

/**
 * Row `digests` holds, from slot `offset`, the digests of `kept` (the items last seen, by identity:
 * a snapshot's buffers are never written again): the items that are not the kept ones take their
 * place and their digests are written, each slot written told to `changed`.
 */
function refresh<T>(kept: T[], items: readonly T[], digests: Buffer, offset: number, digestOf: (item: T) => Buffer, changed?: (slot: number) => void): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (kept[i] === item) continue;
    kept[i] = item;
    digests.set(digestOf(item), (offset + i) * 32);
    changed?.(offset + i);
  }
}

/**
 * The sector digests of the last state hashed, laid end to end, per snapshot length (a product's
 * flash set and its parts' are hashed alternately): the next state's shares most of its sector
 * buffers, and a buffer's identity is its content, so only the changed entries are looked up.
 */
const lastDigests = new Map<number, { sectors: Buffer[]; digests: Buffer }>();

/** What a snapshot stores beside the flash (option bytes), as name and bytes in a fixed key order. */
function extraBytes(snapshot: FlashSnapshot): Buffer[] {
  const extra: Buffer[] = [];
  for (const key of Object.keys(snapshot).sort()) {
    const v = (snapshot as unknown as Record<string, unknown>)[key];
    if (key !== 'sectors' && key !== 'writes' && Buffer.isBuffer(v)) extra.push(Buffer.from(key), v);
  }
  return extra;
}

export function stateDigest(snapshot: FlashSnapshot): string {
  // The sectors' digests laid end to end and hashed in one call (a sweep hashes a state per point:
  // one update call per sector was most of it), then whatever else the device stores beside the
  // flash (option bytes), in a fixed key order: the same bytes as updating sector by sector.
  const n = snapshot.sectors.length;
  let last = lastDigests.get(n);
  if (!last) lastDigests.set(n, (last = { sectors: new Array<Buffer>(n), digests: Buffer.alloc(n * 32) }));
  const { sectors, digests } = last;
  refresh(sectors, snapshot.sectors, digests, 0, sectorDigest);
  const extra = extraBytes(snapshot);
  return hash('sha256', extra.length ? Buffer.concat([digests, ...extra]) : digests, 'hex');
}

/**
 * True when two snapshots hold the same state. Sufficient, not necessary: the flash replaces a
 * sector's buffer whenever it writes it, so equal buffer identities mean equal content.
 */
export function sameState(a: FlashSnapshot, b: FlashSnapshot): boolean {
  if (a === b) return true;
  if (a.sectors.length !== b.sectors.length) return false;
  for (let i = 0; i < a.sectors.length; i++) if (a.sectors[i] !== b.sectors[i]) return false;
  const wa = a.writes ?? [];
  const wb = b.writes ?? [];
  if (wa.length !== wb.length) return false;
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
  return sameExtras(a, b);
}

/** True when two snapshots store the same beside the flash (option bytes). */
export function sameExtras(a: FlashSnapshot, b: FlashSnapshot): boolean {
  const extra = (s: FlashSnapshot) => Object.keys(s).filter((k) => k !== 'sectors' && k !== 'writes');
  for (const key of new Set([...extra(a), ...extra(b)])) {
    const va = (a as unknown as Record<string, unknown>)[key];
    const vb = (b as unknown as Record<string, unknown>)[key];
    if (!(Buffer.isBuffer(va) && Buffer.isBuffer(vb) && va.equals(vb))) return false;
  }
  return true;
}

/** sha256 of a write-count array, kept per array (shared with snapshots, as sectors are). */
const writesDigests = new WeakMap<Uint8Array, Buffer>();
const NO_WRITES = Buffer.alloc(32);

function writesDigest(counts: Uint8Array | undefined): Buffer {
  if (!counts) return NO_WRITES;
  let d = writesDigests.get(counts);
  if (!d) writesDigests.set(counts, (d = hash('sha256', counts, 'buffer')));
  return d;
}

/** Digests per block of a key's two levels: a product's 3,072 slots in 48 blocks. */
const KEY_BLOCK = 64;

/**
 * Keys of one flash's states: the whole stored state a firmware's next flash ops depend on, the
 * sectors and the per-unit write counts too (a part that limits writes per unit clears extra bits
 * past the limit). Equal keys: the same ops from here give the same flash. Flash snapshots only (their
 * buffers are never written again); the digests of the last one are kept by buffer, so a key costs
 * the sectors written since, not the whole flash: in two levels (a digest per block of KEY_BLOCK
 * sector digests, then one over the blocks'), only the blocks with a changed sector are hashed again.
 * Keys of this process only (not stateDigest's value): they name states in memos, never in results.
 */
export class StateKeys {
  private sectors: readonly Buffer[] = [];
  private writes: readonly (Uint8Array | undefined)[] = [];
  private digests = Buffer.alloc(0);
  private blocks = Buffer.alloc(0);
  private dirty: boolean[] = [];

  of(snapshot: FlashSnapshot): string {
    const sectors = snapshot.sectors;
    const writes = snapshot.writes ?? [];
    const n = sectors.length;
    if (this.sectors.length !== n || this.writes.length !== writes.length) {
      this.sectors = new Array<Buffer>(n);
      this.writes = new Array<Uint8Array | undefined>(writes.length).fill(undefined);
      this.digests = Buffer.alloc((n + writes.length) * 32);
      const nBlocks = Math.ceil((n + writes.length) / KEY_BLOCK);
      this.blocks = Buffer.alloc(nBlocks * 32);
      this.dirty = new Array<boolean>(nBlocks).fill(true);
    }
    const dirty = this.dirty;
    const changed = (slot: number) => {
      dirty[(slot / KEY_BLOCK) | 0] = true;
    };
    refresh(this.sectors as Buffer[], sectors, this.digests, 0, sectorDigest, changed);
    // A slot starts as zeros, NO_WRITES's digest: right for a sector with no counts.
    refresh(this.writes as (Uint8Array | undefined)[], writes, this.digests, n, writesDigest, changed);
    const span = KEY_BLOCK * 32;
    for (let b = 0; b < dirty.length; b++) {
      if (!dirty[b]) continue;
      dirty[b] = false;
      this.blocks.set(hash('sha256', this.digests.subarray(b * span, Math.min(this.digests.length, (b + 1) * span)), 'buffer'), b * 32);
    }
    return hash('sha256', this.blocks, 'hex');
  }
}

/**
 * The sector digests (and write-count digests) of a state laid out by sector index, kept from one
 * state to the next by buffer identity (a snapshot's buffers are never written again): a run memo
 * (./run-memo.ts) keys part of a state, over and over, at every sweep point.
 */
export class DigestRows {
  private sectors: Buffer[] = [];
  private writes: (Uint8Array | undefined)[] = [];
  private sectorRow = Buffer.alloc(0);
  private writesRow = Buffer.alloc(0);
  private words = new Int32Array(0);
  private writeWords = new Int32Array(0);
  /** The state described: a row is brought up to date when a fingerprint reads it. */
  private state?: FlashSnapshot;

  /**
   * Takes `snapshot` as the state the rows describe (its arrays must stay as they are while the
   * rows are read). Rows are digested when read, not here: a Loader's run reads a few of its
   * 16 KiB sectors, and digesting every sector a recovery rewrote was a tenth of its sweep.
   */
  of(snapshot: FlashSnapshot): this {
    const n = snapshot.sectors.length;
    if (this.sectors.length !== n) {
      this.sectors = new Array<Buffer>(n);
      this.writes = new Array<Uint8Array | undefined>(n).fill(undefined);
      // Rows of their own (Buffer.alloc never pools): word views start aligned.
      this.sectorRow = Buffer.alloc(n * 32);
      this.writesRow = Buffer.alloc(n * 32);
      this.words = new Int32Array(this.sectorRow.buffer, this.sectorRow.byteOffset, n * 8);
      this.writeWords = new Int32Array(this.writesRow.buffer, this.writesRow.byteOffset, n * 8);
    }
    this.state = snapshot;
    return this;
  }

  /** Brings sector `k`'s rows up to date with the state (by identity: a snapshot's buffers are never written again). */
  private at(k: number): void {
    const state = this.state!;
    const sector = state.sectors[k]!;
    if (this.sectors[k] !== sector) {
      this.sectors[k] = sector;
      this.sectorRow.set(sectorDigest(sector), k * 32);
    }
    // A slot starts as zeros, NO_WRITES's digest: right for a sector with no counts.
    const counts = state.writes?.[k];
    if (this.writes[k] !== counts) {
      this.writes[k] = counts;
      this.writesRow.set(writesDigest(counts), k * 32);
    }
  }

  /**
   * A 64-bit fingerprint of the sectors at `indices`, from their digests' first words: a first look
   * that costs a few operations per sector; `sameAt` tells states apart for certain.
   */
  fingerprint(indices: Int32Array): string {
    const w = this.words;
    const c = this.writeWords;
    let a = 0x811c9dc5;
    let b = 0x01000193;
    for (let i = 0; i < indices.length; i++) {
      this.at(indices[i]!);
      const k = indices[i]! * 8;
      a = Math.imul(a ^ w[k]!, 0x9e3779b1) ^ c[k]!;
      a = (a << 13) | (a >>> 19);
      b = Math.imul(b ^ w[k + 1]!, 0x85ebca77) + indices[i]!;
      b = (b << 17) | (b >>> 15);
    }
    return `${a >>> 0}.${b >>> 0}`;
  }
}

/**
 * True when `state` holds at `indices` the same bytes and write counts as `kept` (its sectors and
 * counts at those indices, in that order) and the same beside the flash as `extras`. By identity
 * first (a snapshot's buffers are never written again), by digest where the buffers differ.
 */
export function sameAt(state: FlashSnapshot, indices: Int32Array, kept: { sectors: readonly Buffer[]; writes: readonly (Uint8Array | undefined)[] }, extras: FlashSnapshot): boolean {
  const writes = state.writes ?? [];
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    const a = state.sectors[k]!;
    const b = kept.sectors[i]!;
    if (a !== b && !sectorDigest(a).equals(sectorDigest(b))) return false;
    const wa = writes[k];
    const wb = kept.writes[i];
    if (wa !== wb && !writesDigest(wa).equals(writesDigest(wb))) return false;
  }
  return sameExtras(state, extras);
}
