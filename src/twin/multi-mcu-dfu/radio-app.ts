/**
 * The radio's (nRF52840) application: the BLE co-processor's side of the product update.
 *
 * - At start: a test image (swapped in, not confirmed) runs its self-test and confirms itself;
 *   then it reports `boot <v>` on the link (and answers `version?` with `version <v>` at any time).
 * - `dfu ready <size> <sha256>`: if the image it runs already is that one (the host signals again
 *   after a cut, not knowing whether the first signal got through), it answers `dfu done <v>`;
 *   otherwise it hashes its secondary under the lock: a match marks it pending (boot_set_pending:
 *   the trailer sector erased if needed, then the magic), answers `dfu ok` and reboots into
 *   MCUboot, which swaps; a mismatch answers `dfu bad`.
 * - Every LOG_EVERY_MS, for its first LOG_RECORDS_PER_BOOT records after a start, it appends a
 *   small record to the radio-log region, under the lock: the bus traffic a host that skips the
 *   lock collides with (bounded, so a settled product is quiet: a sweep cuts at every op).
 */
import { createHash } from 'node:crypto';
import { SHARED_PARTITIONS } from '../../targets/nrf91-nrf52-product.js';
import { appBanner } from '../app.js';
import { stateNs } from '../board-tail.js';
import type { AppendLog } from '../append-log.js';
import type { NorFlash } from '../flash/nor-flash.js';
import type { Mcu } from '../mcu.js';
import type { SpiPort } from '../spi-bus/shared-flash.js';
import type { UartLinkEnd } from '../uart-link.js';
import { flagWord, imageExtent, memberSlot, readTrailer, runningApp, RUN_ADDRESS, trailerAddresses, TRAILER_MAGIC, TRAILER_SECTOR } from './slots.js';
import type { MultiMcuDfuVariant } from './variants.js';

const PRIMARY = memberSlot('radio', 'primary');
const SECONDARY = memberSlot('radio', 'secondary');
/** Time the new app runs its self-test before it confirms itself. */
export const SELF_TEST_MS = 200;
export const LOG_EVERY_MS = 100;
export const LOG_RECORDS_PER_BOOT = 48;
const LOG_RECORD = 32;
/** Software SHA-256 on the 64 MHz Cortex-M4: about 1 ms per KiB (inferred, as MCUboot's). */
const HASH_MS_PER_KIB = 1;
const WATCHDOG_MS = 100;

export interface RadioAppOptions {
  variant: MultiMcuDfuVariant;
  port: SpiPort;
  link: UartLinkEnd;
  /** NVIC system reset (or the watchdog) into the radio's boot chain; never returns. */
  reboot(): never;
  /** Shared-NOR base of the radio-log region (virtual). */
  logBase: number;
}

export function radioLogBase(sharedBase: number): number {
  return sharedBase + SHARED_PARTITIONS.radioLog.base;
}

/** The radio log's region in the shared NOR `flash`, as a board's tail memo keys around it (../append-log.ts). */
export function radioLog(flash: NorFlash): AppendLog {
  const base = radioLogBase(flash.base);
  return { base, size: SHARED_PARTITIONS.radioLog.size, align: LOG_RECORD, next: () => logNext(flash, base) };
}

/** Offset of the first free record after the last written one: the app's scan at its first record after a start (a log library's). */
export function logNext(flash: NorFlash, logBase: number): number {
  const last = flash.lastWritten(logBase, SHARED_PARTITIONS.radioLog.size);
  return last < 0 ? 0 : (last - (last % LOG_RECORD) + LOG_RECORD) % SHARED_PARTITIONS.radioLog.size;
}

export async function runRadioApp(mcu: Mcu, opts: RadioAppOptions): Promise<void> {
  const read = (a: number, n: number) => mcu.flash.read(a, n);
  const app = runningApp(read, PRIMARY);
  await mcu.sleep(2);
  if (!app || !codePresent(mcu, read)) {
    // A half image: its code runs into erased flash and faults; the watchdog resets the chip.
    mcu.print('=== ERROR HardFault ===\n');
    await mcu.sleep(WATCHDOG_MS);
    opts.reboot();
  }
  mcu.print(appBanner(app.version, 'primary', RUN_ADDRESS.radio, app.buildId) + '\n');
  const radio = new RadioApp(mcu, opts, app.version);
  await radio.run();
}

/** Every 256-byte page of the image's hashed part holds something: a half-swapped image does not. */
function codePresent(mcu: Mcu, read: (a: number, n: number) => Buffer): boolean {
  const ext = imageExtent(read(PRIMARY.base, 32), PRIMARY.size);
  if (!ext) return false;
  for (let at = 0; at + 256 <= ext.hashed; at += 256) if (mcu.flash.isErased(PRIMARY.base + at, 256)) return false;
  return true;
}

class RadioApp {
  private logAt?: number;
  private logSeq = 0;
  /** When this app started: its log records carry its uptime (k_uptime_get), not the clock's absolute time, which a sweep's twin carries over from point to point. */
  private readonly startedAt: number;

  constructor(
    private readonly mcu: Mcu,
    private readonly opts: RadioAppOptions,
    private readonly version: string,
  ) {
    this.startedAt = mcu.clock.now();
  }

