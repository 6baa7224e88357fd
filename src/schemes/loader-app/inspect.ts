/**
 * Host-side inspection of a loader-app dump (seed 001), read independently of the twin: per
 * region what is there (src/images/fwup-header.ts reads the headers), and what the next reset
 * runs, following the seed's programs:
 * - the bootloader starts the Loader when slot 1 holds a committed Loader header, else whatever
 *   committed image slot 2 holds, else nothing ("Unable to find bootable image": bricked, only a
 *   probe helps);
 * - the Loader starts slot 2 when it holds a committed Application or Updater header, else stays
 *   in DFU mode (waiting: an update over the console recovers it). The shared RAM's DFU flag and
 *   boot counter are not in a flash dump: given a RAM dump (`ram`), the Loader's reading of it
 *   decides first (shared-ram-reading.ts: DFU requested or counter at 3 → DFU mode; wrong magic →
 *   re-initialised); without one they are taken as clear. The bootloader never reads the RAM, so
 *   when it falls back to slot 2 the RAM does not matter.
 * A committed header is trusted at boot (it is written only after its data): so a slot whose
 * header is there but whose CRC fails is started anyway, and reported as not valid.
 */
import { createHash } from 'node:crypto';
import { APPINFO_SIZE, decodeAppInfo } from '../../protocols/appinfo.js';
import { STM32F429 } from '../../targets/stm32f429.js';
import { FWUP_DUMP_REGIONS, LOADER_APP_IMAGE_LAYOUT as L, LOADER_APP_SLOTS, type LoaderAppImageType, type LoaderAppSlotName } from '../../targets/stm32f429-fwup.js';
import { checkFwupSlot, type FwupSlotCheck } from '../../images/fwup-header.js';
import { InspectError, describeSize } from '../../images/inspect-error.js';
import { checkKnownImages, matchKnownImage, type KnownImage } from '../../images/known-images.js';
import { isErased, usedLength, type SlotReport } from '../../images/slot-report.js';
import { hex32 as hex } from '../../core/hex.js';
import { readSharedRam, readSharedRamFields, type LoaderRamDecision, type SharedRamReading } from './shared-ram-reading.js';

/** The flash regions, and optionally the 256 B of shared RAM at 0x2000_0000 (`hil inspect --ram`). */
export type LoaderAppDump = Record<LoaderAppSlotName, Buffer> & { ram?: Buffer };

/** The loader-app part of a SlotReport (`scheme`). */
export interface LoaderAppSlotState extends Record<string, unknown> {
  /** Header reading (null for the bootloader region, which has none). */
  check: FwupSlotCheck | null;
  /** The vector table the slot would be started through looks runnable (SP in SRAM, Thumb reset vector with code in the slot, info block linked here). */
  vectorsOk: boolean;
  vectorAddr: number;
  sha256Length: number;
}

export interface LoaderAppInspection {
  scheme: 'loader-app';
  slots: SlotReport[];
  /** The program the next reset ends in: slot 2's application, or null (DFU mode, the Updater waiting for a Loader, or nothing). */
  bootsNext: 'slot2' | null;
  /** That start reaches a runnable image. */
  jumps: boolean;
  /** What no start of slot 2 means: the Loader waits in DFU mode, or nothing runs at all. */
  noBootAs: 'waiting' | 'bricked';
  /** The Loader is what the bootloader starts (false: it falls back to slot 2, or stops). */
  loaderRuns: boolean;
  /** No committed Loader: the bootloader starts slot 2's committed image itself (its last resort, the seed's "degraded mode"). */
  fallback?: true;
  bootPath: string[];
  /** The shared RAM's reading, when a RAM dump was given. */
  ram?: SharedRamReading;
  /** Slot 2's committed Updater is what runs: it waits for a Loader (bootsNext null, waiting). */
  updaterWaits?: true;
  /** The RAM kept the Loader from starting a committed slot 2 (it enters DFU mode instead). */
  ramDecides?: Exclude<LoaderRamDecision, 'start-slot2'>;
}

const ACCEPT: Record<'slot1' | 'slot2', readonly LoaderAppImageType[]> = { slot1: ['loader'], slot2: ['app', 'updater'] };

