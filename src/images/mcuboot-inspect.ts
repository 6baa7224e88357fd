/**
 * Host-side inspection of one MCU's MCUboot swap-scratch slots (reference/bootloader-formats-and-faults.md
 * §2.6 and §3.1), read independently of the twin: per slot what is there, its trailer, and what
 * the bootloader will do on its next boot (resume, swap, revert or nothing) and what will then run.
 *
 * Neutral: the slots' places and the MCU's facts come in a McubootSlotLayout, so every scheme that
 * boots with MCUboot (a single nRF52840, or each processor of a product whose secondary sits in a
 * shared SPI NOR) judges its slots with this one reading.
 */
import { createHash } from 'node:crypto';
import { APPINFO_OFFSET, APPINFO_SIZE, decodeAppInfo } from '../protocols/appinfo.js';
import { InspectError, describeSize } from './inspect-error.js';
import { checkKnownImages, matchKnownImage, type KnownImage } from './known-images.js';
import { readMcubootImage, type McubootImageFacts } from '../protocols/mcuboot/header.js';
import { decodeTrailer, trailerSize, type SwapTypeName, type TrailerGeometry, type TrailerState } from './mcuboot-trailer.js';
import { isErased, roundUpToPage, usedLength, type SlotReport } from './slot-report.js';

export type McubootDumpRegionName = 'primary' | 'secondary' | 'scratch';

/**
 * Where one MCU's MCUboot slots are and what its core accepts. Bases are what the reports show
 * (an address in the probe's view); runAddress is where the app runs in the MCU's own map.
 */
export interface McubootSlotLayout {
  regions: Readonly<Record<McubootDumpRegionName, { readonly base: number; readonly size: number }>>;
  /** MCUboot's sector: the swap moves this much at a time. */
  sectorSize: number;
  /** Primary + the image header, in the MCU's own address map. */
  runAddress: number;
  headerSize: number;
  sramBase: number;
  /** One past the last SRAM byte: the highest legal initial SP. */
  sramTop: number;
  erasedValue: number;
  /** The build's BOOT_MAX_ALIGN, flash write size and MCUBOOT_MAX_IMG_SECTORS (defaults of the options). */
  maxAlign: number;
  writeSize: number;
  maxSectors: number;
  /** Starts error messages ("MCUboot dump", "host MCUboot dump"). */
  label: string;
}

export interface McubootDump {
  primary: Buffer;
  secondary: Buffer;
  /** Needed to see a swap whose status lives in the scratch, and to predict a resume. */
  scratch?: Buffer;
}

export interface McubootInspectOptions {
  known?: KnownImage[];
  /** 0xFF (default) or 0x00. */
  erasedValue?: number;
  /** BOOT_MAX_ALIGN (default 8). */
  align?: number;
  /** Flash write size (default 4 on the nRF52840). */
  writeSize?: number;
}

export type McubootNextAction = 'none' | 'test' | 'perm' | 'revert' | 'resume';

/** The image that runs after the next boot, as far as the dump tells. */
export interface McubootRunningImage {
  /** Where its bytes are now: a slot, or split over the slots mid-swap ('resumed'). */
  from: 'primary' | 'secondary' | 'resumed';
  valid: boolean;
  version?: string;
  matches?: string;
}

export interface McubootSlotsInspection {
  /** primary, then secondary. */
  slots: SlotReport[];
  /** 'primary' when the bootloader ends up jumping to an image (after any swap); null when it hangs. */
  bootsNext: 'primary' | null;
  /** The bootloader jumps (MCUboot jumps to whatever passes validation). */
  jumps: boolean;
  /** Which current content will run: 'resumed' = the image being swapped in, reassembled. */
  willRun: 'primary' | 'secondary' | 'resumed' | null;
  runs?: McubootRunningImage;
  nextAction: McubootNextAction;
  /** An interrupted swap the next boot resumes. */
  swapInProgress?: { idx: number; state: number; source: 'primary' | 'scratch'; swapType: SwapTypeName; swapSize: number };
  /**
   * A swap cut before its first status record: the status trailer already holds its swap type,
   * so the next boot starts that swap over (nextAction is that type), whatever the swap tables say.
   */
  swapBegun?: { source: 'primary' | 'scratch'; swapType: Exclude<SwapTypeName, 'none'> };
  /** Where MCUboot reads its status from (swap_status_source). */
  statusSource: 'none' | 'primary' | 'scratch';
  scratch?: { magic: string; swapType: SwapTypeName; statusWritten: number; imageNum: number };
  /** What the next boot does, in words. */
  summary: string;
}

