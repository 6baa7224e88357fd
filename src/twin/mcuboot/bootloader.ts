/**
 * MCUboot with swap-scratch (reference/bootloader-formats-and-faults.md §2.3–2.5, §3.1), as one
 * power-on of an MCU: everything in `this` is RAM and dies with the power. Every flash write and
 * erase is an mcu.flashOp, so a cut lands inside it per the power-loss mode. The three areas may
 * live in different parts: an area behind a shared bus (`port`) is read and written through the
 * bus's locking driver (the lock taken around each access), with the bus's transfer times.
 */
import type { Mcu } from '../mcu.js';
import { JumpedToEnd, type ResumeTrail } from '../flash/resume-memo.js';
import { areaErase, areaProgram, areaRead, type FlashArea, type McubootAreas } from './flash-area.js';
import { checkImage, readHeader } from './image-check.js';
import {
  BOOT_MAGIC,
  SWAP_TYPE_NAMES,
  STATES,
  SwapType,
  describeSwapState,
  readStatusRecords,
  readSwapState,
  statusRecordAddress,
  trailerInfoSpan,
  trailerOffsets,
  trailerSize,
  u32,
  wordOf,
  type SwapState,
} from './trailer.js';

/** BUF_SZ in loader.c: one program op per 1 KiB. */
const BUF_SZ = 1024;
/** Software SHA-256 on the 64 MHz Cortex-M (tinycrypt): about 1 ms per KiB (inferred). */
const HASH_MS_PER_KIB = 1;
const LOG_BAUD = 115200;

/** Seeded power-fail bugs of the bootloader (src/twin/mcuboot-swap/variants.ts says what each does). */
export type McubootBug = 'no-status-journal' | 'journal-before-copy' | 'never-revert' | 'resume-skips-erased-pages' | 'resume-unjournaled';

interface BootStatus {
  /** Region, 1 = the highest-addressed one. */
  idx: number;
  /** 1..3 (BOOT_STATUS_STATE_0..2): the step to run next. */
  state: number;
  useScratch: boolean;
  swapType: number;
  swapSize: number;
}

export interface McubootBootloaderOptions {
  areas: McubootAreas;
  /** A seeded bug, or none: MCUboot as the reference describes it. */
  bug?: McubootBug;
  /**
   * Validate the secondary before a swap (default true, as MCUboot does). False: a build with
   * MCUBOOT_SKIP_VALIDATE_SECONDARY_SLOT, which swaps in whatever the secondary holds.
   */
  validateSecondary?: boolean;
  /** Put before each log line (a board whose processors share a log): default none. */
  logPrefix?: string;
  /** The offset the log line `Bootloader chainload address offset` prints. */
  chainloadOffset: number;
  /**
   * A board's tail-memo checkpoint at each swap checkpoint (../board-tail.ts), given all the
   * bootloader holds there; may throw PowerLost (the board's tape took over).
   */
  checkpoint?(ram: string): void;
  /** Chainloads the image in the primary; called after `Jumping to the first image slot`. */
  runApp(mcu: Mcu, vectorTable: number): Promise<void>;
}

export class McubootBootloader {
  /** This power-on is completing a swap it found interrupted. */
  private resuming = false;
  /** The first step after a resume has not finished yet. */
  private redoingStep = false;
  /** This swap's checkpoints, when a sweep's recovery lets it jump to an end run before (../flash/resume-memo.ts). */
  private trail?: ResumeTrail;
  private readonly PRIMARY: FlashArea;
  private readonly SECONDARY: FlashArea;
  private readonly SCRATCH: FlashArea;
  private readonly SECTOR: number;
  /** The variant name in memo keys ('correct' without a bug). */
  private readonly variant: string;
  private readonly bug?: McubootBug;