  async run(): Promise<void> {
    const { mcu, opts } = this;
    await this.confirmIfTest();
    // `boot`, not `version`: the host tells this report of a (re)start from answers to its questions.
    await opts.link.send(`boot ${this.version}`);
    let nextLog = mcu.clock.now() + LOG_EVERY_MS;
    for (;;) {
      const logging = this.logSeq < LOG_RECORDS_PER_BOOT;
      const due = nextLog;
      // Waiting for a line or its next record: all it holds is said here (a board's tail memo keys it).
      mcu.state = () => this.idleState(logging, due);
      const line = await opts.link.nextLine(logging ? Math.max(0, nextLog - mcu.clock.now()) : 60_000);
      mcu.state = undefined;
      if (line !== undefined) await this.handle(line.trim());
      if (logging && mcu.clock.now() >= nextLog) {
        await this.log();
        nextLog = Math.max(nextLog + LOG_EVERY_MS, mcu.clock.now());
      }
    }
  }

  /** Its RAM while it waits in its loop, times relative to now (to the nanosecond); undefined once a record is due. */
  private idleState(logging: boolean, nextLog: number): string | undefined {
    const now = this.mcu.clock.now();
    if (this.opts.link.pending.length || this.mcu.rxPending) return undefined;
    const schedule = logging ? (nextLog > now ? `next ${stateNs(nextLog - now)} up ${stateNs(now - this.startedAt)}` : undefined) : 'quiet';
    // Where its next record goes is the flash's to say (the memo keys the log apart): said only when its scan would find the same.
    const at = this.logAt === undefined ? 'scan' : this.logAt === logNext(this.opts.port.bus.flash, this.opts.logBase) ? 'end' : undefined;
    return schedule && at && `radio-app ${this.opts.variant} ${this.version} seq ${this.logSeq} at ${at} ${schedule}`;
  }

  private async handle(line: string): Promise<void> {
    if (line === 'version?') return this.opts.link.send(`version ${this.version}`);
    const m = /^dfu ready (\d+) ([0-9a-f]{64})$/.exec(line);
    if (!m) return;
    const size = Number(m[1]);
    const sha = Buffer.from(m[2]!, 'hex');
    this.phase('check', `signal ${size}`);
    // The seeded bug: the signal is trusted as it is, whatever the secondary holds.
    if (this.opts.variant !== 'unchecked-apply') {
      if (size <= PRIMARY.size && (await this.hashPrimary(size)).equals(sha)) {
        await this.opts.link.send(`dfu done ${this.version}`);
        return;
      }
      if (!(await this.hashSecondary(size)).equals(sha)) {
        await this.opts.link.send('dfu bad sha256');
        return;
      }
    }
    await this.setPending();
    await this.opts.link.send('dfu ok');
    this.phase('reboot', 'apply');
    this.opts.reboot();
  }

  /** The image this app runs, hashed as the host's signal names it (the primary's first `size` bytes). */
  private async hashPrimary(size: number): Promise<Buffer> {
    await this.mcu.sleep((size / 1024) * HASH_MS_PER_KIB);
    return createHash('sha256').update(this.mcu.flash.read(PRIMARY.base, size)).digest();
  }

  /** A test image that came up confirms itself (boot_write_img_confirmed) after its self-test. */
  private async confirmIfTest(): Promise<void> {
    const t = readTrailer((a, n) => this.mcu.flash.read(a, n), PRIMARY);
    if (t.magic !== 'good' || t.imageOk) return;
    await this.mcu.sleep(SELF_TEST_MS);
    this.phase('confirm', this.version);
    await this.mcu.flashOp(this.mcu.flash.program(trailerAddresses(PRIMARY).imageOk, flagWord(1)));
  }

  private async hashSecondary(size: number): Promise<Buffer> {
    const { port } = this.opts;
    return port.withLock(async () => {
      const bytes = await port.read(SECONDARY.base, size);
      await this.mcu.sleep((size / 1024) * HASH_MS_PER_KIB);
      return createHash('sha256').update(bytes).digest();
    });
  }

  /** boot_set_pending (test) on the secondary in the shared NOR. */
  private async setPending(): Promise<void> {
    const { port } = this.opts;
    const t = trailerAddresses(SECONDARY);
    this.phase('pending', 'radio');
    await port.withLock(async () => {
      if (readTrailer((a, n) => port.bus.flash.read(a, n), SECONDARY).magic === 'good') return;
      if (!(await port.read(t.sector, TRAILER_SECTOR)).every((b) => b === 0xff)) await port.erase(t.sector, TRAILER_SECTOR);
      await port.program(t.magic, TRAILER_MAGIC);
    });
  }

  /** One record appended to the radio-log region (its next sector erased when the log reaches it; wraps). */
  private async log(): Promise<void> {
    const { port, logBase } = this.opts;
    const size = SHARED_PARTITIONS.radioLog.size;
    const flash = port.bus.flash;
    this.logAt ??= logNext(flash, logBase);
    const rec = Buffer.alloc(LOG_RECORD, 0);
    rec.write(`radio ${this.version} #${this.logSeq++}`.slice(0, 24), 0, 'latin1');
    rec.writeUInt32LE(Math.floor(this.mcu.clock.now() - this.startedAt) >>> 0, 24);
    rec.writeUInt32LE(0x4c4f4721, 28);
    const at = this.logAt;
    await port.withLock(async () => {
      if (at % TRAILER_SECTOR === 0 && !flash.isErased(logBase + at, TRAILER_SECTOR)) await port.erase(logBase + at, TRAILER_SECTOR);
      await port.program(logBase + at, rec);
    });
    this.logAt = (at + LOG_RECORD) % size;
  }

  private phase(name: string, detail?: string): void {
    this.mcu.emit({ kind: 'phase', name, ...(detail !== undefined && { detail }) });
  }
}