const REGION_NAMES: readonly McubootDumpRegionName[] = ['primary', 'secondary', 'scratch'];

function checkDump(dump: unknown, layout: McubootSlotLayout): { primary: Buffer; secondary: Buffer; scratch?: Buffer } {
  const L = layout.label;
  if (typeof dump !== 'object' || dump === null) throw new InspectError(`${L}: expected an object with primary, secondary and optionally scratch`);
  const out: Partial<Record<McubootDumpRegionName, Buffer>> = {};
  for (const region of REGION_NAMES.map((name) => ({ name, size: layout.regions[name].size }))) {
    const value = (dump as Record<string, unknown>)[region.name];
    if (value === undefined && region.name === 'scratch') continue;
    if (value === undefined || value === null) {
      throw new InspectError(`${L}: region ${region.name} is missing (expected ${describeSize(region.size)})`, { region: region.name, expected: region.size });
    }
    if (!(value instanceof Uint8Array)) throw new InspectError(`${L}: region ${region.name} is not a Buffer`, { region: region.name, expected: region.size });
    if (value.length !== region.size) {
      throw new InspectError(`${L}: region ${region.name} is ${describeSize(value.length)}, expected ${describeSize(region.size)}`, {
        region: region.name,
        expected: region.size,
        actual: value.length,
      });
    }
    out[region.name] = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
  }
  return out as { primary: Buffer; secondary: Buffer; scratch?: Buffer };
}

function checkGeometry(opts: McubootInspectOptions, layout: McubootSlotLayout): TrailerGeometry {
  const L = layout.label;
  const erasedValue = opts.erasedValue ?? layout.erasedValue;
  const align = opts.align ?? layout.maxAlign;
  const writeSize = opts.writeSize ?? layout.writeSize;
  if (erasedValue !== 0xff && erasedValue !== 0x00) throw new InspectError(`${L}: erasedValue must be 0xFF or 0x00, got ${String(erasedValue)}`);
  const pow2 = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max && (n & (n - 1)) === 0;
  if (!pow2(align, 32) || align < 8) throw new InspectError(`${L}: align (BOOT_MAX_ALIGN) must be 8, 16 or 32, got ${String(align)}`);
  if (!pow2(writeSize, align)) throw new InspectError(`${L}: writeSize must be a power of two up to align (${align}), got ${String(writeSize)}`);
  return { erasedValue, align, writeSize, maxSectors: layout.maxSectors };
}

interface SlotFacts {
  report: SlotReport;
  image: McubootImageFacts;
  trailer: TrailerState;
}

/** The image bytes only (header + payload + TLVs), erased after them to a 256-byte boundary: what a known image is compared with. */
function imageView(content: Buffer, image: McubootImageFacts, limit: number): Buffer {
  if (image.totalSize === undefined) return content.subarray(0, limit);
  const len = Math.min(roundUpToPage(image.totalSize), content.length);
  const view = Buffer.from(content.subarray(0, len));
  view.fill(0xff, image.totalSize);
  return view;
}

