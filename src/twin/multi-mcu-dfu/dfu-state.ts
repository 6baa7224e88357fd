/**
 * The host app's persisted download/update record: the host's `dfu-state` partition (two 4 KiB
 * NVMC pages at 0xF_8000). `hil inspect` reads it independently (src/schemes/multi-mcu-dfu/).
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0x00 | 4  | magic, ASCII `HDFU` |
 * | 0x04 | 4  | layout version, u32 LE = 1 |
 * | 0x08 | 8  | pkg8: the first 8 hex digits of the update tar's sha256, ASCII |
 * | 0x10 | 4  | host image size, u32 LE |
 * | 0x14 | 4  | radio image size, u32 LE |
 * | 0x18 | 32 | host image sha256 |
 * | 0x38 | 32 | radio image sha256 |
 * | 0x58 | 4  | IEEE CRC-32 (zlib) of bytes 0x00-0x57, u32 LE |
 * | 0x80 .. 0x2000 | 8 each | the entry log (page 0 then page 1), appended in order |
 *
 * An entry: byte 0 kind, byte 1 argument, bytes 2-3 check (u16 LE: the low half of the CRC-32 of
 * bytes 0-1 and 4-7), bytes 4-7 value (u32 LE). All 0xFF: free (the log ends at the first free
 * slot after the last used one). A torn entry fails its check and is skipped, and the next entry
 * goes after it. Kinds:
 * - `P` member (0 host, 1 radio), value = bytes of that member's image written and settled in the
 *   shared NOR (a multiple of 4 KiB, or the size): a download resumes there;
 * - `V` member, value = the member's new version as ih_ver (major | minor << 8 | revision << 16),
 *   written once its image has passed the read-back check;
 * - `S` stage (the value is unused): 1 verified, 2 radio done, 3 host applying, 4 done, 5 failed;
 * - `A` member: one attempt to apply that member's image (a signal, or the host's own pending mark);
 * - `R` member: the member's image failed its read-back check once and is downloaded again from 0.
 * An erased header (or a bad CRC) means no update: the host is idle. The pages are erased at each
 * `fota begin` (no ping-pong: one record at a time).
 */
import { crc32 } from 'node:zlib';
import { HOST_DFU_STATE_ADDRESS, HOST_PARTITIONS } from '../../targets/nrf91-nrf52-product.js';
import type { AppendLog } from '../append-log.js';
import type { NorFlash } from '../flash/nor-flash.js';
import type { Mcu } from '../mcu.js';

export const DFU_STATE_BASE = HOST_DFU_STATE_ADDRESS;
export const DFU_STATE_SIZE = HOST_PARTITIONS.dfuState.size;
const PAGE = 4096;
const HEADER_SIZE = 0x5c;
const LOG_START = 0x80;
const ENTRY = 8;
const MAGIC = 'HDFU';

export const MEMBERS = ['host', 'radio'] as const;
export type Member = (typeof MEMBERS)[number];

export const Stage = { DOWNLOADING: 0, VERIFIED: 1, RADIO_DONE: 2, HOST_APPLYING: 3, DONE: 4, FAILED: 5 } as const;
export type StageNumber = (typeof Stage)[keyof typeof Stage];

export interface MemberTarget {
  size: number;
  sha256: Buffer;
}

export interface DfuRecord {
  pkg8: string;
  images: Record<Member, MemberTarget>;
  /** Bytes of each image written and settled. */
  progress: Record<Member, number>;
  /** Each image's version (ih_ver packed), once checked. */
  version: Partial<Record<Member, number>>;
  stage: StageNumber;
  attempts: Record<Member, number>;
  redownloads: Record<Member, number>;
  /** Where the next entry goes (an address), or undefined when the log is full. */
  next?: number;
}

export function encodeHeader(pkg8: string, images: Record<Member, MemberTarget>): Buffer {
  const b = Buffer.alloc(HEADER_SIZE, 0);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt32LE(1, 4);
  b.write(pkg8.padEnd(8, '0').slice(0, 8), 8, 'latin1');
  b.writeUInt32LE(images.host.size, 0x10);
  b.writeUInt32LE(images.radio.size, 0x14);
  images.host.sha256.copy(b, 0x18);
  images.radio.sha256.copy(b, 0x38);
  b.writeUInt32LE(crc32(b.subarray(0, 0x58)) >>> 0, 0x58);
  return b;
}

/** The six checked bytes of an entry, gathered for crc32 (one buffer reused: the host reads its record after every append). */
const checked = Buffer.alloc(6);

/** The check of the entry at `at` in `b`. */
function entryCheck(b: Buffer, at = 0): number {
  checked[0] = b[at]!;
  checked[1] = b[at + 1]!;
  b.copy(checked, 2, at + 4, at + 8);
  return crc32(checked) & 0xffff;
}

export type EntryKind = 'P' | 'V' | 'S' | 'A' | 'R';

export function encodeEntry(kind: EntryKind, arg: number, value: number): Buffer {
  const e = Buffer.alloc(ENTRY);
  e[0] = kind.charCodeAt(0);
  e[1] = arg;
  e.writeUInt32LE(value >>> 0, 4);
  e.writeUInt16LE(entryCheck(e), 2);
  return e;
}

