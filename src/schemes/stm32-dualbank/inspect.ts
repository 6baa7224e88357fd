/**
 * Host-side inspection of an STM32F429 dual-bank dump (stm32-dualbank scheme): per bank, what
 * is there and whether it is a valid image, and which bank the next reset starts, following
 * AN2606 / RM0090 (reference/bootloader-formats-and-faults.md §6), read independently of the twin:
 * - BFB2 clear: the core starts bank 1 directly, unchecked;
 * - BFB2 set: the ROM starts bank 2 if its initial SP is in SRAM, else bank 1 if its SP is,
 *   else stays in the system bootloader. Nothing else is checked: no CRC, no header.
 * Image layout (vector table at 0, memfault-style header at 0x1C0, app info at 0x200):
 * STM32_IMAGE_LAYOUT and STM32_IMAGE_HEADER in src/targets/stm32f429.ts.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { readAppInfo } from '../../protocols/appinfo.js';
import { STM32F429, STM32_BANKS, STM32_DUMP_REGIONS, STM32_FACTORY_OPTIONS, STM32_IMAGE_HEADER, STM32_IMAGE_LAYOUT, STM32_OPTION_LAYOUT, type Stm32BankName } from '../../targets/stm32f429.js';
import { InspectError, describeSize } from '../../images/inspect-error.js';
import { checkKnownImages, matchKnownImage, type KnownImage } from '../../images/known-images.js';
import { isErased, roundUpToPage, usedLength, type SlotReport } from '../../images/slot-report.js';
import { hex32 as hex } from '../../core/hex.js';

/** The regions of STM32_DUMP_REGIONS. Without `options` BFB2 is unknown and taken as the factory value (clear). */
export interface Stm32Dump {
  bank1: Buffer;
  bank2: Buffer;
  options?: Buffer;
}

export interface Stm32InspectOptions {
  known?: KnownImage[];
}

/** image_hdr_t as read from a bank (seed 001). */
export interface Stm32ImageHeader {
  magic: number;
  headerVersion: number;
  crc: number;
  dataSize: number;
  imageType: number;
  version: string;
  vectorAddr: number;
  reserved: number;
  gitSha: string;
}

/** The stm32-dualbank part of a SlotReport (`scheme`). */
export interface Stm32SlotState extends Record<string, unknown> {
  /** Word 0: the initial SP the ROM checks. */
  sp: number;
  /** Word 1: the reset vector. */
  pc: number;
  /**
   * SP in [0x2000_0000, 0x2003_0000]: the ROM's only test. The top itself counts (CubeIDE's
   * `_estack`): the stack is full-descending, so its first push lands on the last SRAM word.
   */
  spOk: boolean;
  /** Reset vector odd (Thumb) and inside the 1 MiB the booted bank is mapped to (0x0800_0000: images are linked there). */
  pcOk: boolean;
  /** The 256 bytes around the reset vector are not erased. */
  codeThere: boolean;
  /** Decoded when the magic is 0xCAFE; null otherwise (not committed, or no header at all). */
  header: Stm32ImageHeader | null;
  /** Magic, header version, data_size within the bank, vector_addr 0x0800_0000. */
  headerOk: boolean;
  /** IEEE CRC-32 of the image without its header, when the header gives a usable data_size. */
  actualCrc: number | null;
  crcOk: boolean;
  /** How many bytes `sha256` covers. */
  sha256Length: number;
}

export interface Stm32Inspection {
  scheme: 'stm32-dualbank';
  /** bank1 then bank2 (physical banks: bank1 at 0x0800_0000, bank2 at 0x0810_0000). */
  slots: SlotReport[];
  /** The bank the next reset starts, or null when the ROM stays in the system bootloader. */
  bootsNext: Stm32BankName | null;
  /** That start reaches a plausible app (SP in SRAM, reset vector in the image, code there). */
  jumps: boolean;
  bfb2: boolean;
  /** The dump had the option bytes; when false, bfb2 is the factory value (clear), assumed. */
  optionsKnown: boolean;
  /** RDP byte (0xAA = level 0). */
  rdp: number;
  /** What the reset does, step by step, in words. */
  bootPath: string[];
}

const L = STM32_IMAGE_LAYOUT;
const H = STM32_IMAGE_HEADER;

function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
}

