/**
 * A ByteLink that survives its transport going away: a USB-serial adapter re-enumerating after a
 * power cut, a ser2net socket dropping. The inner link is reopened through a factory (a new
 * SerialPort object each time: serialport would replay stale writes on a reused one), the same
 * onData listeners keep receiving, and the gap is reported so a transcript can show it.
 */
import type { Clock, Timer } from '../../core/clock.js';
import { RigError } from '../../core/errors.js';
import { Listeners, type ByteLink } from './byte-link.js';

export interface GapEvent {
  phase: 'start' | 'end';
  /** Clock time of the event. */
  at: number;
  /** Why the link went away (start only). */
  reason?: Error;
  /** How long the link was gone (end only). */
  ms?: number;
}

export interface ReconnectingLinkOptions {
  /** Opens a fresh inner link; throws (a RigError, ideally) while the transport is not back. */
  open: () => Promise<ByteLink>;
  /** What is being reopened, for messages: "serial /dev/serial/by-id/…", "ser2net host:2000". */
  what: string;
  clock: Clock;
  /** How long to wait for the transport to come back before closing for real. Default 10000. */
  reconnectMs?: number;
  /** Pause between reopen attempts. Default 100 (what Zephyr's twister harness uses). */
  retryMs?: number;
}

export const DEFAULT_RECONNECT_MS = 10_000;

/** Opens the first inner link (failing at once, as a missing port should) and wraps it. */
export async function openReconnectingLink(opts: ReconnectingLinkOptions): Promise<ReconnectingLink> {
  return new ReconnectingLink(opts, await opts.open());
}

export class ReconnectingLink implements ByteLink {
  private readonly data = new Listeners<Buffer>();
  private readonly closeListeners = new Listeners<Error | undefined>();
  private readonly gapListeners = new Listeners<GapEvent>();
  private inner?: ByteLink;
  private offInner: (() => void)[] = [];
  private gapStart?: number;
  private retry?: Timer;
  private closed = false;
  private lastError?: Error;

  constructor(
    private readonly opts: ReconnectingLinkOptions,
    first: ByteLink,
  ) {
    this.attach(first);
  }

  get description(): string {
    return this.inner?.description ?? this.opts.what;
  }

  /** True between a gap's start and end. */
  get inGap(): boolean {
    return this.gapStart !== undefined;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new RigError(`${this.opts.what} is closed`));
    if (!this.inner) {
      // Never queued: bytes typed for a device that lost power must not reach it after it reboots.
      const since = Math.round(this.opts.clock.now() - (this.gapStart ?? 0));
      return Promise.reject(new RigError(`${this.opts.what} is re-enumerating (gone for ${since} ms): ${data.length} byte(s) not sent`));
    }
    return this.inner.write(data);
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    return this.data.add(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): () => void {
    return this.closeListeners.add(listener);
  }

  onGap(listener: (event: GapEvent) => void): () => void {
    return this.gapListeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.finish(undefined);
    await this.detach()?.close();
  }

  private attach(link: ByteLink): void {
    this.inner = link;
    this.offInner = [link.onData((chunk) => this.data.emit(chunk)), link.onClose((reason) => this.lost(reason))];
  }

  private detach(): ByteLink | undefined {
    const link = this.inner;
    for (const off of this.offInner) off();
    this.offInner = [];
    this.inner = undefined;
    return link;
  }

  private lost(reason: Error | undefined): void {
    if (this.closed) return;
    this.detach();
    const at = this.opts.clock.now();
    this.gapStart = at;
    this.lastError = undefined;
    this.gapListeners.emit({ phase: 'start', at, reason: reason ?? new RigError(`${this.opts.what} was closed underneath`) });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.retry = this.opts.clock.setTimer(this.opts.retryMs ?? 100, () => void this.attempt());
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    let link: ByteLink;
    try {
      link = await this.opts.open();
    } catch (err) {
      if (this.closed) return;
      this.lastError = err instanceof Error ? err : new Error(String(err));
      const limit = this.opts.reconnectMs ?? DEFAULT_RECONNECT_MS;
      if (this.opts.clock.now() - this.gapStart! >= limit) {
        const last = this.lastError ? ` (last attempt: ${this.lastError.message})` : '';
        this.finish(new RigError(`${this.opts.what} did not come back within ${limit} ms${last}`, { cause: this.lastError }));
      } else {
        this.scheduleRetry();
      }
      return;
    }
    // close() raced the reopen: the new port must not stay open behind our back.
    if (this.closed) return void link.close().catch(() => {});
    const at = this.opts.clock.now();
    const ms = at - this.gapStart!;
    this.gapStart = undefined;
    this.attach(link);
    this.gapListeners.emit({ phase: 'end', at, ms });
  }

  private finish(reason: Error | undefined): void {
    this.closed = true;
    this.retry?.cancel();
    this.closeListeners.emit(reason);
  }
}

/** Anything with gap events: a ReconnectingLink, or a wrapper that forwards them. */
export function hasGaps(link: ByteLink): link is ByteLink & { onGap(l: (e: GapEvent) => void): () => void } {
  return typeof (link as { onGap?: unknown }).onGap === 'function';
}