function checkDump(dump: unknown): LoaderAppDump {
  if (typeof dump !== 'object' || dump === null) throw new InspectError(`loader-app dump: expected an object with ${FWUP_DUMP_REGIONS.map((r) => r.name).join(', ')}`);
  for (const r of FWUP_DUMP_REGIONS) {
    const v = (dump as Record<string, unknown>)[r.name];
    if (!(v instanceof Uint8Array)) throw new InspectError(`loader-app dump: region ${r.name} is missing (expected ${describeSize(r.size)})`, { region: r.name, expected: r.size });
    if (v.length !== r.size) {
      throw new InspectError(`loader-app dump: region ${r.name} is ${describeSize(v.length)}, expected ${describeSize(r.size)}`, { region: r.name, expected: r.size, actual: v.length });
    }
  }
  const ram = (dump as Record<string, unknown>).ram;
  if (ram !== undefined) {
    if (!(ram instanceof Uint8Array)) throw new InspectError('loader-app dump: ram must be the bytes of the shared RAM', { region: 'ram' });
    readSharedRamFields(ram);
  }
  return dump as LoaderAppDump;
}

function vectorsRunnable(name: LoaderAppSlotName, content: Buffer, vectorAddr: number): boolean {
  const slot = LOADER_APP_SLOTS[name];
  const at = vectorAddr - slot.base;
  if (at < 0 || at + 8 > content.length) return false;
  const sp = content.readUInt32LE(at);
  const pc = content.readUInt32LE(at + 4);
  const target = ((pc & ~1) >>> 0) - slot.base;
  if (sp < STM32F429.sramBase || sp > STM32F429.sramEnd || pc % 2 !== 1 || target < 0 || target + 256 > content.length) return false;
  if (isErased(content, target - (target % 256), target - (target % 256) + 256)) return false;
  const info = decodeAppInfo(content.subarray(L.appInfoOffset, L.appInfoOffset + APPINFO_SIZE));
  return !('error' in info) && info.linkBase === slot.base;
}

function inspectRegion(name: LoaderAppSlotName, content: Buffer, known: readonly KnownImage[]): SlotReport {
  const slot = LOADER_APP_SLOTS[name];
  const present = !isErased(content);
  const check = name === 'boot' ? null : checkFwupSlot(content, slot, ACCEPT[name]);
  const vectorAddr = name === 'boot' ? slot.base : (check?.header?.vectorAddr ?? slot.base + L.vectorOffset);
  const vectorsOk = present && vectorsRunnable(name, content, vectorAddr);
  const problems = [...(check?.problems ?? [])];
  if (!present) problems.splice(0, problems.length, 'erased (no image)');
  else if (!vectorsOk) problems.push(`the vector table at ${hex(vectorAddr)} does not start a runnable image (SP, reset vector, code or info block)`);
  const valid = present && vectorsOk && (check === null || check.valid);
  const info = present ? decodeAppInfo(content.subarray(L.appInfoOffset, L.appInfoOffset + APPINFO_SIZE)) : undefined;
  const version = info && !('error' in info) ? info.version : check?.header?.version;
  const matched = matchKnownImage(name, content, known);
  // The digest and its length are made when first read (enumerable getters, kept: JSON, clones and
  // `hil inspect` see the same values): a sweep judges thousands of readings by `matches` and reads
  // neither, and hashing the slots was most of its reading. So `content` must stay as dumped while
  // the report is in use (a sweep's probe reuses its buffers only for the next point's reading).
  let length: number | undefined;
  const sha256Length = () => (length ??= matched?.length ?? (check?.header && check.headerOk ? Math.ceil((check.header.dataSize + 32) / 256) * 256 : usedLength(content)));
  let digest: string | undefined;
  const state: LoaderAppSlotState = {
    check,
    vectorsOk,
    vectorAddr,
    get sha256Length() {
      return sha256Length();
    },
  };
  return {
    slot: name,
    base: slot.base,
    present,
    valid,
    ...(version !== undefined && { version }),
    ...(info && !('error' in info) && { linkBase: info.linkBase }),
    get sha256() {
      return (digest ??= createHash('sha256').update(content.subarray(0, sha256Length())).digest('hex'));
    },
    ...(matched && { matches: matched.name }),
    problems,
    scheme: state,
  };
}