/** Each region present (options optional) and of exactly its size. */
function checkDump(dump: unknown): { bank1: Buffer; bank2: Buffer; options?: Buffer } {
  if (typeof dump !== 'object' || dump === null) {
    throw new InspectError(`stm32 dump: expected an object with ${STM32_DUMP_REGIONS.map((r) => r.name).join(', ')}`);
  }
  const out: Partial<Record<string, Buffer>> = {};
  for (const region of STM32_DUMP_REGIONS) {
    const value = (dump as Record<string, unknown>)[region.name];
    if (value === undefined && region.name === 'options') continue;
    if (value === undefined || value === null) {
      throw new InspectError(`stm32 dump: region ${region.name} is missing (expected ${describeSize(region.size)})`, { region: region.name, expected: region.size });
    }
    if (!(value instanceof Uint8Array)) throw new InspectError(`stm32 dump: region ${region.name} is not a Buffer`, { region: region.name, expected: region.size });
    if (value.length !== region.size) {
      throw new InspectError(`stm32 dump: region ${region.name} is ${describeSize(value.length)}, expected ${describeSize(region.size)}`, {
        region: region.name,
        expected: region.size,
        actual: value.length,
      });
    }
    out[region.name] = asBuffer(value);
  }
  return out as { bank1: Buffer; bank2: Buffer; options?: Buffer };
}

function readHeader(bank: Buffer): Stm32ImageHeader | null {
  const h = bank.subarray(L.headerOffset, L.headerOffset + L.headerSize);
  if (h.readUInt16LE(H.at.magic) !== H.magic) return null;
  const sha = h.subarray(H.at.gitSha, H.at.gitSha + 8);
  const nul = sha.indexOf(0);
  return {
    magic: h.readUInt16LE(H.at.magic),
    headerVersion: h.readUInt16LE(H.at.headerVersion),
    crc: h.readUInt32LE(H.at.crc),
    dataSize: h.readUInt32LE(H.at.dataSize),
    imageType: h[H.at.imageType]!,
    version: `${h[H.at.major]}.${h[H.at.minor]}.${h[H.at.patch]}`,
    vectorAddr: h.readUInt32LE(H.at.vectorAddr),
    reserved: h.readUInt32LE(H.at.reserved),
    gitSha: sha
      .subarray(0, nul < 0 ? 8 : nul)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '?'),
  };
}

interface BankFacts {
  report: SlotReport;
  state: Stm32SlotState;
}

function inspectBank(name: Stm32BankName, content: Buffer, known: readonly KnownImage[]): BankFacts {
  const base = STM32_BANKS[name].base;
  const present = !isErased(content);
  const problems: string[] = [];
  const sp = content.readUInt32LE(0);
  const pc = content.readUInt32LE(4);
  const spOk = sp >= STM32F429.sramBase && sp <= STM32F429.sramEnd;
  const pcTarget = (pc & ~1) >>> 0;
  const pcOk = pc % 2 === 1 && pcTarget >= STM32F429.linkBase && pcTarget < STM32F429.linkBase + STM32F429.bankSize;
  const pcOffset = pcTarget - STM32F429.linkBase;
  const chunk = pcOffset - (pcOffset % 256);
  const codeThere = pcOk && chunk + 256 <= content.length && !isErased(content, chunk, chunk + 256);

  const header = present ? readHeader(content) : null;
  const maxData = STM32F429.bankSize - L.headerSize;
  const sizeOk = header !== null && header.dataSize >= L.appInfoOffset && header.dataSize <= maxData;
  const headerOk = header !== null && header.headerVersion === H.headerVersion && sizeOk && header.vectorAddr === STM32F429.linkBase;
  let actualCrc: number | null = null;
  if (header && sizeOk) {
    actualCrc = crc32(content.subarray(L.headerOffset + L.headerSize, L.headerSize + header.dataSize), crc32(content.subarray(0, L.headerOffset))) >>> 0;
  }
  const crcOk = header !== null && actualCrc !== null && actualCrc === header.crc;

  if (!present) problems.push('erased (no image)');
  else {
    if (!spOk) problems.push(`initial SP ${hex(sp)} is not in SRAM [${hex(STM32F429.sramBase)}, ${hex(STM32F429.sramEnd)}]`);
    if (!pcOk) problems.push(`reset vector ${hex(pc)} is not a Thumb address in ${hex(STM32F429.linkBase)}..${hex(STM32F429.linkBase + STM32F429.bankSize)}`);
    else if (!codeThere) problems.push(`the code at the reset vector (bank offset 0x${pcOffset.toString(16)}) is erased`);
    if (!header) {
      problems.push(
        `no image header at 0x${L.headerOffset.toString(16)} (magic 0x${content.readUInt16LE(L.headerOffset).toString(16).toUpperCase().padStart(4, '0')}, expected 0xCAFE): not committed`,
      );
    } else {
      if (header.headerVersion !== H.headerVersion) problems.push(`image header version ${header.headerVersion}, expected ${H.headerVersion}`);
      if (!sizeOk) problems.push(`image header data_size ${header.dataSize} does not fit the bank (at most ${maxData})`);
      if (header.vectorAddr !== STM32F429.linkBase) problems.push(`image header vector_addr ${hex(header.vectorAddr)}, expected ${hex(STM32F429.linkBase)}`);
      if (actualCrc !== null && !crcOk) problems.push(`image CRC mismatch: header says ${hex(header.crc)}, the bank gives ${hex(actualCrc)}`);
    }
  }
  const valid = present && spOk && pcOk && codeThere && headerOk && crcOk;
  if (present && spOk && !valid) problems.push('the initial SP is in SRAM, so the ROM would start this bank although it is not a valid image (AN2606 checks nothing else)');

  const info = present ? readAppInfo(content) : undefined;
  let version: string | undefined;
  let linkBase: number | undefined;
  if (info && 'error' in info) {
    if (!/magic/.test(info.error)) problems.push(info.error);
  } else if (info) {
    version = info.version;
    linkBase = info.linkBase;
    if (info.linkBase !== STM32F429.linkBase) problems.push(`app info says linked for ${hex(info.linkBase)}; both banks must be linked for ${hex(STM32F429.linkBase)}`);
  }
  if (version === undefined && header) version = header.version;

  const matched = matchKnownImage(name, content, known);
  const headerLength = sizeOk && header ? roundUpToPage(header.dataSize + L.headerSize) : undefined;
  const sha256Length = matched?.length ?? headerLength ?? usedLength(content);
  const sha256 = createHash('sha256').update(content.subarray(0, sha256Length)).digest('hex');

  const state: Stm32SlotState = { sp, pc, spOk, pcOk, codeThere, header, headerOk, actualCrc, crcOk, sha256Length };
  const report: SlotReport = {
    slot: name,
    base,
    present,
    valid,
    ...(version !== undefined && { version }),
    ...(linkBase !== undefined && { linkBase }),
    sha256,
    ...(matched && { matches: matched.name }),
    problems,
    scheme: state,
  };
  return { report, state };
}

