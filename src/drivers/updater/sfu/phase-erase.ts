/**
 * erase: send ERASE(length) exactly once and follow the device's ERASE_PART frames until its ERASE
 * reply, which must echo the length. From the first ERASE_PART on, WRITEs are pre-written (the
 * device's DMA ring collects them while its CPU erases), unless the caller turned that off.
 *
 * ERASE is never resent, not even when the erase takes too long: a second ERASE in the same session
 * flips the slot selector again and would erase the slot the device runs from (reference §7 item 2).
 */
import { SfuCode, decodeEraseReply, decodeErasePart, encodeEraseRequest } from '../../../protocols/sfu/index.js';
import type { UploadContext } from './context.js';
import { SfuDeviceError } from './errors.js';
import { hex32 } from '../../../core/hex.js';
import { ignored, type PhaseHandler, type ReplyTable, type Silence } from './phases.js';
import { SFU_TIMING } from './timing.js';
import { WriteWindow } from './write-window.js';

export class ErasePhase implements PhaseHandler {
  readonly phase = 'erase';
  readonly replies: ReplyTable;
  /** 64 KiB blocks the erase takes. */
  private blocks = 0;
  /** Blocks erased so far, as the last ERASE_PART said. */
  private parts = 0;
  private sentAt = 0;
  private lastPartAt?: number;

  constructor(private readonly s: UploadContext) {
    this.replies = {
      ERASE_PART: (body) => this.onErasePart(body),
      ERASE: (body) => this.onEraseReply(body),
      HWRESET: () => s.resetDuringUpload(),
      WRERROR: () => {
        throw s.deviceError(`the device refused ERASE(${s.bytes}) with WRERROR`);
      },
      TIMEOUT: () => s.timedOut(),
      INFO: ignored('a late answer to an INFO poll: INFO was already answered'),
      // The device programs nothing before its ERASE reply; a WRITE reply now answers no WRITE of this session.
      WRITE: ignored('the device answers WRITEs only once the erase is over'),
      START: ignored('no START sent yet'),
      SPEED: ignored('the uploader never changes the speed'),
    };
  }

  enter(): void {
    const s = this.s;
    const info = s.info!;
    s.window = new WriteWindow({ base: info.mainStartFrom, stream: s.stream, block: s.opts.writeBlock, rxBudget: info.rxBufferSize });
    this.blocks = Math.ceil(s.bytes / 0x1_0000);
    // Marked before ERASE goes out: ERASE_PART may arrive while the write is still in progress.
    s.at.eraseSent = s.elapsed();
    this.sentAt = s.clock.now();
    s.event('erase', `${s.bytes} bytes at ${hex32(s.window.base)}`, { bytes: s.bytes, blocks: this.blocks });
    s.progress({ phase: 'erase', acked: 0, total: s.bytes, erase: { blocks: 0, of: this.blocks } });
  }

  async run(): Promise<void> {
    const s = this.s;
    const win = s.win;
    // Sent exactly once per session (see the top of this file).
    await s.send(SfuCode.ERASE, encodeEraseRequest(s.bytes));
    // The ERASE reply moves the upload to the write phase (onEraseReply), whatever this loop is doing.
    while (s.phase === 'erase') {
      s.wake.check();
      const now = s.clock.now();
      const deadline = this.deadline();
      if (now >= deadline) throw this.timeoutError(now);
      // No back-off here: WRITE replies are only read from the write phase on, so nothing rewinds yet.
      if (s.opts.prewrite && this.parts > 0 && win.canSend()) {
        await s.sendNextWrite();
        continue;
      }
      await s.nextEvent(Math.max(1, deadline - now));
    }
  }

  silence(): Silence {
    return { due: this.deadline(), error: (now) => this.timeoutError(now) };
  }

  private onErasePart(body: Buffer): void {
    const s = this.s;
    this.parts = s.decode('ERASE_PART', () => decodeErasePart(body));
    this.lastPartAt = s.clock.now();
    s.at.firstErasePart ??= s.elapsed();
    // The device drained its DMA ring: a new burst of pre-written WRITEs may start.
    s.win.erasePart();
    s.event('erase-part', `${this.parts}/${this.blocks}`, { blocks: this.parts, of: this.blocks });
    s.progress({ phase: 'erase', acked: 0, total: s.bytes, erase: { blocks: this.parts, of: this.blocks } });
  }

  private onEraseReply(body: Buffer): void {
    const s = this.s;
    const echoed = s.decode('ERASE reply', () => decodeEraseReply(body));
    if (echoed !== s.bytes) {
      throw s.deviceError(
        echoed === undefined ? `the device answered ERASE(${s.bytes}) with an empty ERASE reply (nothing erased)` : `the device's ERASE reply echoes ${echoed} bytes, not the ${s.bytes} requested`,
      );
    }
    s.at.eraseReply = s.elapsed();
    s.prewrittenBytes = s.win.highestSent - s.win.base;
    s.event('erase-done', `${this.parts} blocks`, { blocks: this.parts, prewritten: s.prewrittenBytes });
    s.progress({ phase: 'write', acked: 0, total: s.bytes });
    s.enter('write');
  }

  /** When the erase has taken longer than the slowest datasheet flash allows. */
  private deadline(): number {
    return this.lastPartAt === undefined
      ? this.sentAt + SFU_TIMING.eraseSignBlockMs + SFU_TIMING.eraseBlockMs + SFU_TIMING.eraseMarginMs
      : this.lastPartAt + SFU_TIMING.eraseBlockMs + SFU_TIMING.eraseMarginMs;
  }

  private timeoutError(now: number): SfuDeviceError {
    const waitedMs = now - (this.lastPartAt ?? this.sentAt);
    const what = this.parts === 0 ? 'the first ERASE_PART or the ERASE reply' : `ERASE_PART ${this.parts + 1} of ${this.blocks} or the ERASE reply`;
    return this.s.deviceError(
      `waited ${Math.round(waitedMs)} ms for ${what} (the slowest datasheet erase is ${SFU_TIMING.eraseBlockMs} ms per 64 KiB block ` +
        `+ ${SFU_TIMING.eraseSignBlockMs} ms). The device must be reset before retrying: ERASE is never resent, because a second ` +
        'ERASE in the same session would erase the slot the device runs from',
    );
  }
}