function describeImage(name: 'primary' | 'secondary', content: Buffer, g: TrailerGeometry, known: readonly KnownImage[], layout: McubootSlotLayout) {
  const run = layout.runAddress;
  // The payload's end as the core sees it: the primary's run-time base + the slot's length.
  const runEnd = run - layout.headerSize + content.length;
  const limit = content.length - trailerSize(g, false);
  const image = readMcubootImage(content, limit);
  const view = imageView(content, image, limit);
  const matched = matchKnownImage(name, view, known);
  const shaLength = image.totalSize ?? usedLength(content.subarray(0, limit));
  const sha256 = createHash('sha256').update(content.subarray(0, shaLength)).digest('hex');
  let appVersion: string | undefined;
  let vectorOk = false;
  if (image.header && image.hdrSize !== undefined && image.hdrSize + APPINFO_OFFSET + APPINFO_SIZE <= limit) {
    const info = decodeAppInfo(content.subarray(image.hdrSize + APPINFO_OFFSET, image.hdrSize + APPINFO_OFFSET + APPINFO_SIZE));
    if (!('error' in info)) appVersion = info.version;
    const sp = content.readUInt32LE(image.hdrSize);
    const pc = content.readUInt32LE(image.hdrSize + 4);
    vectorOk = !('error' in info) && info.linkBase === run && sp > layout.sramBase && sp <= layout.sramTop && pc % 2 === 1 && pc > run && pc < runEnd;
  }
  return { image, matched, sha256, shaLength, appVersion, vectorOk };
}

function inspectSlot(name: 'primary' | 'secondary', content: Buffer, g: TrailerGeometry, known: readonly KnownImage[], layout: McubootSlotLayout): SlotFacts {
  const trailer = decodeTrailer(content, g, false);
  const d = describeImage(name, content, g, known, layout);
  const present = !isErased(content) && !(g.erasedValue === 0 && content.every((b) => b === 0));
  const problems = [...d.image.problems];
  if (!present) problems.unshift('erased (no image)');
  else if (!d.image.header && d.image.problems.length === 0) problems.push('no image header (erased at offset 0)');
  if (trailer.magic === 'bad') problems.push('trailer magic is neither erased nor valid (BAD)');
  if (trailer.imageOk === 'bad') problems.push('image_ok is neither 0x01 nor erased (BAD)');
  if (trailer.copyDone === 'bad') problems.push('copy_done is neither 0x01 nor erased (BAD)');
  if (trailer.statusInconsistent) problems.push('inconsistent swap status (a written record after an erased one)');
  if (d.image.valid && !d.vectorOk) problems.push(`payload is not linked to run at 0x${layout.runAddress.toString(16)} or its vector table is implausible (it would fault)`);
  const report: SlotReport = {
    slot: name,
    base: layout.regions[name].base,
    present,
    valid: d.image.valid,
    ...(d.image.version !== undefined && { version: d.image.version }),
    ...(d.image.header && { linkBase: layout.runAddress }),
    sha256: d.sha256,
    ...(d.matched && { matches: d.matched.name }),
    problems,
    scheme: {
      magic: trailer.magic,
      imageOk: trailer.imageOk,
      copyDone: trailer.copyDone,
      swapType: trailer.swapType,
      imageNum: trailer.imageNum,
      swapSize: trailer.swapSize,
      statusWritten: trailer.statusWritten,
      ...(trailer.status && { statusIdx: trailer.status.idx, statusState: trailer.status.state }),
      hdrSize: d.image.hdrSize,
      imgSize: d.image.imgSize,
      totalSize: d.image.totalSize,
      hashOk: d.image.hashOk,
      tlvTypes: d.image.tlvTypes,
      appVersion: d.appVersion,
      vectorOk: d.vectorOk,
      sha256Length: d.shaLength,
      state: '',
    },
  };
  return { report, image: d.image, trailer };
}

/** swap_status_source, with MCUboot's real table: a GOOD scratch magic wins over a primary trailer. */
function statusSource(p: TrailerState, s: TrailerState | undefined): 'none' | 'primary' | 'scratch' {
  const scratchGood = s?.magic === 'good';
  if (p.magic === 'good' && !scratchGood && p.copyDone === 'set') return 'none';
  if (p.magic === 'good' && !scratchGood && p.copyDone === 'unset') return 'primary';
  if (scratchGood) return 'scratch';
  if (p.magic === 'unset' && p.copyDone === 'unset') return 'primary';
  return 'none';
}

function swapTable(p: TrailerState, s: TrailerState): 'none' | 'test' | 'perm' | 'revert' {
  if (s.magic === 'good' && s.imageOk === 'unset') return 'test';
  if (s.magic === 'good' && s.imageOk === 'set') return 'perm';
  if (p.magic === 'good' && p.imageOk === 'unset' && p.copyDone === 'set') return 'revert';
  return 'none';
}