  constructor(
    private readonly mcu: Mcu,
    private readonly opts: McubootBootloaderOptions,
  ) {
    this.PRIMARY = opts.areas.primary;
    this.SECONDARY = opts.areas.secondary;
    this.SCRATCH = opts.areas.scratch;
    this.SECTOR = this.PRIMARY.config.sector;
    this.bug = opts.bug;
    this.variant = opts.bug ?? 'correct';
  }

  static program(opts: McubootBootloaderOptions): (mcu: Mcu) => Promise<void> {
    return (mcu) => new McubootBootloader(mcu, opts).main();
  }

  private log(line: string): Promise<void> {
    return this.mcu.printBlocking((this.opts.logPrefix ?? '') + line + '\n', LOG_BAUD);
  }

  /** The area's swap state; an area on the bus is read through it first (under the lock, its transfer time). */
  private async swapState(area: FlashArea): Promise<SwapState> {
    if (area.port) {
      const span = trailerInfoSpan(area);
      await areaRead(area, span.address, span.length);
    }
    return readSwapState(area);
  }

  async main(): Promise<void> {
    const { mcu, PRIMARY, SECONDARY, SCRATCH } = this;
    mcu.emit({ kind: 'boot', image: 'bootloader' });
    await this.log('I: Starting bootloader');

    const primary = PRIMARY.port ? await this.swapState(PRIMARY) : readSwapState(PRIMARY);
    const scratch = SCRATCH.port ? await this.swapState(SCRATCH) : readSwapState(SCRATCH);
    await this.log(`I: Primary image: ${describeSwapState(primary)}`);
    await this.log(`I: Scratch: ${describeSwapState(scratch)}`);
    const source = this.statusSource(primary, scratch);
    await this.log(`I: Boot source: ${source ? (source === SCRATCH ? 'scratch' : 'primary slot') : 'none'}`);

    const bs = source ? await this.readStatus(source) : undefined;
    // swap_read_status takes the swap type from the status trailer's swap_info even when no
    // record is written yet (the status then reads as reset: idx 1 state 0, "not a partial swap").
    const trailerType = source && !bs ? readSwapState(source).swapType : SwapType.NONE;
    if (bs) {
      this.resuming = true;
      this.redoingStep = true;
      await this.log(`I: Resuming interrupted ${SWAP_TYPE_NAMES[bs.swapType] ?? 'none'} swap at idx ${bs.idx} state ${bs.state}`);
      await this.swapOrJump(bs);
    } else {
      let type: number;
      if (trailerType !== SwapType.NONE) {
        // boot_prepare_image_for_update: a status trailer whose swap was cut before its first
        // record means start that swap over, with that swap type (the secondary is validated
        // first). The swap table cannot be used here: the secondary's request (TEST/PERM) or the
        // primary's copy_done (REVERT) may already be gone.
        type = trailerType;
      } else {
        const secondary = SECONDARY.port ? await this.swapState(SECONDARY) : readSwapState(SECONDARY);
        await this.log(`I: Secondary image: ${describeSwapState(secondary)}`);
        type = this.swapType(primary, secondary);
      }
      await this.log(`I: Swap type: ${SWAP_TYPE_NAMES[type]}`);
      if (type !== SwapType.NONE && this.opts.validateSecondary !== false && !(await this.validate(SECONDARY))) {
        await this.log('E: Image in the secondary slot is not valid!');
        await this.eraseRegion(SECONDARY, 0, SECONDARY.size);
        // A begun swap whose secondary fails is BOOT_SWAP_TYPE_FAIL: MCUboot sets image_ok in the
        // primary ("pretending we just reverted"). From the swap tables an invalid image is only
        // "no bootable image" (NONE): nothing is written.
        if (trailerType !== SwapType.NONE) await this.setPrimaryImageOk();
        type = SwapType.NONE;
      }
      if (type !== SwapType.NONE) {
        await this.log('I: Starting swap using scratch algorithm.');
        if (SECONDARY.port) await areaRead(SECONDARY, SECONDARY.base, 32);
        const swapSize = Math.max(this.imageSize(PRIMARY), this.imageSize(SECONDARY));
        const fresh: BootStatus = { idx: 1, state: 1, useScratch: false, swapType: type, swapSize };
        await this.swapOrJump(fresh);
      }
    }

    if (!(await this.validate(PRIMARY))) {
      await this.log('E: Image in the primary slot is not valid!');
      await this.log('E: Unable to find bootable image');
      mcu.emit({ kind: 'phase', name: 'hang', detail: 'no bootable image' });
      return; // FIH panic: the CPU spins here until the next reset
    }
    const hdr = readHeader(PRIMARY)!;
    await this.log(`I: Bootloader chainload address offset: 0x${this.opts.chainloadOffset.toString(16)}`);
    await this.log('I: Jumping to the first image slot');
    mcu.emit({ kind: 'boot', image: 'app', slot: 'primary' });
    await this.opts.runApp(mcu, PRIMARY.base + hdr.hdrSize);
  }

