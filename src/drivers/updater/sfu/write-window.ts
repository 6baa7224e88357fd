/**
 * The bookkeeping of pipelined WRITEs (reference/sfu-protocol.md §2.3, §2.8), with no I/O and no
 * timers so that it can be tested on its own.
 *
 * The device answers every intact WRITE, in order, with one number: the next stream address it
 * expects. It ignores a WRITE whose address is not that one. So a lost WRITE shows up as replies
 * that stop advancing, and a lost reply shows up as nothing at all. The window keeps one entry per
 * WRITE in flight with the reply it predicts:
 *
 * - a reply equal to an entry's prediction settles that entry and every older one (their replies,
 *   if any, were lost: harmless);
 * - a reply below what was sent that matches no prediction means the device is stuck there: a
 *   frame was lost. The window rewinds its send pointer to that address, and every entry still in
 *   flight becomes "stale": the device will ignore it and answer with that same address, so its
 *   reply is absorbed instead of triggering a second rewind;
 * - credit: bytes in flight stay under the device's RX ring (INFO offset 20) minus two frames, and
 *   bytes sent since the last reply or ERASE_PART stay under 32 KiB minus two frames (the RP2040's
 *   DMA ring is all that collects data while its CPU erases or programs).
 */
import { FRAME_OVERHEAD } from '../../../protocols/sfu/index.js';
import { hex32 } from '../../../core/hex.js';

export interface WriteWindowOptions {
  /** Stream address of byte 0: the slot base INFO announced. */
  base: number;
  /** The whole stream, already padded to a multiple of 4. */
  stream: Buffer;
  /** Data bytes per WRITE (a multiple of 256). */
  block: number;
  /** Device RX ring size from INFO: the in-flight byte budget. */
  rxBudget: number;
  /** Bytes allowed between two replies / ERASE_PARTs. Default 0x8000. */
  burstBudget?: number;
}

export interface DataFrame {
  addr: number;
  data: Buffer;
  /** True when these bytes were sent before (after a rewind). */
  resend: boolean;
}

export type ReplyOutcome =
  /** The device's next address moved forward to `acked`. */
  | { kind: 'progress'; acked: number }
  /** Nothing new (a stale or duplicate answer). */
  | { kind: 'same' }
  /** A frame was lost: the send pointer went back to `rewindTo`. */
  | { kind: 'resync'; rewindTo: number; consecutive: number; stale: number }
  /** The reply is impossible for this session (a protocol violation). */
  | { kind: 'invalid'; reason: string };

interface Entry {
  kind: 'data' | 'poll';
  addr: number;
  /** The reply this entry will get if it reaches the device. */
  pred: number;
  wire: number;
  stale: boolean;
}

/** WRITE header: frame overhead + the 4-byte address. */
const WRITE_OVERHEAD = FRAME_OVERHEAD + 4;
const POLL_WIRE = FRAME_OVERHEAD;

export class WriteWindow {
  readonly base: number;
  readonly end: number;
  private readonly stream: Buffer;
  private readonly block: number;
  private readonly rxBudget: number;
  private readonly burstBudget: number;
  private entries: Entry[] = [];
  private ackedAddr: number;
  private sendAddr: number;
  private highest: number;
  private inflight = 0;
  private burst = 0;
  private consecutive = 0;
  /** Rewinds so far. */
  resyncs = 0;
  /** WRITE frames with data sent (resends included). */
  dataFrames = 0;
  /** Empty WRITEs sent. */
  polls = 0;

  constructor(opts: WriteWindowOptions) {
    if (opts.stream.length % 4 !== 0) throw new RangeError('WriteWindow: the stream must be padded to a multiple of 4');
    this.base = opts.base >>> 0;
    this.stream = opts.stream;
    this.end = this.base + opts.stream.length;
    this.block = opts.block;
    this.rxBudget = opts.rxBudget;
    this.burstBudget = opts.burstBudget ?? 0x8000;
    this.ackedAddr = this.sendAddr = this.highest = this.base;
  }

  /** Next address the device confirmed it expects. */
  get acked(): number {
    return this.ackedAddr;
  }

  /** Next address the host will send. */
  get sendPtr(): number {
    return this.sendAddr;
  }

  /** Highest address ever sent: highestSent - base stream bytes have been on the wire at least once. */
  get highestSent(): number {
    return this.highest;
  }

  get done(): boolean {
    return this.ackedAddr === this.end;
  }

  get inflightBytes(): number {
    return this.inflight;
  }

  get burstBytes(): number {
    return this.burst;
  }

  get inFlight(): number {
    return this.entries.length;
  }

  /** Rewinds since the device last acknowledged new data. */
  get consecutiveResyncs(): number {
    return this.consecutive;
  }

