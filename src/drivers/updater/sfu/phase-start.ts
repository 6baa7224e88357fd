/**
 * start: send START(SFU CRC of the stream) once, and compare the 12-byte reply with the upload:
 * the slot base INFO announced, the byte count, the CRC. A device that took wrong data, or wrote
 * another slot, says so here, before it signs anything.
 *
 * START is never resent: the device closes the session on the first one it sees.
 */
import { SfuCode, decodeStartReply, encodeStartRequest, sfuCrc } from '../../../protocols/sfu/index.js';
import type { UploadContext } from './context.js';
import { hex32 } from '../../../core/hex.js';
import { verdictLine } from './phase-sign.js';
import { ignored, type PhaseHandler, type ReplyTable, type Silence } from './phases.js';
import { SFU_TIMING } from './timing.js';
import type { VerdictLine } from './verdict.js';

export class StartPhase implements PhaseHandler {
  readonly phase = 'start';
  readonly replies: ReplyTable;
  private crc = 0;
  private sentAt = 0;

  constructor(private readonly s: UploadContext) {
    this.replies = {
      START: (body) => {
        if (s.startReply) return; // only the first reply counts (the device sends one)
        s.startReply = s.decode('START reply', () => decodeStartReply(body));
        s.at.startReply = s.elapsed();
      },
      // A verdict line can beat the START reply to the host; after it, the device restarting is its job done.
      HWRESET: () => {
        if (s.verdict === 'none') s.resetDuringUpload();
      },
      WRERROR: () => {
        throw s.deviceError('the device sent WRERROR after START');
      },
      // Once the START reply is in, the session is over on the device's side: its packet timer no longer matters.
      TIMEOUT: () => {
        if (!s.startReply) s.timedOut();
      },
      INFO: ignored('a late answer to an INFO poll: INFO was already answered'),
      ERASE_PART: ignored('the erase is long over'),
      ERASE: ignored('the erase is long over'),
      WRITE: ignored('every byte is acknowledged: a late or repeated WRITE reply'),
      SPEED: ignored('the uploader never changes the speed'),
    };
  }

  readonly line = (kind: VerdictLine | undefined): void => verdictLine(this.s, kind);

  enter(): void {
    const s = this.s;
    this.crc = sfuCrc(s.stream);
    this.sentAt = s.clock.now();
    s.event('start', `crc ${hex32(this.crc)}, ${s.bytes} bytes`, { crc: this.crc, bytes: s.bytes });
    s.progress({ phase: 'start', acked: s.bytes, total: s.bytes });
  }

  async run(): Promise<void> {
    const s = this.s;
    const win = s.win;
    // Sent once (see the top of this file).
    await s.send(SfuCode.START, encodeStartRequest(this.crc));
    const answered = await s.wake.until(() => s.startReply !== undefined, SFU_TIMING.startReplyMs);
    if (!answered) throw this.noReplyError();
    const reply = s.startReply!;
    const wrong: string[] = [];
    if (reply.slotBase >>> 0 !== win.base) wrong.push(`slot base ${hex32(reply.slotBase)} (INFO announced ${hex32(win.base)})`);
    if (reply.count >>> 0 !== s.bytes) wrong.push(`count ${reply.count >>> 0} (sent ${s.bytes})`);
    if (reply.crc >>> 0 !== this.crc) wrong.push(`CRC ${hex32(reply.crc)} (expected ${hex32(this.crc)})`);
    if (wrong.length) {
      throw s.deviceError(`the START reply does not match the upload: ${wrong.join(', ')}; the device will not sign this image`);
    }
    s.enter('sign');
  }

  silence(): Silence | undefined {
    if (this.s.startReply) return undefined;
    return { due: this.sentAt + SFU_TIMING.startReplyMs, error: () => this.noReplyError() };
  }

  private noReplyError() {
    return this.s.deviceError(`no START reply within ${SFU_TIMING.startReplyMs} ms after START (not resent: the device closes the session on the first one)`);
  }
}
