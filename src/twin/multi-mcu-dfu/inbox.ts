/**
 * The host app's two inputs as one queue of lines: its console (the cloud's `fota …` lines) and
 * the UART link from the radio. One reader task per input feeds it, so no line is ever taken by a
 * wait that lost a race; the app waits on the queue, which the power cut ends like any wait.
 */
import { PowerLost, type Mcu } from '../mcu.js';
import type { UartLinkEnd } from '../uart-link.js';

export interface InboxLine {
  from: 'console' | 'link';
  text: string;
}

/** Longest console line the app keeps (a `fota data` line of 512 bytes in base64 is about 720). */
const MAX_LINE = 1024;

export class Inbox {
  private lines: InboxLine[] = [];
  private wake?: () => void;
  /** The console's unfinished line. */
  private partial = '';

  constructor(
    private readonly mcu: Mcu,
    link: UartLinkEnd,
    /** Sees every line as it arrives; false: the line is handled, not queued. */
    private readonly notice: (l: InboxLine) => boolean = () => true,
  ) {
    void this.readConsole().catch(ignorePowerLost);
    void this.readLink(link).catch(ignorePowerLost);
  }

  /** The next line that `accept` takes (others stay queued, in order), or undefined after `ms`. */
  async next(ms: number, accept: (l: InboxLine) => boolean = () => true): Promise<InboxLine | undefined> {
    const deadline = this.mcu.clock.now() + ms;
    for (;;) {
      this.mcu.check();
      const i = this.lines.findIndex(accept);
      if (i >= 0) return this.lines.splice(i, 1)[0];
      const left = deadline - this.mcu.clock.now();
      if (left <= 0) return undefined;
      await this.wait(left);
    }
  }

  /** All it holds: the queued lines (a stale answer may wait there for good) and the half-received one. */
  describe(): string {
    return `${this.lines.map((l) => `${l.from}:${l.text}`).join('\n')}|${this.partial}`;
  }

  /** Drops queued lines `drop` matches (stale answers from before a retry). */
  discard(drop: (l: InboxLine) => boolean): void {
    this.lines = this.lines.filter((l) => !drop(l));
  }

  private push(l: InboxLine): void {
    if (!this.notice(l)) return;
    this.lines.push(l);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const end = () => {
        timer.cancel();
        off();
        resolve();
      };
      const off = this.mcu.untilLost(() => {
        timer.cancel();
        reject(new PowerLost());
      });
      const timer = this.mcu.clock.setTimer(ms, () => {
        if (this.wake === end) this.wake = undefined;
        off();
        resolve();
      });
      this.wake = end;
    });
  }

  private async readConsole(): Promise<void> {
    for (;;) {
      await this.mcu.waitRx(60_000);
      const rx = this.mcu.takeRx();
      if (!rx) continue;
      const parts = (this.partial + rx.toString('latin1')).split(/\r?\n/);
      this.partial = parts.pop()!.slice(-MAX_LINE);
      for (const p of parts) if (p.trim()) this.push({ from: 'console', text: p.trim() });
    }
  }

  private async readLink(link: UartLinkEnd): Promise<void> {
    for (;;) {
      const text = await link.nextLine(60_000);
      if (text !== undefined) this.push({ from: 'link', text: text.trim() });
    }
  }
}

function ignorePowerLost(err: unknown): void {
  if (err instanceof PowerLost) return;
  queueMicrotask(() => {
    throw err;
  });
}
