/**
 * The SFU uploader: the TypeScript replacement for Mirn's Rust sfu-cli-uploader, with what the
 * reference (sfu-protocol.md §7, §8) says a careful host adds: ERASE sent once, the START reply
 * compared, lost frames recovered without idling the line, and a verdict read from the console.
 *
 *   const uploader = new SfuUploader({ channel: console, clock, timeline });
 *   const result = await uploader.upload(stream, { signal, onProgress });
 *   if (!result.signed) ...
 *
 * One upload at a time per uploader; the device must be in its bootloader (reset it first, or
 * call upload() right after power-on: INFO is polled until the bootloader answers).
 */
import type { Clock } from '../../../core/clock.js';
import type { Timeline } from '../../../core/timeline.js';
import type { SfuChannel } from './channel.js';
import { checkUploaderOptions, resolveUploadOptions, type SfuUploadOptions, type SfuUploaderOptions } from './options.js';
import type { SfuUploadResult } from './result.js';
import { UploadSession } from './session.js';

export class SfuUploader {
  private readonly channel: SfuChannel;
  private readonly clock: Clock;
  private readonly timeline?: Timeline;
  private busy = false;

  constructor(opts: SfuUploaderOptions) {
    checkUploaderOptions(opts);
    this.channel = opts.channel;
    this.clock = opts.clock;
    if (opts.timeline) this.timeline = opts.timeline;
  }

  /**
   * Uploads `stream` (a RAW image linked for the slot INFO announces, or a BIN2Page stream) to
   * the slot the device names, and resolves with what happened. Rejects with SfuDeviceError
   * (a DeviceError) when the device refuses, resets or times out, SfuLinkError (a RigError) when
   * the link fails, SfuStreamTooBigError before anything is erased, or `signal.reason` on abort.
   */
  async upload(stream: Uint8Array, opts?: SfuUploadOptions): Promise<SfuUploadResult> {
    const resolved = resolveUploadOptions(stream, opts);
    if (resolved.signal?.aborted) throw resolved.signal.reason;
    if (this.busy) throw new Error('SfuUploader.upload: an upload is already running on this uploader');
    this.busy = true;
    try {
      const deps = { channel: this.channel, clock: this.clock, ...(this.timeline && { timeline: this.timeline }) };
      return await new UploadSession(deps, stream, resolved).run();
    } finally {
      this.busy = false;
    }
  }
}
