/**
 * One SFU upload, start to verdict (reference/sfu-protocol.md §8 "Host uploader"):
 *
 *   info   poll INFO every 250 ms (100 ms after a HWRESET) until the bootloader answers
 *   erase  check the stream fits, send ERASE(length) exactly once, follow ERASE_PART
 *   write  pipelined WRITEs (pre-written from the first ERASE_PART), rewinds on lost frames,
 *          empty WRITEs as status poll / keep-alive so the device never idles 500 ms
 *   start  START(SFU CRC of the stream), sent once; the 12-byte reply is compared here
 *   sign   watch the console for the device's verdict: SIGNED, CRC OK, CRC != NEED, bin2page_errors!
 *
 * Frame and line handlers only update state and wake the flow; the flow is the only code that
 * sends, and it checks for a failure (abort, link closed, device error) before each send.
 */
import type { Clock } from '../../../core/clock.js';
import { ExitCode, HilError } from '../../../core/errors.js';
import type { Timeline } from '../../../core/timeline.js';
import {
  SFU_VER_RP2040,
  SfuCode,
  decodeEraseReply,
  decodeErasePart,
  decodeInfoReply,
  decodeStartReply,
  decodeWriteReply,
  encodeEraseRequest,
  encodeFrame,
  encodeStartRequest,
  encodeWriteRequest,
  sfuCodeName,
  sfuCrc,
  type InfoReply,
  type StartReply,
} from '../../../protocols/sfu/index.js';
import { describeChannel, onChannelClose, type SfuChannel, type SfuFrameIn, type SfuLineIn } from './channel.js';
import { SfuDeviceError, SfuLinkError, hex32 } from './errors.js';
import type { ResolvedUploadOptions } from './options.js';
import type { SfuPhase, SfuProgress, SfuUploadResult } from './result.js';
import { classifyVerdictLine } from './verdict.js';
import { Wake } from './wake.js';
import { WriteWindow } from './write-window.js';

/** Every wait of the protocol, in clock milliseconds. */
export const SFU_TIMING = {
  /** INFO is resent this often until the bootloader answers. */
  infoResendMs: 250,
  /** After a HWRESET the next INFO goes out this much later (the CLI's value). */
  infoAfterResetMs: 100,
  /** Slowest datasheet metadata-sector erase before the first 64 KiB block (W25Q: 0.4 s). */
  eraseSignBlockMs: 400,
  /** Slowest datasheet 64 KiB block erase (W25Q: 2 s). */
  eraseBlockMs: 2000,
  /** Added to every erase wait: frames on the wire, USB latency, host scheduling. */
  eraseMarginMs: 500,
  /**
   * Without a reply for this long during the write phase, an empty WRITE goes out (and again
   * every keepAliveMs while none comes): it restarts the device's 500 ms packet timer even when
   * the WRITEs themselves are being lost, and its answer says where the device is.
   */
  keepAliveMs: 300,
  /**
   * No frame at all for this long with WRITEs in flight: they (or their replies) are lost. The
   * window forgets them, and the next status poll's answer says where the device is. Far above
   * any path latency while replies flow (a pty's socat stalls up to ~0.2 s), far below noReplyMs.
   */
  expireAfterMs: 1000,
  /** No frame at all from the device for this long during the write phase: it stopped answering. */
  noReplyMs: 3000,
  /**
   * The device answers but its acknowledged address has not moved for this long: the WRITEs do not
   * get through. Generous, so that one 3840-byte WRITE at 9600 baud (4 s) still fits.
   */
  noProgressMs: 6000,
  /** Rewinds in a row without the device acknowledging anything new before giving up. */
  maxResyncs: 8,
  /** Back-off before resending after the k-th rewind in a row: 0, 25, 50, 100, then 200 ms. */
  backoffMs: (consecutive: number): number => (consecutive <= 1 ? 0 : Math.min(200, 25 * 2 ** (consecutive - 2))),
  /** A write the transport has not taken after this long is a stalled port. */
  writeStallMs: 5000,
  /** START reply: the device flushes one page and answers; anything queued before it comes first. */
  startReplyMs: 2000,
  /** Console verdict after the START reply (signing reads the 1980 KiB slot and programs a page). */
  verdictMs: 3000,
} as const;