  /** True when there is data left to send and the credit allows one more WRITE. */
  canSend(): boolean {
    if (this.sendAddr >= this.end) return false;
    const wire = WRITE_OVERHEAD + Math.min(this.block, this.end - this.sendAddr);
    const rxOk = this.inflight === 0 || this.inflight + 2 * wire < this.rxBudget;
    const burstOk = this.burst === 0 || this.burst + 2 * wire < this.burstBudget;
    return rxOk && burstOk;
  }

  /** Takes the next WRITE (call only when canSend()). */
  take(): DataFrame {
    if (!this.canSend()) throw new Error('WriteWindow.take: no credit or nothing left to send');
    const addr = this.sendAddr;
    const length = Math.min(this.block, this.end - addr);
    const data = this.stream.subarray(addr - this.base, addr - this.base + length);
    const wire = WRITE_OVERHEAD + length;
    this.entries.push({ kind: 'data', addr, pred: addr + length, wire, stale: false });
    this.inflight += wire;
    this.burst += wire;
    this.sendAddr = addr + length;
    const resend = this.sendAddr <= this.highest;
    this.highest = Math.max(this.highest, this.sendAddr);
    this.dataFrames++;
    return { addr, data, resend };
  }

  /** Records an empty WRITE (status poll / keep-alive): its reply is the device's true position. */
  poll(): void {
    this.entries.push({ kind: 'poll', addr: this.sendAddr, pred: this.sendAddr, wire: POLL_WIRE, stale: false });
    this.inflight += POLL_WIRE;
    this.burst += POLL_WIRE;
    this.polls++;
  }

  /** The device drained its DMA ring (ERASE_PART): a new burst may start. */
  erasePart(): void {
    this.burst = 0;
  }

  /**
   * Nothing came back for a long time: whatever is in flight was lost (frames or replies). Forget
   * it, so the credit frees and the next status poll's answer is taken at face value.
   */
  expire(): void {
    this.entries = [];
    this.inflight = 0;
    this.burst = 0;
  }

  /**
   * No reply for a while: the WRITEs made stale by a rewind are not going to answer any more (a
   * device still working through them would be answering). Forget them, so that the next status
   * poll's answer is not absorbed as their reply and a repeated loss shows at once.
   */
  expireStale(): void {
    const keep: Entry[] = [];
    for (const e of this.entries) {
      if (e.stale) this.inflight -= e.wire;
      else keep.push(e);
    }
    this.entries = keep;
  }

  /** A WRITE reply carrying the device's next expected address. */
  reply(nextAddr: number): ReplyOutcome {
    const r = nextAddr >>> 0;
    if (r < this.base || r > this.end) {
      return {
        kind: 'invalid',
        reason: `the device expects WRITEs at ${hex32(r)}, outside the stream ${hex32(this.base)}..${hex32(this.end)}: ` + `it is writing another slot than the ${hex32(this.base)} INFO announced`,
      };
    }
    if (r < this.ackedAddr) {
      return { kind: 'invalid', reason: `WRITE reply address ${hex32(r)} went back below ${hex32(this.ackedAddr)}, which the device had acknowledged` };
    }
    if (r > this.highest) {
      return { kind: 'invalid', reason: `WRITE reply address ${hex32(r)} acknowledges data never sent (sent up to ${hex32(this.highest)})` };
    }
    this.burst = 0;
    const i = this.entries.findIndex((e) => e.pred === r);
    if (i >= 0) {
      this.drop(i + 1);
      return this.advance(r);
    }
    if (r >= this.sendAddr) {
      // Nothing is missing: an answer to something already forgotten (expired, or settled by a later reply).
      this.dropSettled(r);
      return this.advance(r);
    }
    // Stuck at r, below what was sent, and no entry explains it: the frame at r was lost.
    this.dropSettled(r - 1);
    // The oldest entry left either produced this very reply or was lost: it will never answer.
    this.drop(Math.min(1, this.entries.length));
    for (const e of this.entries) {
      e.pred = r;
      e.stale = true;
    }
    const progressed = r > this.ackedAddr;
    this.ackedAddr = r;
    this.sendAddr = r;
    this.resyncs++;
    this.consecutive = progressed ? 1 : this.consecutive + 1;
    return { kind: 'resync', rewindTo: r, consecutive: this.consecutive, stale: this.entries.length };
  }

  private advance(r: number): ReplyOutcome {
    if (this.sendAddr < r) this.sendAddr = r;
    if (r > this.ackedAddr) {
      this.ackedAddr = r;
      this.consecutive = 0;
      return { kind: 'progress', acked: r };
    }
    return { kind: 'same' };
  }

  /** Drops the first `n` entries. */
  private drop(n: number): void {
    for (const e of this.entries.splice(0, n)) this.inflight -= e.wire;
  }

  /** Drops entries whose prediction is at or below `r`: the device is past them. */
  private dropSettled(r: number): void {
    const keep: Entry[] = [];
    for (const e of this.entries) {
      if (e.pred <= r) this.inflight -= e.wire;
      else keep.push(e);
    }
    this.entries = keep;
  }
}
