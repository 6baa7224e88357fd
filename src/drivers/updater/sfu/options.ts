/** Options of the SFU uploader and of one upload, validated up front with a clear TypeError/RangeError. */
import type { Clock } from '../../../core/clock.js';
import type { Timeline } from '../../../core/timeline.js';
import { MAX_WRITE_DATA, WRITE_CHUNK } from '../../../protocols/sfu/index.js';
import type { SfuChannel } from './channel.js';
import type { SfuProgress } from './result.js';

export interface SfuUploaderOptions {
  /** Frames and lines from the device, bytes to it: a Console with `sfuFrames: true`. */
  channel: SfuChannel;
  /** Every wait runs on it: a VirtualClock for an in-process twin, a wall clock on a rig. */
  clock: Clock;
  /**
   * Receives `updater` events: phase:info, phase:erase, ... phase:done (each transition of the
   * upload's state machine, see phases.ts), hwreset, info, erase, erase-part, erase-done,
   * write-ack, resync, poll, start, signed (or crc-ok on SFU 0x0100, or no-verdict), failed.
   */
  timeline?: Timeline;
}

export interface SfuUploadOptions {
  /** Aborting rejects the upload with `signal.reason` at once; nothing more is sent. */
  signal?: AbortSignal;
  /** Called on every change (not throttled: the caller throttles). */
  onProgress?: (progress: SfuProgress) => void;
  /** Data bytes per WRITE: a multiple of 256 (the device cuts WRITEs into 256-byte chunks), at most 3840. Default 2048. */
  writeBlock?: number;
  /** Start sending WRITEs at the first ERASE_PART, while the device is still erasing. Default true. */
  prewrite?: boolean;
  /** How long to poll INFO before giving up (the device must be in its bootloader). Default 5000. */
  infoTimeoutMs?: number;
}

export const DEFAULT_WRITE_BLOCK = 2048;
/** Largest multiple of 256 that fits a WRITE body (4084 - 4 address bytes = 4080). */
export const MAX_WRITE_BLOCK = Math.floor(MAX_WRITE_DATA / WRITE_CHUNK) * WRITE_CHUNK;
export const DEFAULT_INFO_TIMEOUT_MS = 5000;

export interface ResolvedUploadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: SfuProgress) => void;
  writeBlock: number;
  prewrite: boolean;
  infoTimeoutMs: number;
}

export function checkUploaderOptions(opts: SfuUploaderOptions): void {
  if (!opts || typeof opts !== 'object') throw new TypeError('SfuUploader: options are required');
  const ch = opts.channel as Partial<SfuChannel> | undefined;
  if (!ch || typeof ch.write !== 'function' || typeof ch.onFrame !== 'function') {
    throw new TypeError('SfuUploader: `channel` must have write(bytes) and onFrame(listener) (a Console with sfuFrames: true)');
  }
  const clock = opts.clock as Partial<Clock> | undefined;
  if (!clock || typeof clock.now !== 'function' || typeof clock.setTimer !== 'function') {
    throw new TypeError('SfuUploader: `clock` must be a Clock (now, setTimer, sleep)');
  }
}

export function resolveUploadOptions(stream: unknown, opts: SfuUploadOptions = {}): ResolvedUploadOptions {
  if (!(stream instanceof Uint8Array)) throw new TypeError('SfuUploader.upload: `stream` must be a Buffer or Uint8Array');
  if (stream.length === 0) throw new RangeError('SfuUploader.upload: the stream is empty (ERASE(0) would erase nothing)');
  const writeBlock = opts.writeBlock ?? DEFAULT_WRITE_BLOCK;
  if (!Number.isInteger(writeBlock) || writeBlock <= 0 || writeBlock % WRITE_CHUNK !== 0 || writeBlock > MAX_WRITE_BLOCK) {
    throw new RangeError(
      `SfuUploader.upload: writeBlock ${String(writeBlock)} must be a multiple of ${WRITE_CHUNK} between ${WRITE_CHUNK} and ${MAX_WRITE_BLOCK} ` +
        '(the device cuts WRITE data into 256-byte chunks and pads a short one, which would corrupt the image)',
    );
  }
  const infoTimeoutMs = opts.infoTimeoutMs ?? DEFAULT_INFO_TIMEOUT_MS;
  if (!(infoTimeoutMs > 0) || !Number.isFinite(infoTimeoutMs)) {
    throw new RangeError(`SfuUploader.upload: infoTimeoutMs must be a positive number of milliseconds, got ${String(infoTimeoutMs)}`);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw new TypeError('SfuUploader.upload: onProgress must be a function');
  }
  return {
    ...(opts.signal && { signal: opts.signal }),
    ...(opts.onProgress && { onProgress: opts.onProgress }),
    writeBlock,
    prewrite: opts.prewrite ?? true,
    infoTimeoutMs,
  };
}
