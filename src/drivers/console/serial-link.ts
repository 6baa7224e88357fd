/**
 * A ByteLink over a serial port: a USB-serial adapter on a rig, or the host end of a pty pair in
 * tests. serialport 13 opens the port (its lock, its error messages, its termios setup, custom
 * baud rates included); the bytes themselves go through a second descriptor of the same tty,
 * driven by Node's own tty stream. Why (toolchain.md):
 *
 * - serialport's unix poller restarts polling with only the newest event kind
 *   (`uv_poll_start(handle, events)` in Poller::poll, not the accumulated set): while a write
 *   waits for "writable" after EAGAIN, the pending read's "readable" interest is gone, and while a
 *   read waits, a write's is. Behind a device that takes its bytes slowly (a bootloader erasing
 *   while the host pre-writes), reads stopped for seconds and replies piled up unread (issue 8
 *   defect 3). libuv's stream keeps both interests on one watcher: reads never wait on writes;
 * - a device that vanishes during a read is never reported by serialport (bug 2); here a hang-up
 *   ends the stream (EOF or EIO), and the path is also watched every 100 ms: the link closes,
 *   with onClose, as soon as the device is gone;
 * - a disappearance is only noticed while something reads: data is always consumed;
 * - writes made while the device is gone would be replayed on a later reopen: a closed link
 *   rejects writes, and a new link is needed after a cut.
 */
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import tty from 'node:tty';
import { SerialPort } from 'serialport';
import type { Clock, Timer } from '../../core/clock.js';
import { RigError } from '../../core/errors.js';
import { Listeners, type ByteLink } from './byte-link.js';

export interface SerialLinkOptions {
  /** Line rate, 8N1, no flow control. */
  baud: number;
  /** Runs the path watch (default: the wall clock). */
  clock?: Clock;
  /** How often the device path is checked. Default 100 ms. */
  watchMs?: number;
}

/** Opens `path` at `baud` 8N1; a missing, busy or forbidden port is a RigError that says which. */
export async function openSerialLink(path: string, opts: SerialLinkOptions): Promise<ByteLink> {
  if (typeof path !== 'string' || path === '') throw new TypeError('openSerialLink: path must be a non-empty string');
  if (!opts || !Number.isInteger(opts.baud) || opts.baud <= 0) {
    throw new TypeError(`openSerialLink: baud must be a positive integer, got ${String(opts?.baud)}`);
  }
  if (!existsSync(path)) {
    throw new RigError(`serial port ${path} does not exist: is the adapter plugged in (and the by-id path right)?`);
  }
  const port = new SerialPort({ path, baudRate: opts.baud, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, xon: false, xoff: false, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    throw openError(path, err);
  }
  let io: tty.ReadStream;
  try {
    io = openByteStream(path);
  } catch (err) {
    await closePort(port);
    throw err;
  }
  return new SerialLink(port, io, path, opts);
}

/**
 * The descriptor the bytes go through: non-blocking, driven by libuv's tty stream (one watcher,
 * readable and writable interests kept together). Termios is per device, so serialport's
 * settings apply to it too.
 */
function openByteStream(path: string): tty.ReadStream {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (err) {
    throw openError(path, err);
  }
  try {
    return new tty.ReadStream(fd);
  } catch (err) {
    closeSync(fd);
    throw new RigError(`serial port ${path} is not a terminal device: ${(err as Error).message}`, { cause: err });
  }
}

/** Closes serialport's descriptor (and its lock), bounded: a hung-up tty must not keep us waiting. */
function closePort(port: SerialPort): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!port.isOpen) return resolve();
    const bound = setTimeout(resolve, 2000);
    port.close(() => {
      clearTimeout(bound);
      resolve();
    });
  });
}

function openError(path: string, err: unknown): RigError {
  const message = err instanceof Error ? err.message : String(err);
  if (/No such file or directory|ENOENT/i.test(message) || !existsSync(path)) {
    return new RigError(`serial port ${path} does not exist: is the adapter plugged in (and the by-id path right)?`, { cause: err });
  }
  if (/Cannot lock port|Resource temporarily unavailable|EBUSY|EAGAIN|busy/i.test(message)) {
    return new RigError(`serial port ${path} is busy: another program has it open (a terminal, ModemManager, another hil run)`, { cause: err });
  }
  if (/Permission denied|EACCES/i.test(message)) {
    return new RigError(`no permission to open serial port ${path}: add the user to the dialout group (then log in again)`, { cause: err });
  }
  return new RigError(`cannot open serial port ${path}: ${message}`, { cause: err });
}

