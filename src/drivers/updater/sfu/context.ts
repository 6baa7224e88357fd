/**
 * What the phases of one SFU upload share: the channel and clock, what the device has said so far
 * (INFO, the write window, the START reply, the verdict), the timing marks of the result, and the
 * services every phase uses (send, wait, errors, progress, timeline). It also holds the current
 * phase and makes the transitions, so that every transition is checked against
 * SFU_PHASE_TRANSITIONS and shows on the timeline.
 *
 * Frame and line handlers only update state, transition and wake the flow; the flow (a phase's
 * run()) is the only code that sends, and send() checks for a failure before each frame.
 */
import type { Clock } from '../../../core/clock.js';
import type { Timeline } from '../../../core/timeline.js';
import { SfuCode, encodeFrame, encodeWriteRequest, sfuCodeName, type InfoReply, type StartReply } from '../../../protocols/sfu/index.js';
import { describeChannel, type SfuChannel } from './channel.js';
import { SfuDeviceError, SfuLinkError } from './errors.js';
import type { ResolvedUploadOptions } from './options.js';
import { SFU_PHASE_TRANSITIONS, type PhaseHandler } from './phases.js';
import type { SfuPhase, SfuProgress, SfuUploadResult } from './result.js';
import type { RateSample } from './steady-rate.js';
import { SFU_TIMING } from './timing.js';
import { Wake } from './wake.js';
import type { WriteWindow } from './write-window.js';

export type TimingMark = 'infoReply' | 'eraseSent' | 'firstErasePart' | 'eraseReply' | 'firstWrite' | 'lastAck' | 'startReply' | 'verdict';

export class UploadContext {
  readonly wake: Wake;
  readonly description: string;
  /** The stream padded to whole words: what ERASE, WRITE and START count. */
  readonly stream: Buffer;
  readonly bytes: number;
  readonly t0: number;
  /** The last console lines, for the messages of device errors. */
  readonly recentLines: string[] = [];
  linesSeen = 0;
  /** Bumped on every frame, and on every line once START is out: what the erase and write flows wait for. */
  events = 0;
  lastRxAt: number;
  /** Clock time the write in progress was handed to the channel, if one is. */
  writingSince?: number;

  info?: InfoReply;
  /** Created when the erase phase starts (it needs INFO's slot base and RX buffer size). */
  window?: WriteWindow;
  /** Stream bytes sent before the ERASE reply. */
  prewrittenBytes = 0;
  readonly rateSamples: RateSample[] = [];
  startReply?: StartReply;
  verdict: SfuUploadResult['verdict'] = 'none';
  /** Clock time of a `CRC OK` line after START (on SFU 0x0200 it precedes SIGNED; alone it says signing failed). */
  crcOkAt?: number;
  readonly at: Partial<Record<TimingMark, number>> = {};

  private current: SfuPhase = 'info';
  private handlers?: Readonly<Record<SfuPhase, PhaseHandler>>;

  constructor(
    readonly clock: Clock,
    readonly channel: SfuChannel,
    readonly timeline: Timeline | undefined,
    stream: Buffer,
    readonly opts: ResolvedUploadOptions,
  ) {
    this.wake = new Wake(clock);
    this.description = describeChannel(channel);
    this.stream = stream;
    this.bytes = stream.length;
    this.t0 = this.lastRxAt = clock.now();
  }

  // ---- the machine ----

  get phase(): SfuPhase {
    return this.current;
  }

  get handler(): PhaseHandler {
    if (!this.handlers) throw new Error('UploadContext: no phase handlers bound');
    return this.handlers[this.current];
  }

  /** Gives the machine its phases (once, before any frame can arrive). */
  bind(handlers: Readonly<Record<SfuPhase, PhaseHandler>>): void {
    if (this.handlers) throw new Error('UploadContext: phase handlers are already bound');
    this.handlers = handlers;
  }

  /** Starts the machine in its first phase: on the timeline, then the phase's entry. */
  begin(): void {
    this.event(`phase:${this.current}`, undefined, { to: this.current });
    this.handler.enter?.();
  }

  /** The one way to change phase: checked against the transition table, recorded on the timeline, then the new phase's entry. */
  enter(next: SfuPhase): void {
    const from = this.current;
    if (!SFU_PHASE_TRANSITIONS[from].includes(next)) {
      throw new Error(`SFU upload: no transition from the ${from} phase to ${next} (allowed: ${SFU_PHASE_TRANSITIONS[from].join(', ') || 'none'})`);
    }
    this.current = next;
    this.event(`phase:${next}`, `from ${from}`, { from, to: next });
    this.handler.enter?.();
  }

  // ---- what the phases share ----

  /** The write window; only asked for from the erase phase on, which creates it. */
  get win(): WriteWindow {
    if (!this.window) throw new Error(`SFU upload: no write window in the ${this.current} phase`);
    return this.window;
  }

