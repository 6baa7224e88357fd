/**
 * One SFU upload, start to verdict (reference/sfu-protocol.md §8 "Host uploader"), as the state
 * machine of phases.ts: info -> erase -> write -> start -> sign -> done, one handler per phase
 * (phase-*.ts). This file wires the channel to the machine and runs it:
 *
 * - every device frame goes to the current phase's reply table (handled, or ignored on purpose);
 * - console lines feed the phases that read the verdict (start, sign);
 * - each phase's run() drives its side of the conversation and makes its transition, unless a
 *   reply made it (the ERASE reply ends the erase while pre-written WRITEs are going out);
 * - every transition is an `updater` event `phase:<name>` on the timeline;
 * - the first failure (device error, link error, closed link, abort) ends the upload from any phase.
 */
import type { Clock } from '../../../core/clock.js';
import type { Timeline } from '../../../core/timeline.js';
import { onChannelClose, type SfuChannel, type SfuFrameIn, type SfuLineIn } from './channel.js';
import { UploadContext } from './context.js';
import { SfuLinkError } from './errors.js';
import type { ResolvedUploadOptions } from './options.js';
import { DonePhase } from './phase-done.js';
import { ErasePhase } from './phase-erase.js';
import { InfoPhase } from './phase-info.js';
import { SignPhase } from './phase-sign.js';
import { StartPhase } from './phase-start.js';
import { WritePhase } from './phase-write.js';
import { replyRule, type PhaseHandler } from './phases.js';
import type { SfuPhase, SfuUploadResult } from './result.js';
import { steadyRate } from './steady-rate.js';
import { classifyVerdictLine } from './verdict.js';

export interface SessionDeps {
  channel: SfuChannel;
  clock: Clock;
  timeline?: Timeline;
}

/** One handler per phase, over one shared context. */
export function phaseHandlers(s: UploadContext): Readonly<Record<SfuPhase, PhaseHandler>> {
  return {
    info: new InfoPhase(s),
    erase: new ErasePhase(s),
    write: new WritePhase(s),
    start: new StartPhase(s),
    sign: new SignPhase(s),
    done: new DonePhase(s),
  };
}

export class UploadSession {
  private readonly s: UploadContext;
  private readonly offs: (() => void)[] = [];

  constructor(
    deps: SessionDeps,
    stream: Uint8Array,
    private readonly opts: ResolvedUploadOptions,
  ) {
    this.s = new UploadContext(deps.clock, deps.channel, deps.timeline, padToWords(stream), opts);
    this.s.bind(phaseHandlers(this.s));
  }

  async run(): Promise<SfuUploadResult> {
    const s = this.s;
    this.subscribe();
    try {
      s.begin();
      while (s.phase !== 'done') {
        const phase = s.phase;
        await s.handler.run();
        if (s.phase === phase) throw new Error(`SFU upload: the ${phase} phase ended without a transition`);
      }
      return this.result();
    } catch (error) {
      s.event('failed', error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      for (const off of this.offs.splice(0)) off();
    }
  }

  // ---- wiring ----

  private subscribe(): void {
    const { s } = this;
    const { signal } = this.opts;
    if (signal) {
      const onAbort = (): void => s.wake.fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.offs.push(() => signal.removeEventListener('abort', onAbort));
      if (signal.aborted) onAbort();
    }
    this.offs.push(s.channel.onFrame((f) => this.onFrame(f)));
    if (s.channel.onLine) this.offs.push(s.channel.onLine((l) => this.onLine(l)));
    this.offs.push(
      onChannelClose(s.channel, (reason) => {
        const why = reason ? `: ${reason.message}` : '';
        s.wake.fail(new SfuLinkError(`${s.description} closed during the ${s.phase} phase of the SFU upload${why}`, s.phase, { cause: reason }));
      }),
    );
  }

  private onFrame({ code, body }: SfuFrameIn): void {
    const { s } = this;
    if (s.wake.failed) return;
    s.lastRxAt = s.clock.now();
    s.events++;
    try {
      const rule = replyRule(s.handler.replies, code);
      if (typeof rule === 'function') rule(body);
    } catch (error) {
      s.wake.fail(error);
    }
    s.wake.wake();
  }

  private onLine(line: SfuLineIn): void {
    const { s } = this;
    s.recentLines.push(line.text);
    if (s.recentLines.length > 8) s.recentLines.shift();
    s.linesSeen++;
    const handle = s.handler.line;
    if (s.wake.failed || !handle) return;
    s.events++;
    handle(classifyVerdictLine(line.text));
    s.wake.wake();
  }

  private result(): SfuUploadResult {
    const { s } = this;
    const win = s.win;
    const info = s.info!;
    const reply = s.startReply!;
    const at = s.at;
    const end = s.elapsed();
    return {
      ok: s.verdict !== 'none',
      signed: s.verdict === 'signed',
      slotBase: reply.slotBase >>> 0,
      announcedSlotBase: info.mainStartFrom >>> 0,
      bytes: s.bytes,
      crc: reply.crc >>> 0,
      seconds: end / 1000,
      bytesPerSecond: steadyRate(s.rateSamples, Math.min(s.bytes, 8 * this.opts.writeBlock)),
      resyncs: win.resyncs,
      info,
      prewrittenBytes: s.prewrittenBytes,
      writeFrames: win.dataFrames + win.polls,
      polls: win.polls,
      verdict: s.verdict,
      timing: {
        infoReply: at.infoReply!,
        eraseSent: at.eraseSent!,
        ...(at.firstErasePart !== undefined && { firstErasePart: at.firstErasePart }),
        eraseReply: at.eraseReply!,
        ...(at.firstWrite !== undefined && { firstWrite: at.firstWrite }),
        lastAck: at.lastAck ?? at.eraseReply!,
        startReply: at.startReply!,
        ...(at.verdict !== undefined && { verdict: at.verdict }),
        end,
      },
    };
  }
}

/** The stream padded with 0xFF to whole 32-bit words (the CRC and every WRITE work on words). */
export function padToWords(stream: Uint8Array): Buffer {
  const pad = (4 - (stream.length % 4)) % 4;
  const out = Buffer.alloc(stream.length + pad, 0xff);
  out.set(stream, 0);
  return out;
}
