/**
 * The host's (nRF9160) application: it pulls a product update over its console (the FOTA lines of
 * fota-lines.ts) into the shared NOR and drives the radio and itself through it. Every step is
 * recorded in its dfu-state pages (dfu-state.ts) before the next one depends on it, and every
 * step can run again, so after any cut the next boot carries on from the record:
 *
 * 1. `fota begin`: the record (both images' sizes and hashes) is written, then `fota: accepted`.
 * 2. Download, radio image first: 500-byte chunks, each burst of SPI writes (the sector erase when
 *    a chunk enters a new 4 KiB sector, then the page programs) under the bus lock; a `P` entry
 *    each time a whole sector is in, so a resumed download starts over at that sector (erased
 *    again: a torn program or erase there does not matter).
 * 3. Each image is read back under the lock and hashed; only a match records its version (`V`).
 *    Both checked: stage verified.
 * 4. The radio: unless it already reports the new version, `dfu ready <size> <sha256>` over the
 *    link; it checks the image itself, marks its secondary pending (`dfu ok`), reboots, swaps,
 *    confirms itself and reports `version <v>`. Only that report moves the record to radio-done.
 * 5. The host: marks its own secondary pending (a test swap), reboots; its MCUboot swaps; the new
 *    app asks the radio's version again and only then confirms itself (`fota: complete`). If it
 *    finds the radio on another version it does not confirm: the record goes back to verified and
 *    the reboot reverts it, so the old host redoes step 4.
 * A step is attempted at most MAX_ATTEMPTS times per member (a revert loop gives up).
 */
import { createHash } from 'node:crypto';
import { appBanner } from '../app.js';
import { stateNs } from '../board-tail.js';
import type { Mcu } from '../mcu.js';
import type { SpiPort } from '../spi-bus/shared-flash.js';
import type { UartLinkEnd } from '../uart-link.js';
import { DfuState, Stage, packVersion, unpackVersion, type DfuRecord, type Member } from './dfu-state.js';
import { isData, parseBegin, parseData } from './fota-lines.js';
import { Inbox, type InboxLine } from './inbox.js';
import { flagWord, headerVersion, memberSlot, readTrailer, runningApp, RUN_ADDRESS, trailerAddresses, TRAILER_MAGIC, TRAILER_SECTOR, type Slot } from './slots.js';
import type { MultiMcuDfuVariant } from './variants.js';

export const CHUNK = 500;
const SECTOR = 4096;
/** How long the app waits for the cloud's answer to one `fota get`, and how often it asks again. */
const CHUNK_TIMEOUT_MS = 3000;
const CHUNK_TRIES = 3;
/** How long the radio may take to answer after a boot (its MCUboot may be swapping: a few seconds). */
const RADIO_REPORT_MS = 15_000;
const VERSION_ASK_EVERY_MS = 1000;
const DFU_ANSWER_MS = 3000;
/** The host's own pending marks per update (a revert loop gives up). */
const MAX_ATTEMPTS = 3;
/** Signals to the radio per update: one per boot at most, plus one per silent spell. */
const MAX_SIGNALS = 5;
/** Bytes read back per SPI read while checking an image. */
const READ_BURST = 4096;

const PRIMARY = memberSlot('host', 'primary');
const SECONDARY: Record<Member, Slot> = { host: memberSlot('host', 'secondary'), radio: memberSlot('radio', 'secondary') };

class UpdateFailed extends Error {}

/** The version in a radio's `version <v>` (an answer) or `boot <v>` (its report at each start). */
function versionOf(text: string): string | undefined {
  return /^(?:version|boot) (\S+)/.exec(text)?.[1];
}

export interface HostAppOptions {
  variant: MultiMcuDfuVariant;
  port: SpiPort;
  link: UartLinkEnd;
  /** NVIC system reset into the host's boot chain; never returns. */
  reboot(): never;
  /**
   * A board checkpoint (../board-tail.ts): `state` names all the app holds here, or undefined.
   * May throw PowerLost: the board's tape took over.
   */
  checkpoint?(state: () => string | undefined): void;
}