  // ---- decisions ----

  /** swap_status_source with MCUboot's table (the scratch magic must be not-GOOD in the first two rows). */
  private statusSource(p: SwapState, s: SwapState): FlashArea | undefined {
    if (p.magic === 'good' && s.magic !== 'good' && p.copyDone === 'set') return undefined;
    if (p.magic === 'good' && s.magic !== 'good' && p.copyDone === 'unset') return this.PRIMARY;
    if (s.magic === 'good') return this.SCRATCH;
    if (p.magic === 'unset' && p.copyDone === 'unset') return this.PRIMARY;
    return undefined;
  }

  /** The interrupted swap to resume, if the status area holds one. */
  private async readStatus(area: FlashArea): Promise<BootStatus | undefined> {
    if (area.port) await areaRead(area, trailerOffsets(area).status, trailerSize(area));
    const rec = readStatusRecords(area);
    // VALIDATE_PRIMARY_SLOT builds log it and go on (the image check decides later).
    if (rec.inconsistent) await this.log('E: Detected inconsistent status!');
    const t = readSwapState(area);
    const swapSize = Math.min(t.swapSize, this.PRIMARY.size);
    if (rec.found) return { idx: rec.idx, state: rec.state, useScratch: false, swapType: t.swapType, swapSize };
    if (this.bug === 'no-status-journal' && t.magic === 'good' && t.swapType !== SwapType.NONE) {
      // The seeded bug: no journal, so all it knows is "a swap was under way": start it over.
      return { idx: 1, state: 1, useScratch: false, swapType: t.swapType, swapSize };
    }
    return undefined;
  }

  /** boot_swap_tables (§2.5), first match. */
  private swapType(p: SwapState, s: SwapState): number {
    if (s.magic === 'good' && s.imageOk === 'unset') return SwapType.TEST;
    if (s.magic === 'good' && s.imageOk === 'set') return SwapType.PERM;
    if (this.bug !== 'never-revert' && p.magic === 'good' && p.imageOk === 'unset' && p.copyDone === 'set') return SwapType.REVERT;
    return SwapType.NONE;
  }

  private async validate(area: FlashArea): Promise<boolean> {
    const r = checkImage(area);
    this.mcu.emit({ kind: 'phase', name: 'validate', detail: area.name });
    const hashed = r.ok ? r.hashedSize : 0;
    // An image on the bus is read through it for the hash (under the lock, its transfer time).
    if (area.port) await areaRead(area, area.base, Math.max(hashed, 32));
    await this.mcu.sleep((hashed / 1024) * HASH_MS_PER_KIB);
    return r.ok;
  }

  /** boot_read_image_size: header + payload + TLVs; 0 without a header; the whole slot if the TLVs are unreadable. */
  private imageSize(area: FlashArea): number {
    if (!readHeader(area)) return 0;
    const r = checkImage(area);
    return r.totalSize ?? area.size - trailerSize(area);
  }