/**
 * Inspects a dual-bank dump. Throws InspectError when a region is missing or has the wrong size,
 * or a known image is unusable; otherwise never throws, whatever the bytes are.
 */
export function inspectStm32(dump: Stm32Dump, opts: Stm32InspectOptions = {}): Stm32Inspection {
  const regions = checkDump(dump);
  const known = checkKnownImages(opts?.known, STM32F429.bankSize, ['bank1', 'bank2']);
  const banks = { bank1: inspectBank('bank1', regions.bank1, known), bank2: inspectBank('bank2', regions.bank2, known) };
  const options = regions.options ?? STM32_FACTORY_OPTIONS;
  const user = options[STM32_OPTION_LAYOUT.userOffset]!;
  const bfb2 = ((user >> STM32_OPTION_LAYOUT.bfb2Bit) & 1) === 1;
  const rdp = options[STM32_OPTION_LAYOUT.rdpOffset]!;

  const bootPath: string[] = [];
  if (!regions.options) bootPath.push('no option bytes in the dump: BFB2 assumed clear (factory value)');
  let bootsNext: Stm32BankName | null;
  if (!bfb2) {
    bootPath.push('BFB2 clear: the core starts bank 1 directly, with no check');
    bootsNext = 'bank1';
  } else {
    bootPath.push('BFB2 set: the system bootloader (ROM) runs');
    const b2 = banks.bank2.state;
    const b1 = banks.bank1.state;
    if (b2.spOk) {
      bootPath.push(`bank 2 initial SP ${hex(b2.sp)} is in SRAM: bank 2 is remapped to 0x08000000 and started`);
      bootsNext = 'bank2';
    } else {
      bootPath.push(`bank 2 initial SP ${hex(b2.sp)} is not in SRAM`);
      if (b1.spOk) {
        bootPath.push(`bank 1 initial SP ${hex(b1.sp)} is in SRAM: bank 1 is started`);
        bootsNext = 'bank1';
      } else {
        bootPath.push(`bank 1 initial SP ${hex(b1.sp)} is not in SRAM: the ROM stays in the system bootloader`);
        bootsNext = null;
      }
    }
  }
  const chosen = bootsNext ? banks[bootsNext].state : undefined;
  const jumps = chosen !== undefined && chosen.spOk && chosen.pcOk && chosen.codeThere;
  if (bootsNext && !jumps) bootPath.push(`${bootsNext} does not reach a plausible app: it faults at once (a watchdog reset loop)`);
  return {
    scheme: 'stm32-dualbank',
    slots: [banks.bank1.report, banks.bank2.report],
    bootsNext,
    jumps,
    bfb2,
    optionsKnown: regions.options !== undefined,
    rdp,
    bootPath,
  };
}
