import type { Clock } from '../../core/clock.js';

/**
 * One direction of a UART at a given baud rate (8N1: 10 bit times per byte). Bytes are handed
 * over when their last bit would have arrived, so a device sees a 921600-baud host exactly as
 * fast as on a bench, on the wall clock or on the virtual one.
 */
export class PacedLine {
  private busyUntil = 0;
  private queued = 0;
  private readonly drainWaiters: (() => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private baud: number,
    private readonly deliver: (bytes: Buffer) => void,
    /** Largest piece handed over at once: smaller pieces model arrival more finely. */
    private readonly pieceBytes = 1024,
  ) {
    if (!(baud > 0)) throw new RangeError(`baud must be > 0, got ${baud}`);
  }

  /** Bytes per millisecond on this line. */
  get bytesPerMs(): number {
    return this.baud / 10 / 1000;
  }

  setBaud(baud: number): void {
    this.baud = baud;
  }

  /** Bytes accepted but not yet delivered. */
  get backlog(): number {
    return this.queued;
  }

  send(bytes: Buffer): void {
    for (let off = 0; off < bytes.length; off += this.pieceBytes) {
      const piece = bytes.subarray(off, off + this.pieceBytes);
      const start = Math.max(this.busyUntil, this.clock.now());
      this.busyUntil = start + piece.length / this.bytesPerMs;
      this.queued += piece.length;
      this.clock.setTimer(this.busyUntil - this.clock.now(), () => {
        this.queued -= piece.length;
        this.deliver(piece);
        if (this.queued === 0) this.drainWaiters.splice(0).forEach((w) => w());
      });
    }
  }

  /** Resolves when everything sent so far has been delivered. */
  drained(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }
}