  // ---- the swap (swap_run / boot_swap_sectors) ----

  /**
   * The swap and its finalization: one silent job, which a sweep's recovery may finish by a jump
   * to where an earlier run of it from the same checkpoint ended. Unarmed, exactly the plain calls
   * (a full replay keeps every await it had). Only when all three areas are in the MCU's own
   * flash: the memo keys that flash's state alone.
   */
  private async swapOrJump(bs: BootStatus): Promise<void> {
    const own = this.mcu.flash;
    const local = [this.PRIMARY, this.SECONDARY, this.SCRATCH].every((a) => a.flash === own && !a.port);
    const trail = local ? own.resume.trail(this.mcu.clock, this.mcu.opObserver !== undefined) : undefined;
    if (!trail) {
      await this.swapRun(bs);
      await this.finalize(bs);
      return;
    }
    this.trail = trail;
    try {
      await this.swapRun(bs);
      await this.finalize(bs);
      trail.finish();
    } catch (err) {
      if (!(err instanceof JumpedToEnd)) throw err;
    } finally {
      this.trail = undefined;
    }
  }

  /**
   * Before each step, and before each step's copy (after its erases: every cut inside a step's
   * copy, and every earlier cut once its redo has erased past it, stands there with the same flash):
   * the rest of the swap depends only on the flash, the position (idx, state, where in the step;
   * the region follows from idx and the swap size) and these flags, so a recovery that stands here
   * with the same flash as an earlier one ends as it did. Not at the start of a step being redone
   * (its flash is the cut's own: a digest for nothing).
   */
  private async checkpoint(bs: BootStatus, where: 'step' | 'copy'): Promise<void> {
    if (where === 'step' && this.redoingStep) return;
    const ram = `${this.variant} ${bs.idx} ${bs.state} ${where} ${bs.swapType} ${bs.swapSize} ${bs.useScratch} ${this.resuming} ${this.redoingStep}`;
    // After the swap, main() reads nothing it held from before it: the board may stand here too.
    this.opts.checkpoint?.(`mcuboot ${ram}`);
    if (this.trail) await this.trail.at(ram, (ms) => this.mcu.sleep(ms));
  }

  private async swapRun(bs: BootStatus): Promise<void> {
    const { PRIMARY, SCRATCH, SECTOR } = this;
    const size = Math.max(bs.swapSize, 1);
    const lastSector = Math.min(Math.ceil(size / SECTOR), PRIMARY.size / SECTOR) - 1;
    let last = lastSector;
    let swapIdx = 0;
    while (last >= 0) {
      let sz = 0;
      let first = last;
      for (let i = last; i >= 0 && sz + SECTOR <= SCRATCH.size; i--) {
        sz += SECTOR;
        first = i;
      }
      if (swapIdx >= bs.idx - 1) await this.swapSectors(first, sz, bs);
      last = first - 1;
      swapIdx++;
    }
  }

  private phase(bs: BootStatus): void {
    this.mcu.emit({ kind: 'phase', name: bs.swapType === SwapType.REVERT ? 'revert' : 'swap', detail: `idx ${bs.idx} state ${bs.state}` });
  }