class SerialLink implements ByteLink {
  readonly description: string;
  private readonly data = new Listeners<Buffer>();
  private readonly closeListeners = new Listeners<Error | undefined>();
  private readonly pendingWrites = new Set<(err: Error) => void>();
  private watch?: Timer | NodeJS.Timeout;
  private closed = false;
  private closing?: Promise<void>;

  constructor(
    /** Holds the lock and the termios settings; never reads or writes (see the file comment). */
    private readonly port: SerialPort,
    /** Every byte in and out. */
    private readonly io: tty.ReadStream,
    private readonly path: string,
    private readonly opts: SerialLinkOptions,
  ) {
    this.description = `serial ${path} @ ${opts.baud} baud`;
    // Always consume: a vanished device is only noticed while something reads.
    io.on('data', (chunk: Buffer) => {
      if (!this.closed) this.data.emit(chunk);
    });
    // A tty that hangs up (adapter unplugged, pty closed) reads EOF or fails with EIO.
    io.on('end', () => this.gone(new RigError(`serial port ${path} disappeared (hang-up): unplugged, or the device lost power`)));
    io.on('error', (err: Error) => {
      const hangUp = /EIO|ENXIO|EBADF|ENODEV/.test(`${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`);
      this.gone(
        hangUp
          ? new RigError(`serial port ${path} disappeared (${err.message}): unplugged, or the device lost power`, { cause: err })
          : new RigError(`serial port ${path} failed: ${err.message}`, { cause: err }),
      );
    });
    io.on('close', () => this.gone(new RigError(`serial port ${path} was closed underneath`)));
    port.on('error', (err: Error) => this.gone(new RigError(`serial port ${path} failed: ${err.message}`, { cause: err })));
    this.armWatch();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new RigError(`serial port ${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        this.pendingWrites.delete(fail);
        reject(err);
      };
      this.pendingWrites.add(fail);
      // Resolves once the kernel has taken every byte: libuv queues the rest and keeps reading meanwhile.
      this.io.write(Buffer.from(bytes), (err?: Error | null) => {
        if (!this.pendingWrites.delete(fail)) return;
        if (err) reject(new RigError(`writing to serial port ${this.path} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    return this.data.add(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): () => void {
    return this.closeListeners.add(listener);
  }

  /** Closes the port; emits onClose(undefined) once. Idempotent. */
  close(): Promise<void> {
    if (!this.closed) this.shutDown(undefined);
    return this.closing!;
  }

  private armWatch(): void {
    const every = this.opts.watchMs ?? 100;
    const check = (): void => {
      if (this.closed) return;
      if (!existsSync(this.path)) {
        this.gone(new RigError(`serial port ${this.path} disappeared (unplugged, or the device lost power)`));
        return;
      }
      if (this.opts.clock) this.watch = this.opts.clock.setTimer(every, check);
    };
    if (this.opts.clock) this.watch = this.opts.clock.setTimer(every, check);
    else {
      this.watch = setInterval(check, every);
      this.watch.unref();
    }
  }

  private gone(reason: Error): void {
    if (!this.closed) this.shutDown(reason);
  }

  private shutDown(reason: Error | undefined): void {
    this.closed = true;
    if (this.watch && 'cancel' in this.watch) this.watch.cancel();
    else if (this.watch) clearInterval(this.watch);
    const err = reason ?? new RigError(`serial port ${this.path} was closed`);
    for (const fail of [...this.pendingWrites]) fail(err);
    this.io.removeAllListeners('data');
    // Queued bytes are dropped with the stream: they must never reach a device that came back.
    this.io.destroy();
    // Tell the listeners at once; serialport's descriptor closes in the background (bounded).
    this.closing = closePort(this.port);
    this.closeListeners.emit(reason);
  }
}