export function runHostApp(mcu: Mcu, opts: HostAppOptions): Promise<void> {
  return new HostApp(mcu, opts).main();
}

class HostApp {
  private readonly state: DfuState;
  private inbox!: Inbox;
  private own = '?';
  /** The radio's version as it last reported it (the settled lines print it). */
  private radio?: string;
  private busy = false;

  constructor(
    private readonly mcu: Mcu,
    private readonly opts: HostAppOptions,
  ) {
    this.state = new DfuState(mcu);
  }

  private get variant(): MultiMcuDfuVariant {
    return this.opts.variant;
  }

  async main(): Promise<void> {
    const { mcu } = this;
    const app = runningApp((a, n) => mcu.flash.read(a, n), PRIMARY);
    await mcu.sleep(2);
    this.own = app?.version ?? '?';
    mcu.print(appBanner(this.own, 'primary', RUN_ADDRESS.host, app?.buildId ?? '0000000000000000') + '\n');
    this.inbox = new Inbox(mcu, this.opts.link, (l) => this.noticed(l));
    await this.askRadioVersion(RADIO_REPORT_MS, 'main');
    let rec = this.state.read();
    // The seeded bug: an unfinished download is forgotten (the record stays, ignored).
    if (this.variant === 'no-resume' && rec?.stage === Stage.DOWNLOADING) rec = undefined;
    if (rec && rec.stage < Stage.DONE) await this.drive(rec);
    else if (rec?.stage === Stage.FAILED) this.settled('failed gave-up');
    else this.settled('idle');
    await this.serve();
  }

  /** Every line as it arrives: the radio's reports, and `fota begin` while an update runs. */
  private noticed(l: InboxLine): boolean {
    if (l.from === 'link') {
      this.radio = versionOf(l.text) ?? /^dfu done (\S+)/.exec(l.text)?.[1] ?? this.radio;
      return true;
    }
    if (this.busy && l.text.startsWith('fota begin')) {
      this.mcu.print('fota: busy\n');
      return false;
    }
    return true;
  }

  private async serve(): Promise<void> {
    for (;;) {
      const l = await this.inbox.next(60_000, (x) => x.from === 'console' || versionOf(x.text) !== undefined);
      if (!l || l.from !== 'console') continue;
      const begin = parseBegin(l.text);
      if (!begin) continue;
      if ('error' in begin) {
        this.mcu.print(`fota: error ${begin.error}\n`);
        continue;
      }
      const tooBig = (['host', 'radio'] as const).find((m) => begin.images[m].size > SECONDARY[m].size - TRAILER_SECTOR);
      if (tooBig) {
        this.mcu.print(`fota: error too-big ${tooBig}\n`);
        continue;
      }
      this.phase('begin', begin.pkg8);
      const rec = await this.state.begin(begin.pkg8, begin.images);
      this.mcu.print(`fota: accepted ${begin.pkg8}\n`);
      await this.drive(rec);
    }
  }

  private async drive(start: DfuRecord): Promise<void> {
    let rec = start;
    this.busy = true;
    try {
      for (;;) {
        if (rec.stage === Stage.DOWNLOADING) rec = await this.download(rec);
        else if (rec.stage === Stage.VERIFIED) rec = await this.updateRadio(rec);
        else if (rec.stage === Stage.RADIO_DONE || rec.stage === Stage.HOST_APPLYING) rec = await this.updateHost(rec);
        else return;
      }
    } catch (err) {
      if (!(err instanceof UpdateFailed)) throw err;
      this.phase('failed', err.message);
      await this.state.append('S', Stage.FAILED);
      this.settled(`failed ${err.message}`);
    } finally {
      this.busy = false;
    }
  }

  // ---- download ----

