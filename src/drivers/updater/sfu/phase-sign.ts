/**
 * sign: the START reply matched; wait for the console line that says what the device made of it:
 * `NEW CRC32 IEEE802.3 SIGNED` (SFU 0x0200), `CRC OK` (all the verdict an SFU 0x0100 device
 * gives: it never signs), or a refusal (`CRC != NEED`, `bin2page_errors!`: device failures). No
 * line within verdictMs is not an error: the result says ok: false.
 */
import { SFU_VER_RP2040 } from '../../../protocols/sfu/index.js';
import type { UploadContext } from './context.js';
import { hex, hex32 } from '../../../core/hex.js';
import { ignored, type PhaseHandler, type ReplyTable } from './phases.js';
import { SFU_TIMING } from './timing.js';
import type { VerdictLine } from './verdict.js';

export class SignPhase implements PhaseHandler {
  readonly phase = 'sign';
  readonly replies: ReplyTable;

  constructor(private readonly s: UploadContext) {
    this.replies = {
      // The device restarts into the new image once it has signed it; before the verdict, a reset loses it.
      HWRESET: () => {
        if (s.verdict === 'none') s.resetDuringUpload();
      },
      WRERROR: () => {
        throw s.deviceError('the device sent WRERROR after START');
      },
      TIMEOUT: ignored('the START reply closed the session on the device: its packet timer no longer matters'),
      START: ignored('the START reply already came (the device sends one)'),
      INFO: ignored('a late answer to an INFO poll: INFO was already answered'),
      ERASE_PART: ignored('the erase is long over'),
      ERASE: ignored('the erase is long over'),
      WRITE: ignored('every byte is acknowledged: a late or repeated WRITE reply'),
      SPEED: ignored('the uploader never changes the speed'),
    };
  }

  readonly line = (kind: VerdictLine | undefined): void => verdictLine(this.s, kind);

  enter(): void {
    this.s.progress({ phase: 'sign', acked: this.s.bytes, total: this.s.bytes });
  }

  async run(): Promise<void> {
    const s = this.s;
    if (s.channel.onLine) {
      const found = await s.wake.until(() => s.verdict !== 'none', SFU_TIMING.verdictMs);
      if (!found) {
        const why = s.crcOkAt !== undefined ? 'CRC OK but no SIGNED line' : 'no CRC OK / SIGNED line';
        s.event('no-verdict', `${why} within ${SFU_TIMING.verdictMs} ms`);
      }
    }
    const slot = hex32(s.startReply!.slotBase);
    if (s.verdict === 'signed') s.event('signed', slot);
    if (s.verdict === 'crc-ok') s.event('crc-ok', `${slot} (SFU ${hex(s.info!.sfuVersion, { width: 4, lower: true, prefix: false })} never signs)`);
    s.enter('done');
  }
}

/** A console line after START (start and sign phases): records the verdict, or fails the upload on a refusal. */
export function verdictLine(s: UploadContext, kind: VerdictLine | undefined): void {
  switch (kind) {
    case 'signed':
      s.verdict = 'signed';
      s.at.verdict ??= s.elapsed();
      return;
    case 'crc-ok':
      s.crcOkAt ??= s.clock.now();
      // SFU 0x0100 never signs: CRC OK is all it says. On 0x0200, SIGNED follows.
      if (s.info && s.info.sfuVersion < SFU_VER_RP2040) {
        s.verdict = 'crc-ok';
        s.at.verdict ??= s.elapsed();
      }
      return;
    case 'crc-mismatch':
      s.wake.fail(s.deviceError('the device rejected the stream CRC after START (CRC != NEED); the slot is not signed'));
      return;
    case 'bin2page-errors':
      s.wake.fail(s.deviceError('the device found BIN2Page decoding errors after START (bin2page_errors!); the slot is not signed'));
      return;
    case undefined:
      return;
  }
}
