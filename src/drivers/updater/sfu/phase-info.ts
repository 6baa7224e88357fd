/**
 * info: poll INFO every 250 ms (100 ms after a HWRESET) until the bootloader answers, then check
 * that the stream fits the slot INFO reports, before anything is erased.
 *
 * Nothing of ours is on the device yet, so a WRERROR or TIMEOUT here is a leftover of an earlier
 * session, and a HWRESET is the device coming up: the next INFO goes out soon after it.
 */
import { SfuCode, decodeInfoReply, type InfoReply } from '../../../protocols/sfu/index.js';
import type { UploadContext } from './context.js';
import { SfuLinkError, SfuStreamTooBigError } from './errors.js';
import { hex, hex32 } from '../../../core/hex.js';
import { ignored, type PhaseHandler, type ReplyTable } from './phases.js';
import { SFU_TIMING } from './timing.js';

export class InfoPhase implements PhaseHandler {
  readonly phase = 'info';
  readonly replies: ReplyTable;
  private infoFrames = 0;
  /** HWRESET frames seen so far: each one moves the next INFO to infoAfterResetMs after it. */
  private resets = 0;

  constructor(private readonly s: UploadContext) {
    this.replies = {
      HWRESET: () => {
        this.resets++;
        s.event('hwreset');
      },
      INFO: (body) => {
        if (s.info) return; // an answer to an earlier poll of ours: the first one counts
        s.info = s.decode('INFO reply', () => decodeInfoReply(body));
        s.at.infoReply = s.elapsed();
      },
      ERASE: ignored('no ERASE sent yet: a leftover of an earlier session'),
      ERASE_PART: ignored('no ERASE sent yet: a leftover of an earlier session'),
      WRITE: ignored('no WRITE sent yet: a leftover of an earlier session'),
      START: ignored('no START sent yet: a leftover of an earlier session'),
      SPEED: ignored('the uploader never changes the speed'),
      WRERROR: ignored('nothing of ours caused it (a leftover of an earlier session)'),
      TIMEOUT: ignored('no session of ours to time out yet (a leftover of an earlier session)'),
    };
  }

  enter(): void {
    this.s.progress({ phase: 'info', acked: 0, total: this.s.bytes });
  }

  async run(): Promise<void> {
    const s = this.s;
    const deadline = s.t0 + s.opts.infoTimeoutMs;
    let nextInfo = s.clock.now();
    let resetsSeen = 0;
    while (!s.info) {
      let now = s.clock.now();
      if (this.resets !== resetsSeen) {
        resetsSeen = this.resets;
        nextInfo = now + SFU_TIMING.infoAfterResetMs;
      }
      if (now >= deadline) throw this.noInfoError();
      if (now >= nextInfo) {
        await s.send(SfuCode.INFO);
        this.infoFrames++;
        now = s.clock.now();
        nextInfo = now + SFU_TIMING.infoResendMs;
        continue;
      }
      await s.wake.until(() => s.info !== undefined || this.resets !== resetsSeen, Math.min(nextInfo, deadline) - now);
    }
    const info = s.info;
    s.event('info', `slot ${hex32(info.mainStartFrom)}, SFU ${hex(info.sfuVersion, { width: 4, lower: true, prefix: false })}`, {
      slotBase: info.mainStartFrom,
      slotKib: info.slotKib,
      sfuVersion: info.sfuVersion,
      rxBufferSize: info.rxBufferSize,
    });
    this.checkFits(info);
    s.enter('erase');
  }

  private noInfoError(): SfuLinkError {
    const s = this.s;
    const talking =
      s.linesSeen > 0
        ? ` The device prints text (last line ${JSON.stringify(s.recentLines.at(-1) ?? '')}) but does not answer INFO: it is probably running its application.`
        : ' Nothing came back at all.';
    return new SfuLinkError(
      `no INFO reply from ${s.description} within ${s.opts.infoTimeoutMs} ms (${this.infoFrames} INFO frames sent).${talking} ` +
        'Reset or power-cycle the device so that its SFU bootloader listens (about 2 s after a reset), then retry.',
      'info',
    );
  }

  /** Before anything is erased: the stream must fit the slot INFO reports (which is also the ERASE limit). */
  private checkFits(info: InfoReply): void {
    const s = this.s;
    const limit = info.slotKib * 1024;
    if (s.bytes > limit) {
      throw new SfuStreamTooBigError(
        `the ${s.bytes}-byte stream does not fit the device: INFO reports a ${info.slotKib} KiB slot (${limit} bytes, also the ERASE limit); ` + 'nothing was erased or written',
        s.bytes,
        limit,
      );
    }
    if (info.rxBufferSize <= 0) throw s.deviceError(`INFO reports an RX buffer of ${info.rxBufferSize} bytes`);
  }
}
