/**
 * The twin on a real pseudo-terminal pair, so the host side runs the serialport driver exactly
 * as on a rig: socat makes `<dir>/twin-host` and `<dir>/twin-dev` (see socat.ts for how it is
 * started: inside `<dir>`, tied to this process's life).
 * The host opens `<dir>/twin-host` (serialport); the twin's end is opened here with Node's own
 * fs streams (serialport on both ends of one pty pair in one process deadlocks, toolchain.md
 * bug 1).
 *
 * A pty carries tens of MiB/s whatever the baud rate, so the wire is modelled here, on the wall
 * clock: bytes reach device.uartRx no faster than paceBaud/10 per second, and the device's TX is
 * paced the same way. While more than ~4 KiB wait for the device, reading from the pty stops, so
 * backpressure reaches the host's writes as it would behind a real UART.
 */
import { constants, createReadStream, createWriteStream, existsSync, openSync, closeSync, type ReadStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../core/clock.js';
import { RigError } from '../../core/errors.js';
import type { TwinDevice } from '../device.js';
import { spawnSocatPtyPair } from './socat.js';

export interface PtyTwinOptions {
  /** Line rate the twin's UART is modelled at (8N1: paceBaud/10 bytes per second each way). */
  paceBaud: number;
  /** Where the two links go (default: a fresh temporary directory, removed on close). */
  dir?: string;
  /** How long to wait for socat to create both links. Default 5000 ms. */
  startTimeoutMs?: number;
  /** Line time a late timer may make up for at once (default DEFAULT_CATCH_UP_MS; see WallClockLine). */
  catchUpMs?: number;
  /** Every hand-over of the modelled wire, with the performance.now() it happened at: the pacing's event timeline. */
  onWire?: (direction: 'to-device' | 'to-host', bytes: number, at: number) => void;
}

export interface PtyTwin {
  /** Open this with serialport: the host end of the pair. */
  readonly hostPath: string;
  /** The twin's end (already open here). */
  readonly devicePath: string;
  /** socat's process id. */
  readonly socatPid: number;
  /** 'pdeathsig': the kernel kills socat when this process dies, even by SIGKILL; 'none': setpriv was not available. */
  readonly lifeline: 'pdeathsig' | 'none';
  /** Called once if socat ends while the twin is served (not after close()): the pair is gone. */
  onLost(listener: (why: string) => void): void;
  /** Kills socat (SIGTERM), closes the twin's end, removes the links. Idempotent. */
  close(): Promise<void>;
}

/** Stop reading from the pty while this many bytes wait for the device. */
const RX_HIGH_WATER = 4096;
/** The two links socat makes inside the directory. */
const HOST_LINK = 'twin-host';
const DEVICE_LINK = 'twin-dev';
/** Bytes per read from the pty. */
const READ_CHUNK = 1024;

/** How much line time a late timer may make up for at once (see WallClockLine). */
export const DEFAULT_CATCH_UP_MS = 4;

/**
 * One direction of a UART on the wall clock. A byte is handed over once its last bit would have
 * arrived. A timer that fires a little late (a few ms: timer granularity, a busy event loop) makes
 * up for it by handing over everything due at once, so ordinary jitter does not lower the line
 * rate; but never more than `catchUpMs` of line time: after a longer stall the line carries on
 * from now instead of pouring out the whole backlog. That is a token bucket, so over any span of
 * T ms the line hands over at most T x rate + catchUpMs x rate bytes (+1 for rounding): no burst
 * ever goes through faster than the wire, which is what a host measuring its throughput sees.
 */
export class WallClockLine {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  /** performance.now() at which the line finishes the bytes already handed over. */
  private wireFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly catchUpMs: number;

  constructor(
    private readonly bytesPerMs: number,
    /** Gets each hand-over with the performance.now() the line handed it over at. */
    private readonly deliver: (bytes: Buffer, at: number) => void,
    /** Called after every hand-over with the bytes still queued. */
    private readonly onLevel?: (queued: number) => void,
    opts: { catchUpMs?: number } = {},
  ) {
    if (!(bytesPerMs > 0)) throw new RangeError(`WallClockLine: rate must be > 0 bytes/ms, got ${bytesPerMs}`);
    this.catchUpMs = opts.catchUpMs ?? DEFAULT_CATCH_UP_MS;
    if (!(this.catchUpMs >= 0)) throw new RangeError(`WallClockLine: catchUpMs must be >= 0, got ${opts.catchUpMs}`);
  }

  get queued(): number {
    return this.queuedBytes;
  }

  /** Most bytes any one hand-over can carry beyond the line's steady rate. */
  get burstBytes(): number {
    return Math.ceil(this.catchUpMs * this.bytesPerMs) + 1;
  }

  push(bytes: Buffer): void {
    if (this.stopped || bytes.length === 0) return;
    const now = performance.now();
    // An idle line starts sending when the bytes arrive, not in the past.
    if (this.queuedBytes === 0) this.wireFreeAt = Math.max(this.wireFreeAt, now);
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.schedule(now);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private schedule(now: number): void {
    if (this.timer || this.stopped || this.queuedBytes === 0) return;
    // Wake when at least one byte (and normally a few dozen) is due.
    const due = this.wireFreeAt + Math.min(this.queuedBytes, 32) / this.bytesPerMs;
    this.timer = setTimeout(this.pump, Math.max(0, due - now));
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const now = performance.now();
    // Line time lost to a stall longer than catchUpMs is lost, as a UART that was not fed.
    this.wireFreeAt = Math.max(this.wireFreeAt, now - this.catchUpMs);
    let budget = Math.min(this.queuedBytes, Math.floor((now - this.wireFreeAt) * this.bytesPerMs));
    if (budget > 0) {
      const parts: Buffer[] = [];
      this.wireFreeAt += budget / this.bytesPerMs;
      this.queuedBytes -= budget;
      while (budget > 0) {
        const head = this.queue[0]!;
        if (head.length <= budget) {
          parts.push(head);
          this.queue.shift();
          budget -= head.length;
        } else {
          parts.push(head.subarray(0, budget));
          this.queue[0] = head.subarray(budget);
          budget = 0;
        }
      }
      this.deliver(parts.length === 1 ? parts[0]! : Buffer.concat(parts), now);
      this.onLevel?.(this.queuedBytes);
    }
    this.schedule(performance.now());
  };
}

/** What socat's end looked like, for messages. */
function describeExit(r: { exitCode?: number; signal?: string; failed: boolean; cause?: unknown }): string {
  if (r.signal) return `was killed by ${r.signal}`;
  if (r.exitCode !== undefined && r.exitCode > 128) {
    // socat catches SIGTERM/SIGINT/SIGHUP, removes its links and exits 128+N.
    const name = Object.entries(osConstants.signals).find(([, n]) => n === r.exitCode! - 128)?.[0];
    if (name) return `exited on ${name} (code ${r.exitCode})`;
  }
  if (r.exitCode !== undefined) return `exited with code ${r.exitCode}`;
  return `did not start${r.cause instanceof Error ? ` (${r.cause.message})` : ''}`;
}

export async function startPtyTwin(device: TwinDevice, opts: PtyTwinOptions): Promise<PtyTwin> {
  if (!(opts.paceBaud > 0)) throw new RangeError(`startPtyTwin: paceBaud must be > 0, got ${String(opts.paceBaud)}`);
  if (device.clock instanceof VirtualClock) {
    throw new TypeError('startPtyTwin: the twin needs a wall clock (e.g. ScaledClock(1)) on a pty: real I/O would race ahead of a VirtualClock');
  }
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'hilrig-pty-')));
  const hostPath = join(dir, HOST_LINK);
  const devicePath = join(dir, DEVICE_LINK);
  // socat leaves its links dangling when it is killed hard: never trip over a stale one.
  await rm(hostPath, { force: true });
  await rm(devicePath, { force: true });

  const { child: socat, pid: socatPid, lifeline } = await spawnSocatPtyPair(dir, HOST_LINK, DEVICE_LINK);
  const log: string[] = [];
  socat.stderr?.setEncoding('utf8');
  socat.stderr?.on('data', (t: string) => {
    log.push(...t.split('\n').filter(Boolean));
    if (log.length > 20) log.splice(0, log.length - 20);
  });
  let exited = false;
  let closing = false;
  const lostListeners: ((why: string) => void)[] = [];
  /** Why socat ended while not being closed. Kept, so a listener added late (even after a death during start-up) hears it. */
  let lostWhy: string | undefined;
  const exit = socat.then((r) => {
    exited = true;
    if (!closing) {
      lostWhy = `socat (pid ${socatPid}) ${describeExit(r)}: the pty pair ${hostPath} is gone; socat said: ${log.slice(-3).join(' | ') || '(nothing)'}`;
      lostListeners.splice(0).forEach((l) => l(lostWhy!));
    }
    return r;
  });

  const cleanupFiles = async (): Promise<void> => {
    await rm(hostPath, { force: true });
    await rm(devicePath, { force: true });
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };
  const killSocat = async (): Promise<void> => {
    if (!exited) {
      socat.kill('SIGTERM');
      const hard = setTimeout(() => socat.kill('SIGKILL'), 2000);
      await exit;
      clearTimeout(hard);
    }
  };

  // Wait for both links.
  const deadline = performance.now() + (opts.startTimeoutMs ?? 5000);
  while (!(existsSync(hostPath) && existsSync(devicePath))) {
    if (exited || performance.now() > deadline) {
      await killSocat();
      await cleanupFiles();
      const r = await exit;
      throw new RigError(`socat did not create the pty pair ${hostPath} / ${devicePath}: ${exited ? `it ${describeExit(r)}` : 'not in time'}; ` + `socat said: ${log.join(' | ') || '(nothing)'}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }

  // The twin's end, with Node's own fs streams on a blocking fd (reads wait in the thread pool).
  let fd: number;
  try {
    fd = openSync(devicePath, constants.O_RDWR | constants.O_NOCTTY);
  } catch (err) {
    await killSocat();
    await cleanupFiles();
    throw new RigError(`cannot open the twin's end of the pty ${devicePath}: ${(err as Error).message}`, { cause: err });
  }
  const input: ReadStream = createReadStream('', { fd, autoClose: false, highWaterMark: READ_CHUNK });
  const output: WriteStream = createWriteStream('', { fd, autoClose: false });
  const ignoreWhenClosing = (err: Error): void => {
    // EIO is what a pty read or write gets once socat is gone: expected while closing.
    if (!closing) log.push(`twin end: ${err.message}`);
  };
  input.on('error', ignoreWhenClosing);
  output.on('error', ignoreWhenClosing);

  const bytesPerMs = opts.paceBaud / 10 / 1000;
  const pacing = opts.catchUpMs === undefined ? {} : { catchUpMs: opts.catchUpMs };
  const toDevice = new WallClockLine(
    bytesPerMs,
    (b, at) => {
      opts.onWire?.('to-device', b.length, at);
      device.uartRx(b);
    },
    (queued) => {
      if (queued <= RX_HIGH_WATER && input.isPaused()) input.resume();
    },
    pacing,
  );
  const toHost = new WallClockLine(
    bytesPerMs,
    (b, at) => {
      if (closing) return;
      opts.onWire?.('to-host', b.length, at);
      output.write(b);
    },
    undefined,
    pacing,
  );
  input.on('data', (chunk: Buffer | string) => {
    toDevice.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    if (toDevice.queued > RX_HIGH_WATER) input.pause();
  });
  const offTx = device.onUartTx((b) => toHost.push(b));

  let closed: Promise<void> | undefined;
  return {
    hostPath,
    devicePath,
    socatPid,
    lifeline,
    onLost(listener) {
      if (lostWhy !== undefined) listener(lostWhy);
      else if (!closing) lostListeners.push(listener);
    },
    close() {
      closed ??= (async () => {
        closing = true;
        lostListeners.length = 0;
        offTx();
        toDevice.stop();
        toHost.stop();
        // Killing socat hangs the pty up: the read blocked in the thread pool returns (EIO).
        await killSocat();
        input.destroy();
        output.destroy();
        await new Promise((r) => setImmediate(r));
        try {
          closeSync(fd);
        } catch {
          // already closed by a stream that saw the hang-up
        }
        await cleanupFiles();
      })();
      return closed;
    },
  };
}
