/**
 * write: pipelined WRITEs within the window's credit, until the device has acknowledged every
 * byte. A lost frame shows as a reply that stops advancing: the window rewinds to it, and the
 * resend waits a bounded back-off. Without a reply for keepAliveMs an empty WRITE (status poll)
 * goes out, so the device never idles 500 ms and its answer says where it is.
 *
 * Gives up when the device stops answering (device failure), answers without progress, or keeps
 * losing frames (both rig errors: the WRITEs do not get through).
 */
import { SfuCode, decodeWriteReply } from '../../../protocols/sfu/index.js';
import type { UploadContext } from './context.js';
import { SfuDeviceError, SfuLinkError } from './errors.js';
import { hex32 } from '../../../core/hex.js';
import { ignored, type PhaseHandler, type ReplyTable, type Silence } from './phases.js';
import { SFU_TIMING } from './timing.js';

const EMPTY = Buffer.alloc(0);

export class WritePhase implements PhaseHandler {
  readonly phase = 'write';
  readonly replies: ReplyTable;
  /** Last time the device's acknowledged address moved (or the phase's flow began). */
  private lastProgressAt = 0;
  private lastPollAt = -Infinity;
  /** After a rewind, resending waits until then. */
  private backoffUntil = 0;

  constructor(private readonly s: UploadContext) {
    this.replies = {
      WRITE: (body) => this.onWriteReply(s.decode('WRITE reply', () => decodeWriteReply(body)).nextAddr),
      HWRESET: () => s.resetDuringUpload(),
      WRERROR: () => {
        throw s.deviceError(
          `the device refused a WRITE with WRERROR at stream address ${hex32(s.win.acked)} ` + '(a page failed its checks: vector table of the wrong slot, out of the slot, or no erase)',
        );
      },
      TIMEOUT: () => s.timedOut(),
      INFO: ignored('a late answer to an INFO poll: INFO was already answered'),
      ERASE_PART: ignored('the ERASE reply already came: a late or repeated progress frame'),
      ERASE: ignored('the ERASE reply already came: a repeated one changes nothing'),
      START: ignored('no START sent yet'),
      SPEED: ignored('the uploader never changes the speed'),
    };
  }

  async run(): Promise<void> {
    const s = this.s;
    const win = s.win;
    const { keepAliveMs, noReplyMs, noProgressMs } = SFU_TIMING;
    // The no-progress clock starts with this flow, not at the ERASE reply: a pre-written WRITE may still have been going out.
    this.lastProgressAt = s.clock.now();
    while (!win.done) {
      s.wake.check();
      const now = s.clock.now();
      if (now - s.lastRxAt >= noReplyMs) throw this.noReplyError();
      if (now - this.lastProgressAt >= noProgressMs) {
        throw new SfuLinkError(
          `no progress for ${noProgressMs} ms: the device answers but stays at stream address ${hex32(win.acked)} ` +
            `(${win.resyncs} resyncs, ${win.polls} status polls): the WRITEs to ${s.description} do not get through`,
          'write',
        );
      }
      let wakeAt = Math.min(Math.max(s.lastRxAt, this.lastPollAt) + keepAliveMs, s.lastRxAt + noReplyMs, this.lastProgressAt + noProgressMs);
      if (win.canSend()) {
        if (now >= this.backoffUntil) {
          await s.sendNextWrite();
          continue;
        }
        wakeAt = Math.min(wakeAt, this.backoffUntil);
      }
      if (now - Math.max(s.lastRxAt, this.lastPollAt) >= keepAliveMs) {
        // No answer for a while: a status poll keeps the device's 500 ms packet timer from expiring
        // even if the WRITEs are being lost. After a long silence, whatever is in flight is presumed
        // lost, and the poll's answer is taken as the truth.
        if (now - s.lastRxAt >= SFU_TIMING.expireAfterMs && win.inFlight > 0) win.expire();
        else win.expireStale();
        win.poll();
        this.lastPollAt = now;
        s.event('poll', `status poll at ${hex32(win.sendPtr)}`);
        await s.send(SfuCode.WRITE, EMPTY);
        continue;
      }
      await s.nextEvent(Math.max(1, wakeAt - now));
    }
    s.enter('start');
  }

  silence(): Silence {
    return { due: this.s.lastRxAt + SFU_TIMING.noReplyMs, error: () => this.noReplyError() };
  }

  private onWriteReply(nextAddr: number): void {
    const s = this.s;
    const win = s.win;
    const outcome = win.reply(nextAddr);
    switch (outcome.kind) {
      case 'progress': {
        this.lastProgressAt = s.clock.now();
        s.at.lastAck = s.elapsed();
        const acked = outcome.acked - win.base;
        s.rateSamples.push({ t: s.at.lastAck, acked, sent: win.highestSent - win.base });
        s.event('write-ack', hex32(outcome.acked), { acked, total: s.bytes });
        s.progress({ phase: 'write', acked, total: s.bytes });
        return;
      }
      case 'same':
        return;
      case 'resync': {
        this.backoffUntil = s.clock.now() + SFU_TIMING.backoffMs(outcome.consecutive);
        s.event('resync', `rewind to ${hex32(outcome.rewindTo)}`, {
          to: outcome.rewindTo - win.base,
          consecutive: outcome.consecutive,
          stale: outcome.stale,
        });
        if (outcome.consecutive > SFU_TIMING.maxResyncs) {
          throw new SfuLinkError(
            `${outcome.consecutive} resyncs in a row at stream address ${hex32(outcome.rewindTo)} without the device acknowledging ` +
              `anything new: frames to or from ${s.description} keep getting lost (check the cable, the baud rate and the ground)`,
            s.phase,
          );
        }
        return;
      }
      case 'invalid':
        throw s.deviceError(outcome.reason);
    }
  }

  private noReplyError(): SfuDeviceError {
    const s = this.s;
    const win = s.win;
    return s.deviceError(
      `the device stopped answering: no reply for ${SFU_TIMING.noReplyMs} ms in the write phase ` + `(acknowledged ${win.acked - win.base} of ${s.bytes} bytes, ${win.polls} status polls sent)`,
    );
  }
}