/** The stream does not fit the device: nothing was erased or written. */
export class SfuStreamTooBigError extends HilError {
  constructor(
    message: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(message, ExitCode.usage);
  }
}

const EMPTY = Buffer.alloc(0);

export interface SessionDeps {
  channel: SfuChannel;
  clock: Clock;
  timeline?: Timeline;
}

export class UploadSession {
  private readonly clock: Clock;
  private readonly channel: SfuChannel;
  private readonly timeline?: Timeline;
  private readonly wake: Wake;
  private readonly description: string;
  private readonly stream: Buffer;
  private readonly bytes: number;
  private readonly t0: number;
  private readonly offs: (() => void)[] = [];
  private readonly recentLines: string[] = [];

  private phase: SfuPhase = 'info';
  /** Bumped on every frame or line: what the write loop waits for. */
  private events = 0;
  private lastRxAt: number;
  private lastPollAt = -Infinity;
  /** Clock time the write in progress was handed to the channel, if one is. */
  private writingSince?: number;
  private lastProgressAt = 0;
  private infoFrames = 0;
  private linesSeen = 0;

  private info?: InfoReply;
  private resetSeen = false;
  private eraseSent = false;
  private eraseBlocks = 0;
  private eraseParts = 0;
  private lastErasePartAt?: number;
  private eraseSentAt?: number;
  private startSentAt?: number;
  private eraseDone = false;
  private window?: WriteWindow;
  private backoffUntil = 0;
  private prewrittenBytes = 0;
  /** At the first WRITE and at every ack: elapsed ms, stream bytes acknowledged and handed to the transport (see steadyRate). */
  private readonly rateSamples: { t: number; acked: number; sent: number }[] = [];
  private startSent = false;
  private startReply?: StartReply;
  private verdict: 'signed' | 'crc-ok' | 'none' = 'none';
  private crcOkSeen = false;
  private readonly at: Partial<Record<'infoReply' | 'eraseSent' | 'firstErasePart' | 'eraseReply' | 'firstWrite' | 'lastAck' | 'startReply' | 'verdict', number>> = {};

  constructor(
    deps: SessionDeps,
    stream: Uint8Array,
    private readonly opts: ResolvedUploadOptions,
  ) {
    this.clock = deps.clock;
    this.channel = deps.channel;
    if (deps.timeline) this.timeline = deps.timeline;
    this.wake = new Wake(deps.clock);
    this.description = describeChannel(deps.channel);
    this.stream = padToWords(stream);
    this.bytes = this.stream.length;
    this.t0 = this.lastRxAt = deps.clock.now();
  }

