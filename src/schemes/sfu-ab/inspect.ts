/**
 * Host-side inspection of an RP2040-SFU flash dump (reference/sfu-protocol.md §3): per slot,
 * what is there and whether it is valid, and which slot the bootloader will start next, read
 * independently of the twin.
 */
import { createHash } from 'node:crypto';
import { readAppInfo } from '../../protocols/appinfo.js';
import { SFU_DUMP_REGIONS, SFU_SLOTS, SFU_SLOT_SIZE, type SfuDumpRegionName, type SfuSlotName } from '../../targets/rp2040.js';
import { InspectError, describeSize } from '../../images/inspect-error.js';
import { checkKnownImages, matchKnownImage, type KnownImage } from '../../images/known-images.js';
import { hex8, readSfuMetadata, sfuSlotCrc, type SfuMetadata } from './metadata.js';
import { isErased, roundUpToPage, usedLength, type SlotReport } from '../../images/slot-report.js';
import { checkSfuVectorTable, type VectorCheck } from './vector-check.js';

/** The regions of SFU_DUMP_REGIONS, by name. nvParam (the first-start flag sector) is optional. */
export interface SfuDump {
  slotA: Buffer;
  metaA: Buffer;
  slotB: Buffer;
  metaB: Buffer;
  nvParam?: Buffer;
}

export interface SfuInspection {
  scheme: 'sfu-ab';
  /** A then B. */
  slots: SlotReport[];
  /** The slot the bootloader selects on its next boot, or null when it will stay in SFU mode. */
  bootsNext: SfuSlotName | null;
  /** nvParam byte 0 is 0xFF: the next boot erases both metadata sectors and signs A (if A's vectors pass). */
  firstStartPending: boolean;
  /** The lines the bootloader prints while selecting (reference §6 items 3–4). */
  selectionLog: string[];
  /** The selected slot's vector table passes §3.4, so the bootloader jumps to it. */
  jumps: boolean;
}

export interface InspectOptions {
  known?: KnownImage[];
  /**
   * Each slot area's CRC-32 as the probe reported it (Probe.crc32), for the same bytes as the
   * dump: then the slots are not CRCed here again (a sweep inspects thousands of states).
   */
  slotCrc?: Partial<Record<SfuSlotName, number>>;
}

/** The SFU-specific part of a SlotReport (`scheme`). */
export interface SfuSlotState extends Record<string, unknown> {
  signed: boolean;
  /** Raw word 1 of the metadata; 0xFFFFFFFF when unsigned. */
  generation: number;
  storedCrc: number;
  actualCrc: number;
  /** storedCrc === actualCrc (whether or not the slot is signed). */
  crcOk: boolean;
  vectorOk: boolean;
  sp: number;
  pc: number;
  /** How many bytes `sha256` covers. */
  sha256Length: number;
}

const META_REGION: Record<SfuSlotName, SfuDumpRegionName> = { A: 'metaA', B: 'metaB' };
const SLOT_REGION: Record<SfuSlotName, SfuDumpRegionName> = { A: 'slotA', B: 'slotB' };
const hex = (n: number) => `0x${hex8(n)}`;

/** Each region present and of exactly its size; Uint8Arrays are viewed as Buffers. */
function checkDump(dump: unknown): Record<SfuDumpRegionName, Buffer | undefined> {
  if (typeof dump !== 'object' || dump === null) {
    throw new InspectError(`SFU dump: expected an object with ${SFU_DUMP_REGIONS.map((r) => r.name).join(', ')}`);
  }
  const out = {} as Record<SfuDumpRegionName, Buffer | undefined>;
  for (const region of SFU_DUMP_REGIONS) {
    const value = (dump as Record<string, unknown>)[region.name];
    if (value === undefined && region.name === 'nvParam') continue;
    if (value === undefined || value === null) {
      throw new InspectError(`SFU dump: region ${region.name} is missing (expected ${describeSize(region.size)})`, {
        region: region.name,
        expected: region.size,
      });
    }
    if (!(value instanceof Uint8Array)) {
      throw new InspectError(`SFU dump: region ${region.name} is not a Buffer`, { region: region.name, expected: region.size });
    }
    if (value.length !== region.size) {
      throw new InspectError(`SFU dump: region ${region.name} is ${describeSize(value.length)}, expected ${describeSize(region.size)}`, {
        region: region.name,
        expected: region.size,
        actual: value.length,
      });
    }
    out[region.name] = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
  }
  return out;
}

interface SlotFacts {
  name: SfuSlotName;
  report: SlotReport;
  meta: SfuMetadata;
  crcOk: boolean;
  vectors: VectorCheck;
}