/**
 * Finishes an interrupted swap on copies of the regions (data only, as boot_swap_sectors moves
 * it), so the host can say which image the resume produces. Returns the primary afterwards.
 */
function completeSwap(dump: { primary: Buffer; secondary: Buffer; scratch: Buffer }, g: TrailerGeometry, idx: number, state: number, swapSize: number, sector: number): Buffer {
  const P = Buffer.from(dump.primary);
  const S2 = Buffer.from(dump.secondary);
  const SC = Buffer.from(dump.scratch);
  const slotSize = P.length;
  const size = Math.min(Math.max(swapSize, 1), slotSize);
  let last = Math.ceil(size / sector) - 1;
  let region = 1;
  while (last >= 0) {
    let sz = 0;
    let first = last;
    for (let i = last; i >= 0 && sz + sector <= SC.length; i--) {
      sz += sector;
      first = i;
    }
    if (region >= idx) {
      const off = first * sector;
      const copySz = off + sz > slotSize - sector ? sz - trailerSize(g, false) : sz;
      const st = region === idx ? state : 1;
      if (st <= 1) {
        SC.fill(g.erasedValue);
        S2.copy(SC, 0, off, off + copySz);
      }
      if (st <= 2) {
        S2.fill(g.erasedValue, off, off + sz);
        P.copy(S2, off, off, off + copySz);
      }
      P.fill(g.erasedValue, off, off + sz);
      SC.copy(P, off, 0, copySz);
    }
    last = first - 1;
    region++;
  }
  return P;
}

function classify(name: 'primary' | 'secondary', f: SlotFacts, midSwap: boolean): string {
  const t = f.trailer;
  if (name === 'primary') {
    if (midSwap) return 'swap in progress (resume pending): halves may be interleaved';
    if (t.magic === 'good' && t.copyDone === 'set' && t.imageOk === 'unset') return 'running a test image; next reset reverts';
    if (t.imageOk === 'set') return 'confirmed';
    // imgtool --pad leaves magic GOOD with no swap type; a swap type there means a swap has begun.
    if (t.magic === 'unset' || (t.magic === 'good' && t.copyDone === 'unset' && t.statusWritten === 0 && t.swapType === 'none')) {
      return 'flashed directly; no revert possible, effectively confirmed';
    }
    return `trailer magic ${t.magic}, copy_done ${t.copyDone}, image_ok ${t.imageOk}`;
  }
  if (t.magic === 'good' && t.imageOk === 'unset') return 'pending TEST';
  if (t.magic === 'good' && t.imageOk === 'set') return 'pending PERM';
  if (t.magic === 'unset') return 'no request';
  return `trailer magic ${t.magic}: no request the bootloader can read`;
}

/**
 * Inspects one MCU's MCUboot swap-scratch slots laid out as `layout` says. Throws InspectError for
 * a missing or wrongly sized region, bad options or unusable known images; otherwise never
 * throws, whatever the bytes are.
 */