  private async download(start: DfuRecord): Promise<DfuRecord> {
    let rec = start;
    for (const m of ['radio', 'host'] as const) {
      const idx = m === 'host' ? 0 : 1;
      while (rec.version[m] === undefined) {
        await this.fetchImage(m, rec);
        rec = this.state.read()!;
        if (rec.version[m] !== undefined) break; // ready-early recorded it before the last chunk
        let version: string;
        try {
          version = await this.checkImage(m, rec);
        } catch (err) {
          // Once: a cut between the last chunk and its `V` entry lets the radio apply the (valid)
          // image by itself, which swaps its old image into the secondary; anything else that
          // fails twice is given up.
          if (!(err instanceof UpdateFailed) || rec.redownloads[m] >= 1) throw err;
          await this.state.append('R', idx);
          rec = await this.state.append('P', idx, 0);
          continue;
        }
        rec = await this.state.append('V', idx, packVersion(version) ?? 0);
      }
    }
    return this.state.append('S', Stage.VERIFIED);
  }

  private async fetchImage(m: Member, rec: DfuRecord): Promise<void> {
    const slot = SECONDARY[m];
    const { size } = rec.images[m];
    let off = rec.progress[m];
    if (off >= size) return;
    if (off === 0) await this.clearTrailer(slot);
    let erasedTo = off;
    let settled = off;
    while (off < size) {
      const at = { off, erasedTo, settled };
      this.opts.checkpoint?.(() => this.downloading(m, rec, at));
      const len = Math.min(CHUNK, size - off);
      const data = await this.fetchChunk(rec.pkg8, m, off, len);
      const end = off + len;
      this.phase('download', `${m} ${end}/${size}`);
      if (this.variant === 'ready-early' && m === 'radio' && end >= size) {
        // The seeded bug: the image counts as complete (and the radio is told) before its last chunk is written.
        await this.state.append('P', 1, size);
        const head = off === 0 ? data : await this.opts.port.withLock(() => this.opts.port.read(slot.base, 32));
        const v = headerVersion(head.subarray(0, 32));
        await this.state.append('V', 1, packVersion(v ?? '0.0.0') ?? 0);
        await this.state.append('A', 1);
        this.phase('signal', 'radio (early)');
        await this.opts.link.send(`dfu ready ${size} ${rec.images.radio.sha256.toString('hex')}`);
        settled = size;
      }
      const write = async () => {
        for (; erasedTo < end; erasedTo += SECTOR) await this.opts.port.erase(slot.base + erasedTo, SECTOR);
        await this.opts.port.program(slot.base + off, data);
      };
      // The seeded bug: chunk writes without the bus lock.
      if (this.variant === 'lock-not-taken') await write();
      else await this.opts.port.withLock(write);
      off = end;
      const whole = off >= size ? size : off - (off % SECTOR);
      if (whole > settled) {
        await this.state.append('P', m === 'host' ? 0 : 1, whole);
        settled = whole;
        this.mcu.print(`fota: progress ${m} ${whole}/${size}\n`);
      }
    }
  }

  /**
   * Its RAM between two chunks of a download: what fetchImage holds, what the rest of the update
   * reads of it (the record's later reads come from flash) and its inbox; undefined while bytes wait
   * in its RX ring or link queue (its readers take them at once: a state between two instants).
   */
  private downloading(m: Member, rec: DfuRecord, at: { off: number; erasedTo: number; settled: number }): string | undefined {
    if (this.mcu.rxPending || this.opts.link.pending.length) return undefined;
    return `host-app ${this.variant} ${this.own} radio ${this.radio ?? '?'} download ${m} ${rec.pkg8} ${rec.images[m].size} ${at.off} ${at.erasedTo} ${at.settled} inbox ${this.inbox.describe()}`;
  }

  /** A secondary's trailer sector must be blank before its image comes in: no stale request may survive. */
  private async clearTrailer(slot: Slot): Promise<void> {
    const t = trailerAddresses(slot);
    await this.opts.port.withLock(async () => {
      const bytes = await this.opts.port.read(t.sector, TRAILER_SECTOR);
      if (!bytes.every((b) => b === 0xff)) await this.opts.port.erase(t.sector, TRAILER_SECTOR);
    });
  }

