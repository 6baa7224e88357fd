/**
 * An interactive serial terminal (the core of `hil console`): keys to the device, device bytes to
 * the screen unchanged, and a timestamped transcript that also records where the port went away.
 * Streams are injected, so it runs on PassThroughs in tests exactly as on a TTY.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { ReadStream } from 'node:tty';
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { ByteLink } from '../drivers/console/byte-link.js';
import { Console, type ConsoleLine } from '../drivers/console/console.js';
import { noteGaps } from '../drivers/console/gap-notes.js';
import { lineEndingBytes, type LineEnding } from '../drivers/console/open.js';
import { hex } from '../core/hex.js';

export const DEFAULT_QUIT_KEY = 0x1d; // Ctrl-], as telnet and picocom-style tools use

export interface TerminalOptions {
  /** The device link. Optional when `console` is given (its link is used). */
  link?: ByteLink;
  /** An existing console on the link (the rig's): its lines and notes feed the transcript. */
  console?: Console;
  /** Keys (stdin). Put in raw mode while the terminal runs if it is a TTY. */
  input: Readable;
  /** Device bytes, exactly as received (stdout). */
  output: Writable;
  /** Host messages (a gap, keys dropped during one); stderr in the CLI. */
  status?: (text: string) => void;
  /** Writes the transcript to this file (truncated)... */
  transcriptPath?: string;
  /** ...or to this stream (from openTranscript(), so a bad path fails before the rig opens). Ended on return. */
  transcript?: Writable;
  quitKey?: number;
  /** What Enter sends. Default lf. */
  lineEnding?: LineEnding;
  signal?: AbortSignal;
  /** The console's clock: transcript times are relative to the terminal's start on it. */
  clock: Clock;
}

export type TerminalEnd = 'quit' | 'aborted' | 'closed' | 'input-ended';

export interface TerminalResult {
  reason: TerminalEnd;
  /** Why the link closed, when it closed underneath for good (a RigError). */
  error?: Error;
  /** Device lines seen while the terminal ran. */
  lines: number;
}

/**
 * `[+12.345s] text`, host notes as `[+12.345s] [hil] text`. Control bytes are written as \xNN:
 * a device that prints binary must not turn the transcript into a binary file.
 */
export function transcriptLine(line: ConsoleLine, origin: number): string {
  // eslint-disable-next-line no-control-regex
  const text = line.text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => `\\x${hex(c.charCodeAt(0), { width: 2, lower: true, prefix: false })}`);
  return `[+${((line.t - origin) / 1000).toFixed(3)}s] ${line.host ? '[hil] ' : ''}${text}`;
}