  /** Resolves true at the next frame (or line after START), false after `ms`; rejects on failure. */
  nextEvent(ms: number): Promise<boolean> {
    const seen = this.events;
    return this.wake.until(() => this.events !== seen, ms);
  }

  /** Takes the next WRITE from the window and sends it; the first one starts the rate measurement. */
  async sendNextWrite(): Promise<void> {
    const frame = this.win.take();
    if (this.at.firstWrite === undefined) {
      this.at.firstWrite = this.elapsed();
      this.rateSamples.push({ t: this.at.firstWrite, acked: 0, sent: 0 });
    }
    await this.send(SfuCode.WRITE, encodeWriteRequest(frame.addr, frame.data));
  }

  /** Sends one frame, unless the upload has failed or was aborted; a write that fails or stalls is a rig error. */
  async send(code: number, body?: Uint8Array): Promise<void> {
    this.wake.check();
    const frame = encodeFrame('host', code, body);
    let written: Promise<void>;
    try {
      written = Promise.resolve(this.channel.write(frame));
    } catch (error) {
      written = Promise.reject(error);
    }
    let stall: { cancel(): void } | undefined;
    const stalled = new Promise<never>((_, reject) => {
      stall = this.clock.setTimer(SFU_TIMING.writeStallMs, () => reject(new SfuLinkError(`writing ${sfuCodeName(code)} to ${this.description} stalled for ${SFU_TIMING.writeStallMs} ms`, this.phase)));
    });
    stalled.catch(() => {});
    let stopSilence: (() => void) | undefined;
    const silent = new Promise<never>((_, reject) => {
      stopSilence = this.watchSilence(reject);
    });
    silent.catch(() => {});
    this.writingSince = this.clock.now();
    try {
      await this.wake.race(Promise.race([written, stalled, silent]));
    } catch (error) {
      this.wake.check();
      if (error instanceof SfuLinkError || error instanceof SfuDeviceError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new SfuLinkError(`writing ${sfuCodeName(code)} to ${this.description} failed: ${why}`, this.phase, { cause: error });
    } finally {
      stall?.cancel();
      stopSilence?.();
      this.writingSince = undefined;
    }
    this.wake.check();
  }

  /**
   * Rejects with the phase's silence failure when its deadline passes (re-armed as frames move it,
   * and as the phase changes). Once the device has answered INFO, its silence is a device failure
   * (exit 1), decided by the phase's own deadline, whether or not a write of ours is stuck
   * meanwhile: a device that stops taking bytes (a frozen twin behind a pty, a board holding its
   * flow control) also stalls our writes, and which of the two timers fired first used to decide
   * between exit 1 and exit 3 for the same fault (issue 8 defect 15). A write stall stays a rig
   * error while the device is still talking.
   */
  private watchSilence(reject: (error: Error) => void): () => void {
    let timer: { cancel(): void } | undefined;
    let stopped = false;
    const arm = (): void => {
      if (stopped) return;
      const s = this.handler.silence?.();
      if (!s) return;
      const now = this.clock.now();
      if (now >= s.due) return reject(s.error(now));
      timer = this.clock.setTimer(s.due - now, arm);
    };
    arm();
    return () => {
      stopped = true;
      timer?.cancel();
    };
  }

  // ---- replies several phases treat alike ----

  /** HWRESET once ERASE is out: the session is gone and the target slot unsigned. */
  resetDuringUpload(): never {
    throw this.deviceError(`the device reset during the upload (HWRESET in the ${this.phase} phase); the target slot is left unsigned`);
  }

  /** TIMEOUT once ERASE is out: the device went 500 ms without a complete packet. */
  timedOut(): never {
    if (this.writingSince !== undefined && this.clock.now() - this.writingSince >= SFU_TIMING.stalledBeforeTimeoutMs) {
      // Our own write has been stuck in the transport: the device timing out is the consequence.
      throw new SfuLinkError(
        `a write to ${this.description} has been stalled for ${Math.round(this.clock.now() - this.writingSince)} ms, ` + 'and the device timed the session out meanwhile (TIMEOUT)',
        this.phase,
      );
    }
    throw this.deviceError(`the device timed out the session (TIMEOUT in the ${this.phase} phase: no complete packet for 500 ms); the target slot is left unsigned`);
  }

  // ---- helpers ----

  decode<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.deviceError(`malformed ${what}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  }

  deviceError(message: string, cause?: unknown): SfuDeviceError {
    return new SfuDeviceError(message, this.phase, [...this.recentLines.slice(-4)], cause === undefined ? undefined : { cause });
  }

  progress(p: SfuProgress): void {
    if (!this.opts.onProgress) return;
    try {
      this.opts.onProgress(p);
    } catch (error) {
      this.wake.fail(error);
    }
  }

  event(kind: string, detail?: string, data?: Record<string, unknown>): void {
    this.timeline?.add('updater', kind, detail, data);
  }

  elapsed(): number {
    return this.clock.now() - this.t0;
  }
}