  private async fetchChunk(pkg8: string, m: Member, off: number, len: number): Promise<Buffer> {
    for (let i = 0; i < CHUNK_TRIES; i++) {
      this.inbox.discard((l) => l.from === 'console' && isData(l.text));
      this.mcu.print(`fota get ${pkg8} ${m} ${off} ${len}\n`);
      const l = await this.inbox.next(CHUNK_TIMEOUT_MS, (x) => x.from === 'console' && parseData(x.text, pkg8, m, off) !== undefined);
      const data = l && parseData(l.text, pkg8, m, off);
      if (data && data.length === len) return data;
    }
    throw new UpdateFailed(`timeout ${m}@${off}`);
  }

  /** Reads the image back under the lock and hashes it; its header version if it matches. */
  private async checkImage(m: Member, rec: DfuRecord): Promise<string> {
    this.phase('verify', m);
    const { size, sha256 } = rec.images[m];
    const bytes = await this.opts.port.withLock(async () => {
      const parts: Buffer[] = [];
      for (let at = 0; at < size; at += READ_BURST) parts.push(await this.opts.port.read(SECONDARY[m].base + at, Math.min(READ_BURST, size - at)));
      return Buffer.concat(parts);
    });
    if (!createHash('sha256').update(bytes).digest().equals(sha256)) throw new UpdateFailed(`verify-${m}`);
    return headerVersion(bytes.subarray(0, 32)) ?? '0.0.0';
  }

  // ---- the radio ----

  /**
   * Signals first, every time (after a cut the host cannot know whether its signal got through):
   * the radio answers `dfu done <v>` if it already runs the image, `dfu ok` (then reboots, swaps
   * and reports) or `dfu bad`. A radio that took the image and came back with another version
   * failed the update.
   */
  private async updateRadio(start: DfuRecord): Promise<DfuRecord> {
    let rec = start;
    const target = unpackVersion(rec.version.radio ?? 0);
    for (;;) {
      if (rec.attempts.radio >= MAX_SIGNALS) throw new UpdateFailed(this.radio === undefined ? 'radio-silent' : 'radio-not-updated');
      rec = await this.state.append('A', 1);
      this.phase('signal', 'radio');
      this.inbox.discard((l) => l.from === 'link' && (l.text.startsWith('dfu ') || versionOf(l.text) !== undefined));
      await this.opts.link.send(`dfu ready ${rec.images.radio.size} ${rec.images.radio.sha256.toString('hex')}`);
      if (this.variant === 'host-confirms-early') {
        // The seeded bug: the host goes ahead (pending and permanent) without the radio's word.
        return this.applyHost(rec, true);
      }
      this.phase('wait radio', 'dfu');
      const ans = await this.inbox.next(DFU_ANSWER_MS, (l) => l.from === 'link' && /^dfu (ok|bad|done)/.test(l.text));
      if (ans?.text.startsWith('dfu bad')) throw new UpdateFailed('radio-rejected');
      if (ans?.text === `dfu done ${target}`) return this.state.append('S', Stage.RADIO_DONE);
      if (ans?.text === 'dfu ok') {
        this.phase('wait radio', 'report');
        // Its report from the new start: not an answer to an earlier question still on its way.
        const report = await this.inbox.next(RADIO_REPORT_MS, (l) => l.from === 'link' && l.text.startsWith('boot '));
        if (report && versionOf(report.text) === target) return this.state.append('S', Stage.RADIO_DONE);
        if (report) throw new UpdateFailed('radio-not-updated');
      }
      // No answer, or the radio just came up: ask, and signal again unless it runs the image now.
      if ((await this.askRadioVersion(RADIO_REPORT_MS, 'update-radio')) === target) return this.state.append('S', Stage.RADIO_DONE);
    }
  }