  async run(): Promise<SfuUploadResult> {
    this.subscribe();
    try {
      await this.infoPhase();
      this.checkFits();
      await this.eraseAndWrite();
      await this.startPhase();
      await this.signPhase();
      return this.result();
    } catch (error) {
      this.event('failed', error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      for (const off of this.offs.splice(0)) off();
    }
  }

  // ---- wiring ----

  private subscribe(): void {
    const { signal } = this.opts;
    if (signal) {
      const onAbort = (): void => this.wake.fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.offs.push(() => signal.removeEventListener('abort', onAbort));
      if (signal.aborted) onAbort();
    }
    this.offs.push(this.channel.onFrame((f) => this.onFrame(f)));
    if (this.channel.onLine) this.offs.push(this.channel.onLine((l) => this.onLine(l)));
    this.offs.push(
      onChannelClose(this.channel, (reason) => {
        const why = reason ? `: ${reason.message}` : '';
        this.wake.fail(new SfuLinkError(`${this.description} closed during the ${this.phase} phase of the SFU upload${why}`, this.phase, { cause: reason }));
      }),
    );
  }

  private onFrame(frame: SfuFrameIn): void {
    if (this.wake.failed) return;
    this.lastRxAt = this.clock.now();
    this.events++;
    try {
      this.handleFrame(frame);
    } catch (error) {
      this.wake.fail(error);
    }
    this.wake.wake();
  }

  private onLine(line: SfuLineIn): void {
    this.recentLines.push(line.text);
    if (this.recentLines.length > 8) this.recentLines.shift();
    this.linesSeen++;
    if (this.wake.failed || !this.startSent) return;
    this.events++;
    switch (classifyVerdictLine(line.text)) {
      case 'signed':
        this.verdict = 'signed';
        this.at.verdict ??= this.elapsed();
        break;
      case 'crc-ok':
        this.crcOkSeen = true;
        if (this.info && this.info.sfuVersion < SFU_VER_RP2040) {
          this.verdict = 'crc-ok';
          this.at.verdict ??= this.elapsed();
        }
        break;
      case 'crc-mismatch':
        this.wake.fail(this.deviceError('the device rejected the stream CRC after START (CRC != NEED); the slot is not signed'));
        break;
      case 'bin2page-errors':
        this.wake.fail(this.deviceError('the device found BIN2Page decoding errors after START (bin2page_errors!); the slot is not signed'));
        break;
    }
    this.wake.wake();
  }

  private handleFrame({ code, body }: SfuFrameIn): void {
    switch (code) {
      case SfuCode.HWRESET:
        if (!this.eraseSent) {
          this.resetSeen = true;
          this.event('hwreset');
          return;
        }
        if (this.verdict !== 'none') return;
        throw this.deviceError(`the device reset during the upload (HWRESET in the ${this.phase} phase); the target slot is left unsigned`);
      case SfuCode.INFO:
        if (this.eraseSent || this.info) return;
        this.info = this.decode('INFO reply', () => decodeInfoReply(body));
        this.at.infoReply = this.elapsed();
        return;
      case SfuCode.ERASE_PART:
        if (!this.eraseSent || this.eraseDone) return;
        this.eraseParts = this.decode('ERASE_PART', () => decodeErasePart(body));
        this.lastErasePartAt = this.clock.now();
        this.at.firstErasePart ??= this.elapsed();
        this.window?.erasePart();
        this.event('erase-part', `${this.eraseParts}/${this.eraseBlocks}`, { blocks: this.eraseParts, of: this.eraseBlocks });
        this.progress({ phase: 'erase', acked: 0, total: this.bytes, erase: { blocks: this.eraseParts, of: this.eraseBlocks } });
        return;
      case SfuCode.ERASE: {
        if (!this.eraseSent || this.eraseDone) return;
        const echoed = this.decode('ERASE reply', () => decodeEraseReply(body));
        if (echoed !== this.bytes) {
          throw this.deviceError(
            echoed === undefined
              ? `the device answered ERASE(${this.bytes}) with an empty ERASE reply (nothing erased)`
              : `the device's ERASE reply echoes ${echoed} bytes, not the ${this.bytes} requested`,
          );
        }
        this.eraseDone = true;
        this.at.eraseReply = this.elapsed();
        this.prewrittenBytes = this.window ? this.window.highestSent - this.window.base : 0;
        this.event('erase-done', `${this.eraseParts} blocks`, { blocks: this.eraseParts, prewritten: this.prewrittenBytes });
        this.progress({ phase: 'write', acked: 0, total: this.bytes });
        return;
      }
      case SfuCode.WRITE:
        if (!this.eraseDone || this.startSent || !this.window) return;
        this.onWriteReply(this.decode('WRITE reply', () => decodeWriteReply(body)).nextAddr);
        return;
      case SfuCode.START:
        if (!this.startSent || this.startReply) return;
        this.startReply = this.decode('START reply', () => decodeStartReply(body));
        this.at.startReply = this.elapsed();
        return;
      case SfuCode.WRERROR:
        if (!this.eraseSent) return; // nothing of ours caused it (a leftover of an earlier session)
        throw this.deviceError(this.wrerrorMessage());
      case SfuCode.TIMEOUT:
        if (!this.eraseSent || this.startReply) return;
        if (this.writingSince !== undefined && this.clock.now() - this.writingSince >= 400) {
          // Our own write has been stuck in the transport: the device timing out is the consequence.
          throw new SfuLinkError(
            `a write to ${this.description} has been stalled for ${Math.round(this.clock.now() - this.writingSince)} ms, ` +
              'and the device timed the session out meanwhile (TIMEOUT)',
            this.phase,
          );
        }
        throw this.deviceError(
          `the device timed out the session (TIMEOUT in the ${this.phase} phase: no complete packet for 500 ms); the target slot is left unsigned`,
        );
      default:
        return; // SPEED and unknown codes: nothing to do with an upload
    }
  }

  private wrerrorMessage(): string {
    if (!this.eraseDone) return `the device refused ERASE(${this.bytes}) with WRERROR`;
    if (!this.startSent) {
      const at = this.window ? hex32(this.window.acked) : '?';
      return `the device refused a WRITE with WRERROR at stream address ${at} (a page failed its checks: vector table of the wrong slot, out of the slot, or no erase)`;
    }
    return 'the device sent WRERROR after START';
  }

  private onWriteReply(nextAddr: number): void {
    const win = this.window!;
    const outcome = win.reply(nextAddr);
    switch (outcome.kind) {
      case 'progress': {
        this.lastProgressAt = this.clock.now();
        this.at.lastAck = this.elapsed();
        const acked = outcome.acked - win.base;
        this.rateSamples.push({ t: this.at.lastAck, acked, sent: win.highestSent - win.base });
        this.event('write-ack', hex32(outcome.acked), { acked: outcome.acked - win.base, total: this.bytes });
        this.progress({ phase: 'write', acked, total: this.bytes });
        return;
      }
      case 'same':
        return;
      case 'resync': {
        this.backoffUntil = this.clock.now() + SFU_TIMING.backoffMs(outcome.consecutive);
        this.event('resync', `rewind to ${hex32(outcome.rewindTo)}`, {
          to: outcome.rewindTo - win.base,
          consecutive: outcome.consecutive,
          stale: outcome.stale,
        });
        if (outcome.consecutive > SFU_TIMING.maxResyncs) {
          throw new SfuLinkError(
            `${outcome.consecutive} resyncs in a row at stream address ${hex32(outcome.rewindTo)} without the device acknowledging ` +
              `anything new: frames to or from ${this.description} keep getting lost (check the cable, the baud rate and the ground)`,
            this.phase,
          );
        }
        return;
      }
      case 'invalid':
        throw this.deviceError(outcome.reason);
    }
  }

  // ---- phases ----

  private async infoPhase(): Promise<void> {
    this.progress({ phase: 'info', acked: 0, total: this.bytes });
    const deadline = this.t0 + this.opts.infoTimeoutMs;
    let nextInfo = this.clock.now();
    while (!this.info) {
      let now = this.clock.now();
      if (this.resetSeen) {
        this.resetSeen = false;
        nextInfo = now + SFU_TIMING.infoAfterResetMs;
      }
      if (now >= deadline) throw this.noInfoError();
      if (now >= nextInfo) {
        await this.send(SfuCode.INFO);
        this.infoFrames++;
        now = this.clock.now();
        nextInfo = now + SFU_TIMING.infoResendMs;
        continue;
      }
      await this.wake.until(() => this.info !== undefined || this.resetSeen, Math.min(nextInfo, deadline) - now);
    }
    const info = this.info;
    this.event('info', `slot ${hex32(info.mainStartFrom)}, SFU ${info.sfuVersion.toString(16).padStart(4, '0')}`, {
      slotBase: info.mainStartFrom,
      slotKib: info.slotKib,
      sfuVersion: info.sfuVersion,
      rxBufferSize: info.rxBufferSize,
    });
  }

  private noInfoError(): SfuLinkError {
    const talking =
      this.linesSeen > 0
        ? ` The device prints text (last line ${JSON.stringify(this.recentLines.at(-1) ?? '')}) but does not answer INFO: it is probably running its application.`
        : ' Nothing came back at all.';
    return new SfuLinkError(
      `no INFO reply from ${this.description} within ${this.opts.infoTimeoutMs} ms (${this.infoFrames} INFO frames sent).${talking} ` +
        'Reset or power-cycle the device so that its SFU bootloader listens (about 2 s after a reset), then retry.',
      'info',
    );
  }

  /** Before anything is erased: the stream must fit the slot INFO reports (which is also the ERASE limit). */
  private checkFits(): void {
    const info = this.info!;
    const limit = info.slotKib * 1024;
    if (this.bytes > limit) {
      throw new SfuStreamTooBigError(
        `the ${this.bytes}-byte stream does not fit the device: INFO reports a ${info.slotKib} KiB slot (${limit} bytes, also the ERASE limit); ` +
          'nothing was erased or written',
        this.bytes,
        limit,
      );
    }
    if (info.rxBufferSize <= 0) throw this.deviceError(`INFO reports an RX buffer of ${info.rxBufferSize} bytes`);
  }

  private async eraseAndWrite(): Promise<void> {
    const info = this.info!;
    const win = new WriteWindow({ base: info.mainStartFrom, stream: this.stream, block: this.opts.writeBlock, rxBudget: info.rxBufferSize });
    this.window = win;
    this.phase = 'erase';
    this.eraseBlocks = Math.ceil(this.bytes / 0x1_0000);
    // Marked before the await: replies may arrive while the write is in progress.
    this.eraseSent = true;
    this.at.eraseSent = this.elapsed();
    const eraseSentAt = this.clock.now();
    this.eraseSentAt = eraseSentAt;
    this.event('erase', `${this.bytes} bytes at ${hex32(win.base)}`, { bytes: this.bytes, blocks: this.eraseBlocks });
    this.progress({ phase: 'erase', acked: 0, total: this.bytes, erase: { blocks: 0, of: this.eraseBlocks } });
    // Sent exactly once per session: a second ERASE flips the slot selector again and would erase
    // the slot the device runs from (reference §7 item 2).
    await this.send(SfuCode.ERASE, encodeEraseRequest(this.bytes));

    const { keepAliveMs, noReplyMs, noProgressMs } = SFU_TIMING;
    while (!win.done) {
      this.wake.check();
      const now = this.clock.now();
      let wakeAt: number;
      if (!this.eraseDone) {
        const eraseDeadline = this.eraseDeadline();
        if (now >= eraseDeadline) throw this.eraseTimeoutError(now - (this.lastErasePartAt ?? eraseSentAt));
        wakeAt = eraseDeadline;
      } else {
        if (this.phase !== 'write') {
          this.phase = 'write';
          this.lastProgressAt = now;
        }
        if (now - this.lastRxAt >= noReplyMs) throw this.noReplyError();
        if (now - this.lastProgressAt >= noProgressMs) {
          throw new SfuLinkError(
            `no progress for ${noProgressMs} ms: the device answers but stays at stream address ${hex32(win.acked)} ` +
              `(${win.resyncs} resyncs, ${win.polls} status polls): the WRITEs to ${this.description} do not get through`,
            'write',
          );
        }
        wakeAt = Math.min(Math.max(this.lastRxAt, this.lastPollAt) + keepAliveMs, this.lastRxAt + noReplyMs, this.lastProgressAt + noProgressMs);
      }

      const mayWrite = this.eraseDone || (this.opts.prewrite && this.eraseParts > 0);
      if (mayWrite && win.canSend()) {
        if (now >= this.backoffUntil) {
          const frame = win.take();
          if (this.at.firstWrite === undefined) {
            this.at.firstWrite = this.elapsed();
            this.rateSamples.push({ t: this.at.firstWrite, acked: 0, sent: 0 });
          }
          await this.send(SfuCode.WRITE, encodeWriteRequest(frame.addr, frame.data));
          continue;
        }
        wakeAt = Math.min(wakeAt, this.backoffUntil);
      }
      if (this.eraseDone && now - Math.max(this.lastRxAt, this.lastPollAt) >= keepAliveMs) {
        // No answer for a while: a status poll keeps the device's 500 ms packet timer from expiring
        // even if the WRITEs are being lost. After a long silence, whatever is in flight is presumed
        // lost, and the poll's answer is taken as the truth.
        if (now - this.lastRxAt >= SFU_TIMING.expireAfterMs && win.inFlight > 0) win.expire();
        else win.expireStale();
        win.poll();
        this.lastPollAt = now;
        this.event('poll', `status poll at ${hex32(win.sendPtr)}`);
        await this.send(SfuCode.WRITE, EMPTY);
        continue;
      }
      const seen = this.events;
      await this.wake.until(() => this.events !== seen, Math.max(1, wakeAt - now));
    }
    this.phase = 'write';
  }

  /** When the erase has taken longer than the slowest datasheet flash allows. */
  private eraseDeadline(): number {
    return this.lastErasePartAt === undefined
      ? this.eraseSentAt! + SFU_TIMING.eraseSignBlockMs + SFU_TIMING.eraseBlockMs + SFU_TIMING.eraseMarginMs
      : this.lastErasePartAt + SFU_TIMING.eraseBlockMs + SFU_TIMING.eraseMarginMs;
  }

  private noReplyError(): SfuDeviceError {
    const win = this.window!;
    return this.deviceError(
      `the device stopped answering: no reply for ${SFU_TIMING.noReplyMs} ms in the write phase ` +
        `(acknowledged ${win.acked - win.base} of ${this.bytes} bytes, ${win.polls} status polls sent)`,
    );
  }

  private noStartReplyError(): SfuDeviceError {
    return this.deviceError(`no START reply within ${SFU_TIMING.startReplyMs} ms after START (not resent: the device closes the session on the first one)`);
  }

  /**
   * Once the device has answered INFO, its silence is a device failure (exit 1), decided by the
   * phase's own deadline, whether or not a write of ours is stuck meanwhile: a device that stops
   * taking bytes (a frozen twin behind a pty, a board holding its flow control) also stalls our
   * writes, and which of the two timers fired first used to decide between exit 1 and exit 3 for
   * the same fault (issue 8 defect 15). A write stall stays a rig error when the device is still
   * talking. Returns the clock time of the phase's deadline and the failure it means.
   */
  private silence(): { due: number; error: (now: number) => SfuDeviceError } | undefined {
    if (this.startSentAt !== undefined) {
      if (this.startReply) return undefined;
      return { due: this.startSentAt + SFU_TIMING.startReplyMs, error: () => this.noStartReplyError() };
    }
    if (this.eraseSentAt === undefined) return undefined; // before: nothing answered yet (no INFO is a rig error)
    if (!this.eraseDone) {
      return { due: this.eraseDeadline(), error: (now) => this.eraseTimeoutError(now - (this.lastErasePartAt ?? this.eraseSentAt!)) };
    }
    return { due: this.lastRxAt + SFU_TIMING.noReplyMs, error: () => this.noReplyError() };
  }

  /** Rejects with the silence failure when the phase's deadline passes (re-armed as frames move it). */
  private watchSilence(reject: (error: SfuDeviceError) => void): () => void {
    let timer: { cancel(): void } | undefined;
    let stopped = false;
    const arm = (): void => {
      if (stopped) return;
      const s = this.silence();
      if (!s) return;
      const now = this.clock.now();
      if (now >= s.due) return reject(s.error(now));
      timer = this.clock.setTimer(s.due - now, arm);
    };
    arm();
    return () => {
      stopped = true;
      timer?.cancel();
    };
  }

  private eraseTimeoutError(waitedMs: number): SfuDeviceError {
    const what =
      this.eraseParts === 0
        ? 'the first ERASE_PART or the ERASE reply'
        : `ERASE_PART ${this.eraseParts + 1} of ${this.eraseBlocks} or the ERASE reply`;
    return this.deviceError(
      `waited ${Math.round(waitedMs)} ms for ${what} (the slowest datasheet erase is ${SFU_TIMING.eraseBlockMs} ms per 64 KiB block ` +
        `+ ${SFU_TIMING.eraseSignBlockMs} ms). The device must be reset before retrying: ERASE is never resent, because a second ` +
        'ERASE in the same session would erase the slot the device runs from',
    );
  }

  private async startPhase(): Promise<void> {
    const win = this.window!;
    this.phase = 'start';
    const crc = sfuCrc(this.stream);
    this.startSent = true;
    this.startSentAt = this.clock.now();
    this.event('start', `crc ${hex32(crc)}, ${this.bytes} bytes`, { crc, bytes: this.bytes });
    this.progress({ phase: 'start', acked: this.bytes, total: this.bytes });
    // Sent once: the device closes the session on the first START it sees.
    await this.send(SfuCode.START, encodeStartRequest(crc));
    const answered = await this.wake.until(() => this.startReply !== undefined, SFU_TIMING.startReplyMs);
    if (!answered) {
      throw this.noStartReplyError();
    }
    const reply = this.startReply!;
    const wrong: string[] = [];
    if (reply.slotBase >>> 0 !== win.base) wrong.push(`slot base ${hex32(reply.slotBase)} (INFO announced ${hex32(win.base)})`);
    if (reply.count >>> 0 !== this.bytes) wrong.push(`count ${reply.count >>> 0} (sent ${this.bytes})`);
    if (reply.crc >>> 0 !== crc) wrong.push(`CRC ${hex32(reply.crc)} (expected ${hex32(crc)})`);
    if (wrong.length) {
      throw this.deviceError(`the START reply does not match the upload: ${wrong.join(', ')}; the device will not sign this image`);
    }
  }

  private async signPhase(): Promise<void> {
    this.phase = 'sign';
    this.progress({ phase: 'sign', acked: this.bytes, total: this.bytes });
    if (this.channel.onLine) {
      const found = await this.wake.until(() => this.verdict !== 'none', SFU_TIMING.verdictMs);
      if (!found) {
        const why = this.crcOkSeen ? 'CRC OK but no SIGNED line' : 'no CRC OK / SIGNED line';
        this.event('no-verdict', `${why} within ${SFU_TIMING.verdictMs} ms`);
      }
    }
    if (this.verdict === 'signed') this.event('signed', hex32(this.startReply!.slotBase));
    if (this.verdict === 'crc-ok') this.event('crc-ok', `${hex32(this.startReply!.slotBase)} (SFU ${this.info!.sfuVersion.toString(16).padStart(4, '0')} never signs)`);
    this.phase = 'done';
    this.progress({ phase: 'done', acked: this.bytes, total: this.bytes });
  }

  private result(): SfuUploadResult {
    const win = this.window!;
    const info = this.info!;
    const reply = this.startReply!;
    const end = this.elapsed();
    return {
      ok: this.verdict !== 'none',
      signed: this.verdict === 'signed',
      slotBase: reply.slotBase >>> 0,
      announcedSlotBase: info.mainStartFrom >>> 0,
      bytes: this.bytes,
      crc: reply.crc >>> 0,
      seconds: end / 1000,
      bytesPerSecond: this.steadyRate(),
      resyncs: win.resyncs,
      info,
      prewrittenBytes: this.prewrittenBytes,
      writeFrames: win.dataFrames + win.polls,
      polls: win.polls,
      verdict: this.verdict,
      timing: {
        infoReply: this.at.infoReply!,
        eraseSent: this.at.eraseSent!,
        ...(this.at.firstErasePart !== undefined && { firstErasePart: this.at.firstErasePart }),
        eraseReply: this.at.eraseReply!,
        ...(this.at.firstWrite !== undefined && { firstWrite: this.at.firstWrite }),
        lastAck: this.at.lastAck ?? this.at.eraseReply!,
        startReply: this.at.startReply!,
        ...(this.at.verdict !== undefined && { verdict: this.at.verdict }),
        end,
      },
    };
  }

  /**
   * Payload bytes per second the upload sustained on the line: bytes acknowledged over the time
   * they demonstrably took, never a fit (a least-squares fit over bunched acks reported 2.95x the
   * line rate through a pty: issue 8 defect 14).
   *
   * For two moments t_i < t_j (the first WRITE, then every ack), the bytes handed to the transport
   * after t_i and acknowledged by t_j crossed the line inside [t_i, t_j], whatever the delays of
   * frames and acks and whatever the device had buffered: their count over t_j - t_i cannot
   * outrun the line. Every such pair is a valid lower bound, so the best one is too; it is the
   * steady write phase (spans that include the erase or a stall score lower). Pairs must carry at
   * least 8 WRITEs of bytes (or the whole stream), so one frame's timing does not make the figure.
   */
  private steadyRate(): number {
    const samples = this.rateSamples;
    const minBytes = Math.min(this.bytes, 8 * this.opts.writeBlock);
    let best = 0;
    for (let j = 1; j < samples.length; j++) {
      const end = samples[j]!;
      for (let i = 0; i < j; i++) {
        const start = samples[i]!;
        const counted = end.acked - start.sent;
        if (counted < minBytes) break; // later starts have sent more: fewer bytes still
        if (end.t > start.t) best = Math.max(best, counted / ((end.t - start.t) / 1000));
      }
    }
    return best;
  }

  // ---- helpers ----

  /** Sends one frame, unless the upload has failed or was aborted; a write that fails or stalls is a rig error. */
  private async send(code: number, body?: Uint8Array): Promise<void> {
    this.wake.check();
    const frame = encodeFrame('host', code, body);
    let written: Promise<void>;
    try {
      written = Promise.resolve(this.channel.write(frame));
    } catch (error) {
      written = Promise.reject(error);
    }
    let stall: { cancel(): void } | undefined;
    const stalled = new Promise<never>((_, reject) => {
      stall = this.clock.setTimer(SFU_TIMING.writeStallMs, () =>
        reject(new SfuLinkError(`writing ${sfuCodeName(code)} to ${this.description} stalled for ${SFU_TIMING.writeStallMs} ms`, this.phase)),
      );
    });
    stalled.catch(() => {});
    let stopSilence: (() => void) | undefined;
    const silent = new Promise<never>((_, reject) => {
      stopSilence = this.watchSilence(reject);
    });
    silent.catch(() => {});
    this.writingSince = this.clock.now();
    try {
      await this.wake.race(Promise.race([written, stalled, silent]));
    } catch (error) {
      this.wake.check();
      if (error instanceof SfuLinkError || error instanceof SfuDeviceError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new SfuLinkError(`writing ${sfuCodeName(code)} to ${this.description} failed: ${why}`, this.phase, { cause: error });
    } finally {
      stall?.cancel();
      stopSilence?.();
      this.writingSince = undefined;
    }
    this.wake.check();
  }

  private decode<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.deviceError(`malformed ${what}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  }

  private deviceError(message: string, cause?: unknown): SfuDeviceError {
    return new SfuDeviceError(message, this.phase, [...this.recentLines.slice(-4)], cause === undefined ? undefined : { cause });
  }

  private progress(p: SfuProgress): void {
    if (!this.opts.onProgress) return;
    try {
      this.opts.onProgress(p);
    } catch (error) {
      this.wake.fail(error);
    }
  }

  private event(kind: string, detail?: string, data?: Record<string, unknown>): void {
    this.timeline?.add('updater', kind, detail, data);
  }

  private elapsed(): number {
    return this.clock.now() - this.t0;
  }
}

/** The stream padded with 0xFF to whole 32-bit words (the CRC and every WRITE work on words). */
export function padToWords(stream: Uint8Array): Buffer {
  const pad = (4 - (stream.length % 4)) % 4;
  const out = Buffer.alloc(stream.length + pad, 0xff);
  out.set(stream, 0);
  return out;
}
