/**
 * Which program answers, before a stage of a multi-stage update (stages.ts): INFO is polled as the
 * uploader's info phase polls it (an application that takes uploads reboots into its DFU program
 * on the first one), and the INFO reply names the slot that program receives. A DFU program that
 * says what runs prints `dfu: running <version> @0x<base>` just before its reply; the line comes
 * first on the same UART, so it is in before the frame.
 */
import type { Clock } from '../../../core/clock.js';
import { SfuCode, decodeInfoReply, encodeFrame } from '../../../protocols/sfu/index.js';
import type { SfuChannel } from './channel.js';
import { describeChannel } from './channel.js';
import { SfuDeviceError, SfuLinkError } from './errors.js';
import type { DeviceAnswer } from './stages.js';
import { SFU_TIMING } from './timing.js';

const RUNNING = /^dfu: running (\S+) @0x([0-9a-fA-F]{8})\b/;

export interface AskOptions {
  /** Poll until an answer, at most this long. */
  timeoutMs: number;
  /** Keep polling while the answer is from a program for another slot (the one before is still going down). */
  wantSlot?: number;
  signal?: AbortSignal;
}

/**
 * Resolves with the first answer (for `wantSlot`, if given); rejects when none comes in time with
 * SfuDeviceError if the device answered for another slot only, else SfuLinkError; or the signal's reason.
 */
export function askDevice(channel: SfuChannel, clock: Clock, opts: AskOptions): Promise<DeviceAnswer & { offered: number[] }> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const offered: number[] = [];
    let runs: DeviceAnswer['runs'];
    let poll: { cancel(): void } | undefined;
    const offs: (() => void)[] = [];
    const finish = (fn: () => void): void => {
      poll?.cancel();
      deadline.cancel();
      for (const off of offs.splice(0)) off();
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => finish(() => reject(opts.signal!.reason));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (channel.onLine) {
      offs.push(
        channel.onLine(({ text }) => {
          const m = RUNNING.exec(text.trim());
          if (m) runs = { version: m[1]!, base: parseInt(m[2]!, 16) };
        }),
      );
    }
    offs.push(
      channel.onFrame(({ code, body }) => {
        if (code === SfuCode.HWRESET) runs = undefined;
        if (code !== SfuCode.INFO) return;
        let writesSlot: number;
        try {
          writesSlot = decodeInfoReply(body).mainStartFrom >>> 0;
        } catch {
          return; // a garbled reply: the next poll asks again
        }
        offered.push(writesSlot);
        if (opts.wantSlot !== undefined && writesSlot !== opts.wantSlot) return;
        const answer = { writesSlot, ...(runs && { runs }), offered };
        finish(() => resolve(answer));
      }),
    );
    const deadline = clock.setTimer(opts.timeoutMs, () =>
      finish(() => {
        const seen = offered.length ? `it answered for ${[...new Set(offered)].map((b) => '0x' + b.toString(16).padStart(8, '0')).join(', ')}` : 'no INFO reply';
        const want = opts.wantSlot !== undefined ? ` for slot 0x${opts.wantSlot.toString(16).padStart(8, '0')}` : '';
        const message = `no DFU program${want} answered INFO on ${describeChannel(channel)} within ${opts.timeoutMs} ms (${seen})`;
        // A device that answers, but only for another slot, is the device's doing (it waits in the wrong program), not the link's.
        reject(offered.length ? new SfuDeviceError(message, 'info') : new SfuLinkError(message, 'info'));
      }),
    );
    const send = (): void => {
      channel.write(encodeFrame('host', SfuCode.INFO)).catch((err: unknown) => finish(() => reject(err)));
      poll = clock.setTimer(SFU_TIMING.infoResendMs, send);
    };
    send();
  });
}
