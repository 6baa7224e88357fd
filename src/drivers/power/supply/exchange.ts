/**
 * Command/reply turns with a bench supply over a ByteLink, one at a time.
 *
 * Two framings, because the two families disagree:
 *   - 'quiet' (Korad): neither commands nor replies carry a terminator, so a reply is whatever
 *     arrives until the line has been quiet for quietMs (the reply itself is ~1 ms/byte at 9600).
 *   - 'line' (SCPI): commands and replies end with \n.
 * gapMs is enforced between the end of one turn and the next write: Korad firmware merges or drops
 * commands that arrive closer than about 50 ms (reference §4.4), and a dropped VSET is a sag that
 * silently never happened.
 */
import type { Clock, Timer } from '../../../core/clock.js';
import { RigError } from '../../../core/errors.js';
import type { ByteLink } from '../../console/byte-link.js';

export type Framing = { kind: 'quiet'; quietMs: number } | { kind: 'line' };

export interface ExchangeOptions {
  link: ByteLink;
  /** The port path, for messages. */
  port: string;
  clock: Clock;
  framing: Framing;
  gapMs: number;
  /**
   * How long a query may wait for its reply (first byte to last). 500 ms by default: a Korad's
   * documented command latency is 50–100+ ms (reference §4.4), so this is several times a real
   * device's answer and still reports a wrong port quickly.
   */
  replyTimeoutMs: number;
  /** Told about every finished turn, on the driver's own clock (diagnostics; tests check the pacing with it). */
  trace?: (turn: SupplyTurn) => void;
}

/** One command as the driver sent it: when its bytes started to leave and when its turn ended. */
export interface SupplyTurn {
  cmd: string;
  sentAt: number;
  endAt: number;
}

/** The supply said nothing at all: usually the wrong port, baud or protocol. */
export class NoReplyError extends RigError {}

/** Printable ASCII as is, everything else as \xNN, so a garbage reply can be quoted in a message. */
export function quoteBytes(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${s}" (${bytes.length} byte${bytes.length === 1 ? '' : 's'})`;
}

export class Exchange {
  private rx: Buffer[] = [];
  private rxLen = 0;
  private wake?: () => void;
  private closedReason?: Error;
  private lastEnd = -Infinity;
  private turn: Promise<unknown> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly o: ExchangeOptions) {
    this.unsubscribe.push(
      o.link.onData((chunk) => {
        this.rx.push(chunk);
        this.rxLen += chunk.length;
        this.wake?.();
      }),
      o.link.onClose((reason) => {
        this.closedReason = reason ?? new RigError(`supply on ${o.port}: serial port closed`);
        this.wake?.();
      }),
    );
  }

  get port(): string {
    return this.o.port;
  }

  /** A command with no reply. Resolves with the clock time at which the bytes left. */
  send(cmd: string): Promise<number> {
    return this.serialize(async () => {
      const sentAt = await this.write(cmd);
      this.lastEnd = this.o.clock.now();
      this.o.trace?.({ cmd, sentAt, endAt: this.lastEnd });
      return this.lastEnd;
    });
  }

  /** A command and its reply (terminator removed). */
  query(cmd: string): Promise<Buffer> {
    return this.serialize(async () => {
      const sentAt = await this.write(cmd);
      try {
        return await this.collect(cmd);
      } finally {
        this.lastEnd = this.o.clock.now();
        this.o.trace?.({ cmd, sentAt, endAt: this.lastEnd });
      }
    });
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.o.link.close();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn, fn);
    this.turn = next.catch(() => {});
    return next;
  }

  /** Writes `cmd` after the gap; resolves with the clock time at which its bytes started to leave. */
  private async write(cmd: string): Promise<number> {
    if (this.closedReason) throw this.closedReason;
    const wait = this.lastEnd + this.o.gapMs - this.o.clock.now();
    if (wait > 0) await this.o.clock.sleep(wait);
    // A late reply to an earlier turn must not be read as the answer to this one.
    this.rx = [];
    this.rxLen = 0;
    const term = this.o.framing.kind === 'line' ? '\n' : '';
    const at = this.o.clock.now();
    await this.o.link.write(Buffer.from(cmd + term, 'latin1'));
    return at;
  }

  private collect(cmd: string): Promise<Buffer> {
    const { clock, framing, replyTimeoutMs, port } = this.o;
    return new Promise<Buffer>((resolve, reject) => {
      let quiet: Timer | undefined;
      let seen = 0;
      const finish = (err: Error | undefined, value?: Buffer): void => {
        deadline.cancel();
        quiet?.cancel();
        this.wake = undefined;
        if (err) reject(err);
        else resolve(value!);
      };
      const all = (): Buffer => Buffer.concat(this.rx, this.rxLen);
      const deadline = clock.setTimer(replyTimeoutMs, () => {
        if (this.rxLen === 0) return finish(new NoReplyError(`supply on ${port} did not answer ${cmd} within ${replyTimeoutMs} ms`));
        if (framing.kind === 'quiet') return finish(undefined, all());
        finish(new RigError(`supply on ${port} answered ${cmd} with ${quoteBytes(all())} and no newline within ${replyTimeoutMs} ms`));
      });
      this.wake = () => {
        if (this.closedReason) return finish(this.closedReason);
        if (this.rxLen === seen) return;
        seen = this.rxLen;
        if (framing.kind === 'line') {
          const buf = all();
          const nl = buf.indexOf(0x0a);
          if (nl >= 0) finish(undefined, buf.subarray(0, nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl));
          return;
        }
        quiet?.cancel();
        quiet = clock.setTimer(framing.quietMs, () => finish(undefined, all()));
      };
      this.wake();
    });
  }
}