export async function runTerminal(opts: TerminalOptions): Promise<TerminalResult> {
  const link = opts.link ?? opts.console?.link;
  if (!link) throw new TypeError('runTerminal: a link or a console is required');
  const quitKey = opts.quitKey ?? DEFAULT_QUIT_KEY;
  const enter = lineEndingBytes(opts.lineEnding ?? 'lf');
  const status = opts.status ?? (() => {});
  // Everything below subscribes synchronously, so nothing the device says after this call is
  // missed; the file buffers writes until it is open.
  const file = !opts.transcript && opts.transcriptPath ? createWriteStream(opts.transcriptPath, { flags: 'w' }) : undefined;
  const fileOpen = file && whenOpen(file, opts.transcriptPath!);
  const transcript = opts.transcript ?? file;

  const ownConsole = !opts.console;
  const console = opts.console ?? new Console({ link, clock: opts.clock });
  const origin = opts.clock.now();
  const firstLine = console.lines.length;
  transcript?.write(`# hil console on ${link.description}, started ${new Date().toISOString()}\n`);

  let finish!: (r: { reason: TerminalEnd; error?: Error }) => void;
  const ended = new Promise<{ reason: TerminalEnd; error?: Error }>((resolve) => (finish = resolve));
  if (opts.signal?.aborted) finish({ reason: 'aborted' });

  const tty = asTty(opts.input);
  const wasRaw = tty?.isRaw ?? false;
  const restoreTty = () => tty?.setRawMode(wasRaw);
  // Even an uncaught exception must not leave the user's shell in raw mode.
  if (tty) process.once('exit', restoreTty);

  const offs: (() => void)[] = [
    noteGaps(console, link),
    link.onData((chunk) => void opts.output.write(chunk)),
    console.onLine((l) => transcript?.write(transcriptLine(l, origin) + '\n')),
    console.onNote((n) => {
      transcript?.write(transcriptLine(n, origin) + '\n');
      status(`[hil] ${n.text}`);
    }),
    link.onClose((reason) => finish({ reason: 'closed', ...(reason && { error: reason }) })),
  ];
  // Started in the middle of a gap: say so, or the transcript would begin with an unexplained silence.
  if ((link as { inGap?: boolean }).inGap) console.note(`${link.description} is re-enumerating: waiting for it to come back`);
  const onAbort = () => finish({ reason: 'aborted' });
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  // Writes go out in order; one failing (the port is re-enumerating) must not stop the next.
  let sending = Promise.resolve();
  let droppedReported = false;
  const send = (bytes: Buffer) => {
    if (!bytes.length) return;
    sending = sending.then(() =>
      link.write(bytes).then(
        () => void (droppedReported = false),
        (err: Error) => {
          // One message per outage, not one per key.
          if (!droppedReported) status(`[hil] keys not sent: ${err.message}`);
          droppedReported = true;
        },
      ),
    );
  };
  const keys = new KeyTranslator(quitKey, enter, !!tty);
  const onKeys = (chunk: Buffer | string) => {
    const { bytes, quit } = keys.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    send(bytes);
    if (quit) finish({ reason: 'quit' });
  };
  const onInputEnd = () => finish({ reason: 'input-ended' });

  try {
    await fileOpen;
    tty?.setRawMode(true);
    opts.input.on('data', onKeys);
    opts.input.once('end', onInputEnd);
    opts.input.resume();
    const end = await ended;
    await bounded(sending, 2000);
    return { ...end, lines: console.lines.length - firstLine };
  } finally {
    opts.input.off('data', onKeys);
    opts.input.off('end', onInputEnd);
    // A paused stdin no longer keeps the process alive.
    opts.input.pause();
    if (tty) {
      restoreTty();
      process.off('exit', restoreTty);
    }
    opts.signal?.removeEventListener('abort', onAbort);
    // The device's last words (a prompt has no line end) belong in the transcript too.
    console.flushPartial();
    for (const off of offs) off();
    if (ownConsole) console.close();
    if (transcript) await closeTranscript(transcript);
  }
}

/** Splits typed bytes into what goes to the device and the quit key. */
export class KeyTranslator {
  private lastCr = false;
  constructor(
    private readonly quitKey: number,
    private readonly enter: Buffer,
    /** On a raw TTY, Enter is CR and a LF is a deliberate Ctrl-J; from a pipe, lines end in LF. */
    private readonly raw: boolean,
  ) {}

  push(chunk: Buffer): { bytes: Buffer; quit: boolean } {
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      const cr = b === 0x0d;
      const lf = b === 0x0a && !this.raw;
      if (b === this.quitKey || cr || lf) {
        out.push(chunk.subarray(from, i));
        from = i + 1;
        if (b === this.quitKey) return { bytes: Buffer.concat(out), quit: true };
        // CRLF from a pipe is one Enter, even split across chunks.
        if (!(lf && this.lastCr)) out.push(this.enter);
      }
      this.lastCr = cr;
    }
    out.push(chunk.subarray(from));
    return { bytes: Buffer.concat(out), quit: false };
  }
}

function asTty(input: Readable): ReadStream | undefined {
  const t = input as Partial<ReadStream>;
  return t.isTTY && typeof t.setRawMode === 'function' ? (input as ReadStream) : undefined;
}

/** Opens a transcript file; a path that cannot be written is a usage error (exit 2). */
export async function openTranscript(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags: 'w' });
  await whenOpen(stream, path);
  return stream;
}

function whenOpen(stream: WriteStream, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new UsageError(`cannot write transcript ${path}: ${err.message}`)));
  });
}

function closeTranscript(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}

function bounded(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