  /**
   * Asks `version?` until the radio answers or `ms` pass; undefined if it stays silent. `from`: the
   * step that asks (what it does with the answer follows from it and the record in flash).
   */
  private async askRadioVersion(ms: number, from: 'main' | 'update-radio' | 'update-host'): Promise<string | undefined> {
    const { mcu } = this;
    const deadline = mcu.clock.now() + ms;
    this.inbox.discard((l) => l.from === 'link' && versionOf(l.text) !== undefined);
    while (mcu.clock.now() < deadline) {
      await this.opts.link.send('version?');
      const wait = Math.min(VERSION_ASK_EVERY_MS, deadline - mcu.clock.now());
      const until = mcu.clock.now() + wait;
      // Waiting for the answer: all it holds is said here (a board's tail memo keys it).
      mcu.state = () => this.asking(from, deadline, until);
      const l = await this.inbox.next(wait, (x) => x.from === 'link' && versionOf(x.text) !== undefined);
      mcu.state = undefined;
      if (l) return versionOf(l.text);
    }
    return undefined;
  }

  /** Its RAM while it waits for the radio's version: the step, both deadlines (relative, to the nanosecond) and its inbox. */
  private asking(from: string, deadline: number, until: number): string | undefined {
    const now = this.mcu.clock.now();
    if (this.mcu.rxPending || this.opts.link.pending.length || until <= now) return undefined;
    return `host-app ${this.variant} ${this.own} radio ${this.radio ?? '?'} busy ${this.busy} ask ${from} ${stateNs(deadline - now)} ${stateNs(until - now)} inbox ${this.inbox.describe()}`;
  }

  // ---- the host itself ----

  private async updateHost(rec: DfuRecord): Promise<DfuRecord> {
    const target = unpackVersion(rec.version.host ?? 0);
    if (this.own !== target) return this.applyHost(rec, false);
    this.phase('confirm', 'host');
    if (this.variant !== 'host-confirms-early') {
      const rv = await this.askRadioVersion(RADIO_REPORT_MS, 'update-host');
      if (rv !== unpackVersion(rec.version.radio ?? 0)) {
        // Not a pair the product runs: back to the radio's step, from the old host (this test image reverts).
        await this.state.append('S', Stage.VERIFIED);
        this.phase('revert', `radio ${rv ?? 'silent'}`);
        this.opts.reboot();
      }
    }
    await this.confirmSelf();
    const done = await this.state.append('S', Stage.DONE);
    this.settled('complete');
    return done;
  }

  /** Marks the host's secondary pending (permanent: image_ok too) under the lock, records it, reboots into MCUboot. */
  private async applyHost(start: DfuRecord, permanent: boolean): Promise<never> {
    let rec = start;
    if (rec.attempts.host >= MAX_ATTEMPTS) throw new UpdateFailed('host-not-updated');
    rec = await this.state.append('A', 0);
    this.phase('apply host', permanent ? 'permanent' : 'test');
    const slot = SECONDARY.host;
    const t = trailerAddresses(slot);
    const port = this.opts.port;
    await port.withLock(async () => {
      const trailer = readTrailer((a, n) => port.bus.flash.read(a, n), slot);
      if (trailer.magic === 'good' && (!permanent || trailer.imageOk)) return;
      if (!(await port.read(t.sector, TRAILER_SECTOR)).every((b) => b === 0xff)) await port.erase(t.sector, TRAILER_SECTOR);
      if (permanent) await port.program(t.imageOk, flagWord(1));
      await port.program(t.magic, TRAILER_MAGIC);
    });
    if (rec.stage < Stage.HOST_APPLYING) await this.state.append('S', Stage.HOST_APPLYING);
    this.opts.reboot();
  }

  /** boot_set_confirmed on the host's primary: image_ok, if its trailer asks for it. */
  private async confirmSelf(): Promise<void> {
    const t = readTrailer((a, n) => this.mcu.flash.read(a, n), PRIMARY);
    if (t.magic !== 'good' || t.imageOk) return;
    await this.mcu.flashOp(this.mcu.flash.program(trailerAddresses(PRIMARY).imageOk, flagWord(1)));
  }

  // ---- output ----

  private settled(what: string): void {
    this.mcu.print(`fota: ${what} host=${this.own} radio=${this.radio ?? '?'}\n`);
  }

  private phase(name: string, detail?: string): void {
    this.mcu.emit({ kind: 'phase', name, ...(detail !== undefined && { detail }) });
  }
}
