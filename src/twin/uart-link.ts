import type { Mcu } from './mcu.js';
import { PowerLost } from './mcu.js';

/** The product's inter-processor UART (host UART1 <-> radio UART1). */
export const LINK_BAUD = 115200;

/** One end of a UART link: the processor's driver for it. */
export interface UartLinkEnd {
  readonly name: string;
  /**
   * Sends one line (no newline in `text`): the sender is busy for its bytes' time at the baud (10
   * bits a byte, the newline included), and the line arrives when the last byte does, if the
   * other end is powered then (an unpowered receiver drops it; a line in flight when the sender
   * loses its program is cut off and never arrives). Every line sent is a `link` event.
   */
  send(text: string): Promise<void>;
  /** The next line received, or undefined after `timeoutMs`; lines received meanwhile queue (lost with the power). */
  nextLine(timeoutMs: number): Promise<string | undefined>;
  /** Lines waiting, oldest first, without taking them. */
  readonly pending: readonly string[];
}

/**
 * A UART between two processors of one board (not their consoles): text lines, paced at the
 * baud, each one a TwinEvent `{ kind: 'link', from, to, text }` in the sender's event stream (a
 * product's stream is both processors' events, so the timeline shows each message once).
 */
export class UartLink {
  private readonly ends = new Map<string, EndImpl>();

  constructor(a: Mcu, b: Mcu, opts: { baud?: number; names?: [string, string] } = {}) {
    const baud = opts.baud ?? LINK_BAUD;
    const [na, nb] = opts.names ?? [a.name, b.name];
    if (!na || !nb || na === nb) throw new Error('a UART link needs two distinct end names (Mcu option name, or names)');
    const ea = new EndImpl(a, na, baud);
    const eb = new EndImpl(b, nb, baud);
    ea.peer = eb;
    eb.peer = ea;
    this.ends.set(na, ea);
    this.ends.set(nb, eb);
  }

  end(name: string): UartLinkEnd {
    const e = this.ends.get(name);
    if (!e) throw new Error(`no end '${name}' on this link (${[...this.ends.keys()].join(', ')})`);
    return e;
  }
}

class EndImpl implements UartLinkEnd {
  peer!: EndImpl;
  private queue: string[] = [];
  private waiter?: () => void;

  constructor(
    readonly mcu: Mcu,
    readonly name: string,
    private readonly baud: number,
  ) {
    // RX lives in the processor's RAM and ring buffer: a reset or power loss empties it.
    mcu.onProgramLost(() => {
      this.queue = [];
      const w = this.waiter;
      this.waiter = undefined;
      w?.();
    });
  }

  get pending(): readonly string[] {
    return this.queue;
  }

  async send(text: string): Promise<void> {
    if (/[\r\n]/.test(text)) throw new Error(`a link message is one line: ${JSON.stringify(text)}`);
    await this.mcu.sleep(((text.length + 1) * 10 * 1000) / this.baud);
    this.mcu.emit({ kind: 'link', from: this.name, to: this.peer.name, text });
    if (this.peer.mcu.isPowered) this.peer.deliver(text);
  }

  private deliver(text: string): void {
    this.queue.push(text);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async nextLine(timeoutMs: number): Promise<string | undefined> {
    this.mcu.check();
    if (this.queue.length) return this.queue.shift();
    // Lost meanwhile: a cut (check), or a reset that started another program (starts).
    const started = this.mcu.starts;
    await new Promise<void>((resolve) => {
      const timer = this.mcu.clock.setTimer(timeoutMs, () => {
        if (this.waiter === done) this.waiter = undefined;
        resolve();
      });
      const done = () => {
        timer.cancel();
        resolve();
      };
      this.waiter = done;
    });
    if (this.mcu.starts !== started) throw new PowerLost();
    this.mcu.check();
    return this.queue.shift();
  }
}
