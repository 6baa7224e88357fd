/**
 * A byte pipe to a device's UART: a serial port, a pty, or the twin in-process. The console and
 * the SFU uploader are written against this alone.
 */
export interface ByteLink {
  /** Where the bytes go, for messages (a port path, "twin in-process"). */
  readonly description: string;
  /** Queues bytes for the device; resolves once the transport has taken them. */
  write(data: Uint8Array): Promise<void>;
  /** Every chunk the device sends, in order; returns an unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Called when the link goes away underneath (port unplugged, pty closed). */
  onClose(listener: (reason: Error | undefined) => void): () => void;
  close(): Promise<void>;
}

/** Fan-out helper for ByteLink implementations. */
export class Listeners<T> {
  private readonly set = new Set<(v: T) => void>();
  add(l: (v: T) => void): () => void {
    this.set.add(l);
    return () => this.set.delete(l);
  }
  emit(v: T): void {
    for (const l of [...this.set]) l(v);
  }
  get size(): number {
    return this.set.size;
  }
}