/** The record as the two pages hold it (`pages`: DFU_STATE_SIZE bytes), or undefined when there is none. */
export function decodeRecord(pages: Buffer): DfuRecord | undefined {
  const h = pages.subarray(0, HEADER_SIZE);
  if (h.toString('latin1', 0, 4) !== MAGIC || h.readUInt32LE(0x58) !== crc32(h.subarray(0, 0x58)) >>> 0) return undefined;
  const rec: DfuRecord = {
    pkg8: h.toString('latin1', 8, 16),
    images: {
      host: { size: h.readUInt32LE(0x10), sha256: Buffer.from(h.subarray(0x18, 0x38)) },
      radio: { size: h.readUInt32LE(0x14), sha256: Buffer.from(h.subarray(0x38, 0x58)) },
    },
    progress: { host: 0, radio: 0 },
    version: {},
    stage: Stage.DOWNLOADING,
    attempts: { host: 0, radio: 0 },
    redownloads: { host: 0, radio: 0 },
  };
  let lastUsed = LOG_START - ENTRY;
  for (let at = LOG_START; at + ENTRY <= pages.length; at += ENTRY) {
    if (pages.readUInt32LE(at) === 0xffffffff && pages.readUInt32LE(at + 4) === 0xffffffff) continue;
    lastUsed = at;
    if (pages.readUInt16LE(at + 2) !== entryCheck(pages, at)) continue;
    const kind = String.fromCharCode(pages[at]!);
    const arg = pages[at + 1]!;
    const value = pages.readUInt32LE(at + 4);
    const member = MEMBERS[arg];
    if (kind === 'S' && arg <= Stage.FAILED) rec.stage = arg as StageNumber;
    else if (!member) continue;
    else if (kind === 'P') rec.progress[member] = value;
    else if (kind === 'V') rec.version[member] = value;
    else if (kind === 'A') rec.attempts[member]++;
    else if (kind === 'R') rec.redownloads[member]++;
  }
  const next = lastUsed + ENTRY;
  if (next + ENTRY <= pages.length) rec.next = DFU_STATE_BASE + next;
  return rec;
}

/** Offset in the pages of the first free entry after the last used one (where the next entry goes: decodeRecord's `next`). */
function logEnd(pages: Buffer): number {
  let end = LOG_START;
  for (let at = LOG_START; at + ENTRY <= pages.length; at += ENTRY) {
    if (pages.readUInt32LE(at) !== 0xffffffff || pages.readUInt32LE(at + 4) !== 0xffffffff) end = at + ENTRY;
  }
  return end;
}

/**
 * The record's entry log as a board's tail memo keys around it (../append-log.ts): the host appends
 * an entry at each step of an update and reads the record back as it decodes it, a torn entry skipped
 * and the next one after it. Two states whose records decode the same (header and entries) and whose
 * entry logs end at different places (a torn entry in one) lead the host to do the same, its later
 * entries appended at each one's end. The meaning is the decoded record without its `next`.
 */
export function dfuStateLog(flash: NorFlash): AppendLog {
  let cached: { version: number; at: number; meaning: string } | undefined;
  const look = () => {
    if (cached?.version !== flash.version) {
      const pages = flash.readInto(DFU_STATE_BASE, pagesBuffer);
      const rec = decodeRecord(pages);
      cached = { version: flash.version, at: logEnd(pages), meaning: rec ? recordMeaning(rec) : 'no record' };
    }
    return cached;
  };
  return { base: DFU_STATE_BASE, size: DFU_STATE_SIZE, align: ENTRY, next: () => look().at, meaning: () => look().meaning };
}

/** A decoded record as text, all but where its next entry goes. */
function recordMeaning(rec: DfuRecord): string {
  const { next: _next, images, ...rest } = rec;
  const image = (m: Member) => `${images[m].size}:${images[m].sha256.toString('hex')}`;
  return `record ${image('host')} ${image('radio')} ${JSON.stringify(rest)}`;
}

/** Where DfuState reads the pages into: the record keeps copies of what it takes from them, and a sweep's recoveries read it thousands of times. */
const pagesBuffer = Buffer.alloc(DFU_STATE_SIZE);

/** The host's view of its record, written through its own NVMC (every write a flash op a cut can tear). */
export class DfuState {
  constructor(private readonly mcu: Mcu) {}

  read(): DfuRecord | undefined {
    return decodeRecord(this.mcu.flash.readInto(DFU_STATE_BASE, pagesBuffer));
  }

  /** A new record: both pages erased, then the header (a cut before it ends leaves none). */
  async begin(pkg8: string, images: Record<Member, MemberTarget>): Promise<DfuRecord> {
    await this.erase();
    await this.mcu.flashOp(this.mcu.flash.program(DFU_STATE_BASE, encodeHeader(pkg8, images)));
    return this.read()!;
  }

  async erase(): Promise<void> {
    for (let at = DFU_STATE_BASE; at < DFU_STATE_BASE + DFU_STATE_SIZE; at += PAGE) {
      if (!this.mcu.flash.isErased(at, PAGE)) await this.mcu.flashOp(this.mcu.flash.erase(at, PAGE));
    }
  }

  /** Appends one entry; returns the record as it now reads. A full log is a bug of this model (a few dozen entries per update). */
  async append(kind: EntryKind, arg: number, value = 0): Promise<DfuRecord> {
    const rec = this.read();
    if (!rec?.next) throw new Error('dfu-state: no record, or its log is full');
    await this.mcu.flashOp(this.mcu.flash.program(rec.next, encodeEntry(kind, arg, value)));
    return this.read()!;
  }
}

/** ih_ver's major.minor.revision packed as the `V` entries hold it. */
export function packVersion(v: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) return undefined;
  return (Number(m[1]) & 0xff) | ((Number(m[2]) & 0xff) << 8) | ((Number(m[3]) & 0xffff) << 16);
}

export function unpackVersion(n: number): string {
  return `${n & 0xff}.${(n >>> 8) & 0xff}.${n >>> 16}`;
}
