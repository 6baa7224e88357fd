/**
 * The host app's persisted download/update record (dfu-state, 2 pages at 0xF_8000 of the host's
 * flash), read on the host side from its documented layout (the product's host app writes it;
 * this reading shares no code with it):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0x00 | 4  | magic `HDFU` |
 * | 0x04 | 4  | u32 LE layout version, 1 |
 * | 0x08 | 8  | pkg8: the first 8 hex digits of the update tar's sha256, ASCII |
 * | 0x10 | 4  | host member size, u32 LE |
 * | 0x14 | 4  | radio member size, u32 LE |
 * | 0x18 | 32 | host member sha256 |
 * | 0x38 | 32 | radio member sha256 |
 * | 0x58 | 4  | IEEE CRC-32 of 0x00–0x57, u32 LE; a bad CRC or an erased header: no update |
 * | 0x80–0x2000 | | entry log, 8-byte entries appended over both pages |
 *
 * An entry is [kind (ASCII), arg, u16 LE check = CRC-32(bytes 0–1 ++ 4–7) & 0xFFFF, u32 LE value];
 * an all-0xFF entry is free, a bad check is a torn write (skipped). Kinds: `P` bytes of member
 * `arg` (0 host, 1 radio) settled in flash; `V` member's version read back (major | minor << 8 |
 * revision << 16); `S` stage `arg` (1 verified, 2 radio done, 3 host applying, 4 done, 5 failed;
 * no S: downloading); `A` apply attempt of a member; `R` re-download of a member. The last P, V
 * and S win. Pending: a valid header and a stage below done.
 */
import { crc32 } from 'node:zlib';
import { HOST_PARTITIONS } from '../../targets/nrf91-nrf52-product.js';

const MAGIC = 'HDFU';
const LAYOUT_VERSION = 1;
const HEADER_CRC_AT = 0x58;
const LOG_START = 0x80;
const ENTRY = 8;
const MEMBERS = ['host', 'radio'] as const;
const STAGES: Record<number, string> = { 1: 'verified', 2: 'radio-done', 3: 'host-applying', 4: 'done', 5: 'failed' };

export interface DfuMemberRecord {
  size: number;
  sha256: string;
  /** Bytes settled in flash (last P entry), 0 before any. */
  settled: number;
  /** Version read back after the download (last V entry). */
  version?: string;
  applyAttempts: number;
  redownloads: number;
}

export interface DfuStateReading {
  /** Erased, a header that is not valid (no update), or a record. */
  state: 'erased' | 'invalid' | 'record';
  pkg?: string;
  /** downloading, verified, radio-done, host-applying, done, failed. */
  stage?: string;
  members?: Record<(typeof MEMBERS)[number], DfuMemberRecord>;
  /** Entries whose check failed (torn writes). */
  tornEntries?: number;
  /** What an unfinished update the record holds; absent when there is none. */
  pending?: string;
  /** One line for the table. */
  text: string;
}

const unpackVersion = (v: number) => `${v & 0xff}.${(v >>> 8) & 0xff}.${(v >>> 16) & 0xffff}`;

/** Reads the record from the host's whole flash (1 MiB, offset = address). */
export function readDfuState(hostFlash: Buffer): DfuStateReading | undefined {
  const p = HOST_PARTITIONS.dfuState;
  if (hostFlash.length < p.base + p.size) return undefined;
  const area = hostFlash.subarray(p.base, p.base + p.size);
  if (area.every((b) => b === 0xff)) return { state: 'erased', text: 'dfu-state: erased (no update record)' };
  const header = area.subarray(0, HEADER_CRC_AT + 4);
  const why =
    header.toString('latin1', 0, 4) !== MAGIC
      ? `magic is ${JSON.stringify(header.toString('latin1', 0, 4))}, not "${MAGIC}"`
      : header.readUInt32LE(4) !== LAYOUT_VERSION
        ? `layout version ${header.readUInt32LE(4)}, not ${LAYOUT_VERSION}`
        : crc32(header.subarray(0, HEADER_CRC_AT)) >>> 0 !== header.readUInt32LE(HEADER_CRC_AT)
          ? 'header CRC-32 does not match (torn or damaged)'
          : undefined;
  if (why) return { state: 'invalid', text: `dfu-state: no valid update record (${why}): no update` };

  const pkg = header.toString('latin1', 8, 16);
  const members = {
    host: { size: header.readUInt32LE(0x10), sha256: header.toString('hex', 0x18, 0x38), settled: 0, applyAttempts: 0, redownloads: 0 },
    radio: { size: header.readUInt32LE(0x14), sha256: header.toString('hex', 0x38, 0x58), settled: 0, applyAttempts: 0, redownloads: 0 },
  } as Record<(typeof MEMBERS)[number], DfuMemberRecord>;
  let stageNo: number | undefined;
  let torn = 0;
  // Read in place (a sweep's inspection reads the record at every point): no copy per entry.
  const checked = Buffer.alloc(6);
  for (let at = LOG_START; at + ENTRY <= area.length; at += ENTRY) {
    if (area.readUInt32LE(at) === 0xffffffff && area.readUInt32LE(at + 4) === 0xffffffff) continue;
    checked[0] = area[at]!;
    checked[1] = area[at + 1]!;
    area.copy(checked, 2, at + 4, at + 8);
    if ((crc32(checked) & 0xffff) !== area.readUInt16LE(at + 2)) {
      torn++;
      continue;
    }
    const kind = String.fromCharCode(area[at]!);
    const arg = area[at + 1]!;
    const value = area.readUInt32LE(at + 4);
    const m = MEMBERS[arg];
    // A stage number the layout does not define is no stage (a garbled entry that passed its check).
    if (kind === 'S') stageNo = STAGES[arg] ? arg : stageNo;
    else if (m && kind === 'P') members[m].settled = value;
    else if (m && kind === 'V') members[m].version = unpackVersion(value);
    else if (m && kind === 'A') members[m].applyAttempts++;
    else if (m && kind === 'R') members[m].redownloads++;
  }
  const stage = stageNo === undefined ? 'downloading' : STAGES[stageNo]!;
  const progress = MEMBERS.map((m) => `${m} ${members[m].settled}/${members[m].size} B`).join(', ');
  const unfinished = stageNo === undefined || stageNo < 4;
  const pending = unfinished ? `pkg ${pkg} ${stage}, ${progress}` : undefined;
  return {
    state: 'record',
    pkg,
    stage,
    members,
    ...(torn > 0 && { tornEntries: torn }),
    ...(pending && { pending }),
    text: `dfu-state: pkg ${pkg} ${stage}${unfinished ? ' (pending)' : ''}, ${progress}${torn ? `, ${torn} torn entr${torn === 1 ? 'y' : 'ies'} skipped` : ''}`,
  };
}