  private async swapSectors(firstSector: number, sz: number, bs: BootStatus): Promise<void> {
    const { PRIMARY, SECONDARY, SCRATCH, SECTOR } = this;
    const cfg = PRIMARY.config;
    const imgOff = firstSector * SECTOR;
    let copySz = sz;
    if (imgOff + sz > PRIMARY.size - SECTOR) copySz -= trailerSize(PRIMARY);
    bs.useScratch = bs.idx === 1 && copySz !== sz;
    const early = this.bug === 'journal-before-copy';

    if (bs.state === 1) {
      // Never an await of its own unarmed: a full replay's ops keep their exact turns.
      if (this.trail || this.opts.checkpoint) await this.checkpoint(bs, 'step');
      this.phase(bs);
      await this.eraseRegion(SCRATCH, 0, SCRATCH.size);
      if (bs.idx === 1) {
        // A temporary home for swap_type while the primary trailer is erased.
        await this.statusInit(SCRATCH, bs);
        if (!bs.useScratch) {
          await this.eraseTrailerSectors(PRIMARY);
          await this.statusInit(PRIMARY, bs);
          await this.eraseRegion(SCRATCH, 0, SCRATCH.size);
        }
      }
      if (early) await this.writeStatus(bs);
      if (this.trail || this.opts.checkpoint) await this.checkpoint(bs, 'copy');
      await this.copyRegion(SECONDARY, SCRATCH, imgOff, 0, copySz);
      if (!early) await this.writeStatus(bs);
      bs.state = 2;
      this.redoingStep = false;
    }

    if (bs.state === 2) {
      // Never an await of its own unarmed: a full replay's ops keep their exact turns.
      if (this.trail || this.opts.checkpoint) await this.checkpoint(bs, 'step');
      this.phase(bs);
      if (early) await this.writeStatus(bs);
      await this.eraseRegion(SECONDARY, imgOff, sz);
      if (this.trail || this.opts.checkpoint) await this.checkpoint(bs, 'copy');
      await this.copyRegion(PRIMARY, SECONDARY, imgOff, imgOff, copySz);
      // Only one trailer may be live: the request in the secondary is now in the status trailer.
      if (bs.idx === 1 && !bs.useScratch) await this.eraseTrailerSectors(SECONDARY);
      if (!early) await this.writeStatus(bs);
      bs.state = 3;
      this.redoingStep = false;
    }

    if (bs.state === 3) {
      // Never an await of its own unarmed: a full replay's ops keep their exact turns.
      if (this.trail || this.opts.checkpoint) await this.checkpoint(bs, 'step');
      this.phase(bs);
      if (early) await this.writeStatus(bs);
      await this.eraseRegion(PRIMARY, imgOff, sz);
      if (this.trail || this.opts.checkpoint) await this.checkpoint(bs, 'copy');
      await this.copyRegion(SCRATCH, PRIMARY, 0, imgOff, copySz);
      if (bs.useScratch) {
        const scratchStatus = trailerOffsets(SCRATCH).status;
        await this.copyRegion(SCRATCH, PRIMARY, scratchStatus - SCRATCH.base, imgOff + copySz, (STATES - 1) * cfg.writeSize);
        const s = SCRATCH.port ? await this.swapState(SCRATCH) : readSwapState(SCRATCH);
        const t = trailerOffsets(PRIMARY);
        if (s.imageOk === 'set') await this.program(PRIMARY, t.imageOk, wordOf(1, cfg));
        if (s.swapType !== SwapType.NONE) await this.program(PRIMARY, t.swapInfo, wordOf(s.swapType, cfg));
        await this.program(PRIMARY, t.swapSize, u32(bs.swapSize));
        await this.program(PRIMARY, t.magic, BOOT_MAGIC);
      }
      const eraseScratch = bs.useScratch;
      bs.useScratch = false;
      if (!early) await this.writeStatus(bs);
      bs.idx++;
      bs.state = 1;
      this.redoingStep = false;
      // Only after the primary holds the trailer, so a reset never reads a stale scratch status.
      if (eraseScratch) await this.eraseRegion(SCRATCH, SCRATCH.size - SECTOR, SECTOR);
    }
  }

  /** swap_status_init: swap_info, image_ok (from the secondary), swap_size, then the magic last. */
  private async statusInit(area: FlashArea, bs: BootStatus): Promise<void> {
    const cfg = area.config;
    const t = trailerOffsets(area);
    const secondary = this.SECONDARY.port ? await this.swapState(this.SECONDARY) : readSwapState(this.SECONDARY);
    if (bs.swapType !== SwapType.NONE) await this.program(area, t.swapInfo, wordOf(bs.swapType, cfg));
    if (secondary.imageOk === 'set') await this.program(area, t.imageOk, wordOf(1, cfg));
    await this.program(area, t.swapSize, u32(bs.swapSize));
    await this.program(area, t.magic, BOOT_MAGIC);
  }