function inspectSlot(name: SfuSlotName, content: Buffer, metaSector: Buffer, known: readonly KnownImage[], knownCrc?: number): SlotFacts {
  const map = SFU_SLOTS[name];
  const meta = readSfuMetadata(metaSector);
  const actualCrc = knownCrc ?? sfuSlotCrc(content);
  const crcOk = meta.storedCrc === actualCrc;
  const vectors = checkSfuVectorTable(content, map);
  const present = !isErased(content);
  const problems: string[] = [];

  if (!present) problems.push('erased (no image)');
  if (!meta.signed) {
    if (present) problems.push('not signed (metadata generation word is 0xFFFFFFFF)');
  } else if (!crcOk) {
    problems.push(`CRC mismatch: metadata says ${hex(meta.storedCrc)}, the slot area gives ${hex(actualCrc)}`);
  }
  if (present && !vectors.ok) problems.push(...vectors.problems);

  const info = present ? readAppInfo(content) : undefined;
  let version: string | undefined;
  let linkBase: number | undefined;
  let infoLength: number | undefined;
  if (info && 'error' in info) {
    // Only a block that claims to be ours (right magic) but is damaged is worth a problem.
    if (!/magic/.test(info.error)) problems.push(info.error);
  } else if (info) {
    version = info.version;
    linkBase = info.linkBase;
    if (info.linkBase !== map.base) {
      const other = Object.values(SFU_SLOTS).find((s) => s.base === info.linkBase);
      problems.push(`linked for ${hex(info.linkBase)}${other ? ` (slot ${other.name})` : ''}, but sits in slot ${name} at ${hex(map.base)}`);
    }
    if (info.imageLength > 0 && info.imageLength <= SFU_SLOT_SIZE) infoLength = roundUpToPage(info.imageLength);
  }

  const matched = matchKnownImage(name, content, known);
  const sha256Length = matched?.length ?? infoLength ?? usedLength(content);
  const sha256 = createHash('sha256').update(content.subarray(0, sha256Length)).digest('hex');

  const scheme: SfuSlotState = {
    signed: meta.signed,
    generation: meta.generation,
    storedCrc: meta.storedCrc,
    actualCrc,
    crcOk,
    vectorOk: vectors.ok,
    sp: vectors.sp,
    pc: vectors.pc,
    sha256Length,
  };
  const report: SlotReport = {
    slot: name,
    base: map.base,
    present,
    valid: meta.signed && crcOk && vectors.ok,
    ...(version !== undefined && { version }),
    ...(linkBase !== undefined && { linkBase }),
    sha256,
    ...(matched && { matches: matched.name }),
    problems,
    scheme,
  };
  return { name, report, meta, crcOk, vectors };
}

/** `find_latest_variant` (§3.3 step 2) with the lines it prints (§6 item 4). */
function selectSlot(a: SlotFacts, b: SlotFacts): { selected: SfuSlotName | null; log: string[] } {
  const log = [`tstamp_a\t${hex8(a.meta.generation)}`, `tstamp_b\t${hex8(b.meta.generation)}`, `crc32_a \t${hex8(a.meta.storedCrc)}`, `crc32_b \t${hex8(b.meta.storedCrc)}`, ''];
  if (a.meta.signed && b.meta.signed) {
    const [first, other] = b.meta.generation > a.meta.generation ? [b, a] : [a, b];
    if (first.crcOk) {
      log.push(`Check Variant ${first.name}: GOOD, selected from two`);
      return { selected: first.name, log };
    }
    if (other.crcOk) {
      log.push(`Check Variant ${first.name}: Broken`, '  ...Check another Variant: GOOD, selected from two');
      return { selected: other.name, log };
    }
    log.push(`Check Variant ${first.name}: Broken`, '  ...Check another Variant: Broken also');
    return { selected: null, log };
  }
  const single = a.meta.signed ? a : b.meta.signed ? b : undefined;
  if (!single) {
    log.push('No any variant');
    return { selected: null, log };
  }
  if (single.crcOk) {
    log.push(`Variant ${single.name} selected as single`);
    return { selected: single.name, log };
  }
  log.push(`Variant ${single.name} is single, but also broken`);
  return { selected: null, log };
}

/** §3.3 step 1: the first start erases both metadata sectors and signs A if its vectors pass. */
function firstStart(a: SlotFacts): { selected: SfuSlotName | null; log: string[] } {
  const log = ['check_first_start_once unset', 'erase sign block #1', 'erase sign block #1 DONE', 'erase sign block #0', 'erase sign block #0 DONE'];
  if (a.vectors.ok) {
    log.push('NEW CRC32 IEEE802.3 SIGNED');
    return { selected: 'A', log };
  }
  log.push('Fisrt start, context erorr, no any variant');
  return { selected: null, log };
}

/**
 * Inspects an RP2040-SFU dump. Throws InspectError when a region is missing or has the wrong
 * size, or a known image is unusable; otherwise never throws, whatever the bytes are.
 * Without nvParam the first-start flag is unknown and taken as already set (not pending).
 */
export function inspectSfu(dump: SfuDump, opts: InspectOptions = {}): SfuInspection {
  const regions = checkDump(dump);
  const known = checkKnownImages(opts?.known, SFU_SLOT_SIZE);
  const a = inspectSlot('A', regions[SLOT_REGION.A]!, regions[META_REGION.A]!, known, opts.slotCrc?.A);
  const b = inspectSlot('B', regions[SLOT_REGION.B]!, regions[META_REGION.B]!, known, opts.slotCrc?.B);
  const firstStartPending = regions.nvParam !== undefined && regions.nvParam[0] === 0xff;

  const { selected, log } = firstStartPending ? firstStart(a) : selectSlot(a, b);
  const chosen = selected === 'A' ? a : selected === 'B' ? b : undefined;
  return {
    scheme: 'sfu-ab',
    slots: [a.report, b.report],
    bootsNext: selected,
    firstStartPending,
    selectionLog: log,
    jumps: chosen?.vectors.ok ?? false,
  };
}
