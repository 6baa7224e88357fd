/**
 * What the SFU uploader needs from the console: frames in, bytes out, and (optionally) the text
 * lines the bootloader prints between frames. A `Console` with `sfuFrames: true` satisfies it.
 */
import type { ByteLink } from '../../console/byte-link.js';

export interface SfuFrameIn {
  code: number;
  body: Buffer;
}

export interface SfuLineIn {
  t: number;
  text: string;
}

export interface SfuChannel {
  /** Sends one whole frame; resolves once the transport has taken the bytes. */
  write(bytes: Uint8Array): Promise<void>;
  /** Every device frame, in order; returns an unsubscribe function. */
  onFrame(listener: (frame: SfuFrameIn) => void): () => void;
  /** Console text lines; without it, the uploader cannot see the device's verdict after START. */
  onLine?(listener: (line: SfuLineIn) => void): () => void;
  /** Called when the transport goes away underneath. */
  onClose?(listener: (reason: Error | undefined) => void): () => void;
  /** For messages: which port or twin this is. */
  readonly description?: string;
  /** A Console exposes its link: used for the description and onClose when the above are absent. */
  readonly link?: ByteLink;
}

export function describeChannel(channel: SfuChannel): string {
  return channel.description ?? channel.link?.description ?? 'the SFU console';
}

/** Subscribes to the channel's (or its link's) close event; a no-op when neither has one. */
export function onChannelClose(channel: SfuChannel, listener: (reason: Error | undefined) => void): () => void {
  if (channel.onClose) return channel.onClose(listener);
  if (channel.link) return channel.link.onClose(listener);
  return () => {};
}