  private async writeStatus(bs: BootStatus): Promise<void> {
    if (this.bug === 'no-status-journal') return;
    if (this.bug === 'resume-unjournaled' && this.resuming) return;
    const area = bs.useScratch ? this.SCRATCH : this.PRIMARY;
    await this.program(area, statusRecordAddress(area, bs.idx, bs.state), wordOf(bs.state, area.config));
  }

  /** swap_set_image_ok: image_ok in the primary trailer, unless it is already set. */
  private async setPrimaryImageOk(): Promise<void> {
    const p = this.PRIMARY;
    if (readSwapState(p).imageOk === 'unset') await this.program(p, trailerOffsets(p).imageOk, wordOf(1, p.config));
  }

  /** boot_finalize_*: image_ok first for PERM/REVERT (so a cut never leaves a revertable old image), then copy_done. */
  private async finalize(bs: BootStatus): Promise<void> {
    const p = this.PRIMARY;
    const t = trailerOffsets(p);
    const s = readSwapState(p);
    if ((bs.swapType === SwapType.PERM || bs.swapType === SwapType.REVERT) && s.imageOk === 'unset') {
      await this.program(p, t.imageOk, wordOf(1, p.config));
    }
    await this.program(p, t.copyDone, wordOf(1, p.config));
  }

  // ---- flash primitives ----

  /** The op's own promise, not an async wrapper round it: a swap runs hundreds of these per recovery. */
  private program(area: FlashArea, address: number, data: Buffer): Promise<void> {
    if (!area.port) return this.mcu.flashOp(area.flash.program(address, data));
    return areaProgram(this.mcu, area, address, data);
  }

  private async copyRegion(from: FlashArea, to: FlashArea, fromOff: number, toOff: number, len: number): Promise<void> {
    for (let at = 0; at < len; at += BUF_SZ) {
      const n = Math.min(BUF_SZ, len - at);
      // program() copies its data when it starts: the source needs no copy of its own.
      const data = from.port ? await areaRead(from, from.base + fromOff + at, n) : from.flash.peek(from.base + fromOff + at, n);
      await this.program(to, to.base + toOff + at, data);
    }
  }

  /** boot_erase_region: page by page, upwards. */
  private async eraseRegion(area: FlashArea, off: number, len: number): Promise<void> {
    const flash = area.flash;
    const SECTOR = this.SECTOR;
    for (let at = off; at < off + len; at += SECTOR) {
      const page = area.base + at;
      const lastPage = at + SECTOR >= area.size;
      if (this.bug === 'resume-skips-erased-pages' && this.redoingStep && !lastPage) {
        const first = area.port ? (await areaRead(area, page, 4)).readUInt32LE(0) : flash.readU32(page);
        if (first === 0xffffffff) continue; // the seeded bug: "this page was already erased before the cut"
      }
      if (area.port) await areaErase(this.mcu, area, page, SECTOR);
      else await this.mcu.flashOp(flash.erase(page, SECTOR));
    }
  }

  /** swap_erase_trailer_sectors: the pages the trailer covers, from the end. */
  private async eraseTrailerSectors(area: FlashArea): Promise<void> {
    const SECTOR = this.SECTOR;
    const pages = Math.ceil(trailerSize(area) / SECTOR);
    for (let i = 1; i <= pages; i++) {
      const page = area.base + area.size - i * SECTOR;
      if (area.port) await areaErase(this.mcu, area, page, SECTOR);
      else await this.mcu.flashOp(area.flash.erase(page, SECTOR));
    }
  }
}