export function inspectMcubootSlots(dump: McubootDump, layout: McubootSlotLayout, opts: McubootInspectOptions = {}): McubootSlotsInspection {
  const regions = checkDump(dump, layout);
  const g = checkGeometry(opts ?? {}, layout);
  const known = checkKnownImages(opts?.known, layout.regions.primary.size, ['primary', 'secondary']);
  const primary = inspectSlot('primary', regions.primary, g, known, layout);
  const secondary = inspectSlot('secondary', regions.secondary, g, known, layout);
  const scratchTrailer = regions.scratch ? decodeTrailer(regions.scratch, g, true) : undefined;

  const source = statusSource(primary.trailer, scratchTrailer);
  const holder = source === 'primary' ? primary.trailer : source === 'scratch' ? scratchTrailer : undefined;
  let nextAction: McubootNextAction;
  let swapInProgress: McubootSlotsInspection['swapInProgress'];
  let swapBegun: McubootSlotsInspection['swapBegun'];
  if (holder?.status) {
    nextAction = 'resume';
    swapInProgress = { ...holder.status, source: source as 'primary' | 'scratch', swapType: holder.swapType, swapSize: holder.swapSize };
  } else if (holder && holder.swapType !== 'none') {
    // swap_read_status takes the swap type from the status trailer even with no record written,
    // and boot_prepare_image_for_update then starts that swap over (after validating the
    // secondary) instead of consulting the swap tables: by now the request that started it may
    // be gone (a revert has just re-initialised the primary trailer, copy_done unset).
    nextAction = holder.swapType;
    swapBegun = { source: source as 'primary' | 'scratch', swapType: holder.swapType };
  } else {
    nextAction = swapTable(primary.trailer, secondary.trailer);
  }

  let runs: McubootRunningImage | undefined;
  let willRun: McubootSlotsInspection['willRun'] = null;
  let summary: string;
  const fromSlot = (f: SlotFacts, from: 'primary' | 'secondary'): McubootRunningImage => ({
    from,
    valid: f.image.valid,
    ...(f.report.version !== undefined && { version: f.report.version }),
    ...(f.report.matches !== undefined && { matches: f.report.matches }),
  });
  if (nextAction === 'resume') {
    const s = swapInProgress!;
    if (regions.scratch) {
      const after = completeSwap({ ...regions, scratch: regions.scratch }, g, s.idx, s.state, s.swapSize, layout.sectorSize);
      const d = describeImage('primary', after, g, known, layout);
      runs = { from: 'resumed', valid: d.image.valid, ...(d.image.version && { version: d.image.version }), ...(d.matched && { matches: d.matched.name }) };
      willRun = d.image.valid ? 'resumed' : null;
      summary = `resumes the interrupted ${s.swapType} swap at region ${s.idx} state ${s.state} (status in ${s.source}); ${d.image.valid ? `then runs ${d.image.version}` : 'the reassembled primary fails validation: hangs'}`;
    } else {
      summary = `resumes the interrupted ${s.swapType} swap at region ${s.idx} state ${s.state}; without the scratch region the result cannot be predicted`;
    }
  } else if (nextAction !== 'none' && secondary.image.valid) {
    runs = fromSlot(secondary, 'secondary');
    willRun = 'secondary';
    const begun = swapBegun ? `starts over the ${swapBegun.swapType} swap cut before its first status record (swap type in the ${swapBegun.source} trailer) and ` : '';
    summary = `${begun}${nextAction === 'revert' ? 'reverts to' : `swaps in (${nextAction})`} the secondary's image ${secondary.report.version ?? ''}`.trimEnd();
  } else {
    if (nextAction !== 'none') {
      secondary.report.problems.push(`a ${nextAction} swap is requested but the image is not valid: MCUboot erases this slot and boots the primary`);
    }
    runs = fromSlot(primary, 'primary');
    willRun = primary.image.valid ? 'primary' : null;
    summary = primary.image.valid ? `boots the primary's image ${primary.report.version ?? ''}`.trimEnd() : 'primary image is not valid: "Unable to find bootable image", hangs';
  }

  const midSwap = nextAction === 'resume' && source === 'primary';
  primary.report.scheme.state = swapBegun?.source === 'primary' ? `${swapBegun.swapType} swap begun (no status record yet): the next boot starts it over` : classify('primary', primary, midSwap);
  secondary.report.scheme.state = classify('secondary', secondary, false);
  if (midSwap || (nextAction === 'resume' && source === 'scratch')) {
    for (const f of [primary, secondary]) f.report.problems.push('mid-swap: this slot may hold parts of both images');
  }
  const bootsNext = willRun ? 'primary' : null;
  return {
    slots: [primary.report, secondary.report],
    bootsNext,
    jumps: bootsNext !== null,
    willRun,
    ...(runs && { runs }),
    nextAction,
    ...(swapInProgress && { swapInProgress }),
    ...(swapBegun && { swapBegun }),
    statusSource: source,
    ...(scratchTrailer && {
      scratch: { magic: scratchTrailer.magic, swapType: scratchTrailer.swapType, statusWritten: scratchTrailer.statusWritten, imageNum: scratchTrailer.imageNum },
    }),
    summary,
  };
}