/** Inspects a dump. InspectError for a missing or wrongly sized region or an unusable known image; never throws on the bytes. */
export function inspectLoaderApp(dump: LoaderAppDump, opts: { known?: KnownImage[] } = {}): LoaderAppInspection {
  const d = checkDump(dump);
  const known = checkKnownImages(opts.known, LOADER_APP_SLOTS.slot2.size, ['boot', 'slot1', 'slot2']);
  const slots = FWUP_DUMP_REGIONS.map((r) => inspectRegion(r.name, d[r.name], known));
  const [boot, slot1, slot2] = slots as [SlotReport, SlotReport, SlotReport];
  const s1 = slot1.scheme as LoaderAppSlotState;
  const s2 = slot2.scheme as LoaderAppSlotState;
  const bootPath: string[] = [];
  if (!(boot.scheme as LoaderAppSlotState).vectorsOk) bootPath.push('the bootloader region does not hold a runnable bootloader: the core faults at reset');
  const loaderRuns = s1.check?.headerOk === true;
  const slot2Committed = s2.check?.headerOk === true;
  let bootsNext: 'slot2' | null = null;
  let noBootAs: 'waiting' | 'bricked' = 'waiting';
  let fallback = false;
  const ram = d.ram ? readSharedRam(d.ram) : undefined;
  let ramDecides: LoaderAppInspection['ramDecides'];
  if (loaderRuns) {
    bootPath.push(`slot 1 holds a committed Loader ${s1.check!.header!.version}: the bootloader starts it`);
    if (!s1.vectorsOk) bootPath.push("the Loader's vector table is not runnable: it faults at once");
    if (ram) bootPath.push(...ram.lines);
    if (ram && ram.decision !== 'start-slot2') {
      ramDecides = ram.decision;
      bootPath.push(
        slot2Committed
          ? `slot 2 holds a committed ${s2.check!.header!.typeName} ${s2.check!.header!.version}, not started this time: the Loader waits in DFU mode`
          : `slot 2 has no committed image (${s2.check?.state}) either`,
      );
    } else if (slot2Committed) {
      bootPath.push(
        `slot 2 holds a committed ${s2.check!.header!.typeName} ${s2.check!.header!.version}: the Loader starts it${ram ? '' : ' (DFU flag and boot counter taken as clear: no RAM dump given)'}`,
      );
      bootsNext = 'slot2';
    } else bootPath.push(`slot 2 has no committed image (${s2.check?.state}): the Loader stays in DFU mode, waiting for an update`);
  } else {
    bootPath.push(`slot 1 has no committed Loader (${s1.check?.state}): the bootloader falls back to slot 2${ram ? ' (it does not read the shared RAM)' : ''}`);
    if (slot2Committed) {
      bootPath.push(`slot 2 holds a committed ${s2.check!.header!.typeName}: the bootloader starts it directly (degraded: one more fault from bricked)`);
      bootsNext = 'slot2';
      fallback = true;
    } else {
      bootPath.push('slot 2 has no committed image either: nothing runs (only a probe can recover the board)');
      noBootAs = 'bricked';
    }
  }
  const bootOk = (boot.scheme as LoaderAppSlotState).vectorsOk && (!loaderRuns || s1.vectorsOk);
  let jumps = bootsNext !== null && bootOk && s2.vectorsOk;
  if (bootsNext && !jumps) bootPath.push('that start does not reach a runnable image: it faults (a watchdog reset loop)');
  if (bootsNext && !slot2.valid && s2.check?.headerOk && !s2.check.crcOk)
    bootPath.push('slot 2 is started although its data does not match its header CRC (the header was written before all of its data)');
  // The Updater (step 1 of a Loader update) runs only to wait for a new Loader over the console: for
  // the verdict that is DFU-like waiting, not an application start.
  let updaterWaits = false;
  if (bootsNext && jumps && s2.check?.header?.typeName === 'updater') {
    bootPath.push('the Updater then waits for a Loader over the console (waiting: a Loader update recovers it)');
    bootsNext = null;
    jumps = false;
    noBootAs = 'waiting';
    updaterWaits = true;
  }
  if (ram) bootPath.push('the RAM holds over a system, watchdog or pin reset; a power cut loses it (the Loader then re-initialises it)');
  return {
    scheme: 'loader-app',
    slots,
    bootsNext,
    jumps,
    noBootAs,
    loaderRuns,
    ...(fallback && { fallback }),
    bootPath,
    ...(updaterWaits && { updaterWaits }),
    ...(ram && { ram }),
    ...(ramDecides && { ramDecides }),
  };
}
