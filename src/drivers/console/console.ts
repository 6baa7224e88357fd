import type { Clock, Timer } from '../../core/clock.js';
import { RigError } from '../../core/errors.js';
import type { Timeline } from '../../core/timeline.js';
import { HostFrameReader } from '../../protocols/sfu/index.js';
import { Listeners, type ByteLink } from './byte-link.js';

export interface ConsoleLine {
  t: number;
  text: string;
  /** Said by the host (a note such as a serial gap), never by the device. */
  host?: true;
}

/** A host note, placed after `afterLine` device lines so a transcript interleaves exactly. */
export interface ConsoleNote extends ConsoleLine {
  host: true;
  afterLine: number;
}

export interface SfuFrame {
  code: number;
  body: Buffer;
}

export interface ExpectOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Match lines from this index of `lines` on (default: only lines that arrive after the call). */
  fromLine?: number;
  /** Say what is being waited for, for the timeout message. */
  what?: string;
}

export interface ConsoleOptions {
  link: ByteLink;
  clock: Clock;
  /** Split SFU frames out of the byte stream (bootloader and text share the UART). */
  sfuFrames?: boolean;
  timeline?: Timeline;
}

export class ConsoleTimeout extends RigError {}

/**
 * The device's text console: lines with timestamps, expect(), a transcript. On an SFU UART it
 * also separates binary frames from text, so the uploader gets frames and the transcript gets
 * the bootloader's words.
 */
export class Console {
  readonly lines: ConsoleLine[] = [];
  /**
   * Host notes (e.g. "serial gone", "serial back after 1234 ms"). Kept apart from `lines` so
   * expect(), triggers and boot observation only ever see what the device said.
   */
  readonly notes: ConsoleNote[] = [];
  private partial = '';
  private readonly noteListeners = new Listeners<ConsoleNote>();
  private readonly reader?: HostFrameReader;
  private readonly lineListeners = new Listeners<ConsoleLine>();
  private readonly frameListeners = new Listeners<SfuFrame>();
  private readonly off: () => void;

  constructor(private readonly opts: ConsoleOptions) {
    if (opts.sfuFrames) this.reader = new HostFrameReader();
    this.off = opts.link.onData((chunk) => this.feed(chunk));
  }

  get link(): ByteLink {
    return this.opts.link;
  }

  write(data: Uint8Array | string): Promise<void> {
    return this.opts.link.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  onLine(listener: (line: ConsoleLine) => void): () => void {
    return this.lineListeners.add(listener);
  }

  onNote(listener: (note: ConsoleNote) => void): () => void {
    return this.noteListeners.add(listener);
  }

  /** Records a host note in the transcript, e.g. where the serial port went away and came back. */
  note(text: string): ConsoleNote {
    const n: ConsoleNote = { t: this.opts.clock.now(), text, host: true, afterLine: this.lines.length };
    this.notes.push(n);
    this.opts.timeline?.add('console', 'note', text);
    this.noteListeners.emit(n);
    return n;
  }

  onFrame(listener: (frame: SfuFrame) => void): () => void {
    return this.frameListeners.add(listener);
  }

  /** Waits for a line matching `pattern`; a timeout names what it waited for and the last line. */
  expect(pattern: RegExp, opts: ExpectOptions): Promise<{ line: ConsoleLine; match: RegExpExecArray; index: number }> {
    const from = opts.fromLine ?? this.lines.length;
    for (let i = from; i < this.lines.length; i++) {
      const m = pattern.exec(this.lines[i]!.text);
      if (m) return Promise.resolve({ line: this.lines[i]!, match: m, index: i });
    }
    return new Promise((resolve, reject) => {
      // eslint-disable-next-line prefer-const -- `done` (declared first) cancels it; assigned once the listeners exist
      let timer: Timer | undefined;
      const done = () => {
        offLine();
        timer?.cancel();
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const offLine = this.lineListeners.add((line) => {
        const m = pattern.exec(line.text);
        if (m) {
          done();
          resolve({ line, match: m, index: this.lines.length - 1 });
        }
      });
      const onAbort = () => {
        done();
        reject(opts.signal!.reason);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      timer = this.opts.clock.setTimer(opts.timeoutMs, () => {
        done();
        const last = this.lines.at(-1)?.text ?? '(nothing received)';
        reject(new ConsoleTimeout(`waited ${opts.timeoutMs} ms for ${opts.what ?? pattern} on ${this.opts.link.description}; last line: ${JSON.stringify(last)}`));
      });
    });
  }

  /** Lines with times relative to `origin`, ANSI escapes stripped. */
  transcript(origin = 0): string {
    const stamp = (l: ConsoleLine) => `[${((l.t - origin) / 1000).toFixed(4).padStart(10)}] ${l.host ? '[hil] ' : ''}${l.text}`;
    const text: string[] = [];
    let n = 0;
    for (let i = 0; i <= this.lines.length; i++) {
      while (n < this.notes.length && this.notes[n]!.afterLine <= i) text.push(stamp(this.notes[n++]!));
      if (i < this.lines.length) text.push(stamp(this.lines[i]!));
    }
    if (this.partial) text.push(`[${'…'.padStart(10)}] ${this.partial}`);
    return text.join('\n');
  }

  /** Completes a pending partial line (e.g. before a power cut), so nothing said is lost. */
  flushPartial(): void {
    if (this.reader) this.feedText(this.reader.flushText());
    if (this.partial) this.pushLine(this.partial);
    this.partial = '';
  }

  close(): void {
    this.off();
  }

  private feed(chunk: Buffer): void {
    if (!this.reader) return this.feedText(chunk.toString('latin1'));
    for (const ev of this.reader.push(chunk)) {
      if (ev.type === 'text') this.feedText(ev.text);
      else if (ev.type === 'frame') {
        this.frameListeners.emit({ code: ev.code, body: ev.body });
      } else {
        this.opts.timeline?.add('console', 'bad-frame', ev.reason);
      }
    }
  }

  private feedText(text: string): void {
    if (!text) return;
    // Lines end in LF, CRLF or a lone CR (the STM32F4 SFU ends its lines in CR). A CR at the very
    // end is held back until the next chunk tells whether an LF follows it.
    let s = this.partial + text;
    const heldCr = s.endsWith('\r');
    if (heldCr) s = s.slice(0, -1);
    const parts = s.split(/\r\n|\n|\r/);
    this.partial = parts.pop()! + (heldCr ? '\r' : '');
    for (const p of parts) this.pushLine(p);
  }

  /**
   * Forgets every line and note so far (line indices start again at 0). For a run of many short
   * observations on one console, each reading only its own lines (a sweep's points: a product's
   * sweep kept 180,000 lines it never read again); nothing may wait on an older index.
   */
  forgetLines(): void {
    this.lines.length = 0;
    this.notes.length = 0;
  }

  /** One whole line, as received (a merged console hands over its members' lines this way). */
  protected pushLine(raw: string): void {
    // eslint-disable-next-line no-control-regex
    const text = raw.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    const line = { t: this.opts.clock.now(), text };
    this.lines.push(line);
    this.opts.timeline?.add('console', 'line', text);
    this.lineListeners.emit(line);
  }
}
