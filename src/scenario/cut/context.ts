/**
 * What the states of one cut share: the rig, the scheme, the images and the spec; what has
 * happened so far (the update's progress and end, the fire point, the second cut, the line the
 * device's recovery starts at, the verdict); the services several states use (the power
 * interruption, the result). It also holds the current state and makes the transitions, so that
 * each is checked against CUT_TRANSITIONS and shows on the timeline.
 */
import { formatTrigger } from '../../config/trigger.js';
import type { Outcome } from '../../config/vocabulary.js';
import type { Rig } from '../../rig/rig.js';
import type { FlashView, SchemeAdapter } from '../../schemes/scheme.js';
import type { CutResult, CutSpec, RetryResult } from '../cut.js';
import type { BootObservation } from '../observe-boot.js';
import type { FirePoint, TriggerWatch } from '../trigger-watch.js';
import type { UpdateImage } from '../update-image.js';
import type { Verdict } from '../verdict.js';
import { CUT_TRANSITIONS, CutTransitionError, isFinal, type CutState, type StateHandler } from './states.js';

/** Thrown into the update when the cut fires; the updater's rejection with it is expected. */
export class CutFired extends Error {
  constructor() {
    super('power cut');
  }
}

export interface CutImages {
  from: UpdateImage;
  to: UpdateImage;
  previous?: UpdateImage;
}

export class CutContext {
  readonly t0: number;
  readonly base: Pick<CutResult, 'rig' | 'variant' | 'trigger' | 'offMs' | 'seed'>;
  /** The update's latest progress, as the trigger watch reads it. */
  readonly progress: { acked: number; total: number; phase: string };
  readonly update: CutResult['update'];
  /** Stops the update: with CutFired at the cut, with the caller's reason on an abort. */
  readonly updateAbort = new AbortController();
  watch?: TriggerWatch;
  /** Settles (never rejects) once the updater has let go of the device; set by the updating state. */
  updateEnded: Promise<void> = Promise.resolve();
  /** The updater's failure, when it was the rig's (a link that broke, a probe that failed). */
  updateRigError?: string;
  fired?: FirePoint;
  /** Power interruptions made so far (the second cut is the second). */
  cuts = 0;
  secondCut?: CutResult['secondCut'];
  /** The twin's phase when the first cut fired. */
  devicePhase?: string;
  /** Console line from which the device's recovery is read (after the last interruption). */
  fromLine = 0;
  observation?: BootObservation;
  flash?: FlashView;
  verdict?: Verdict;
  outcome?: Outcome;
  /** Set by the retrying state: the recovery's own judgement and each retry's. */
  retried?: { firstOutcome: Outcome; firstVerdict: Verdict; retries: RetryResult[] };
  result?: CutResult;

  private current: CutState = 'baseline';
  private handlers?: Readonly<Record<CutState, StateHandler>>;
  private wakeArmed!: () => void;
  /** Resolves when the trigger fires, or when the armed state's grace is over. */
  readonly armedWake: Promise<void>;
  private failWith!: (error: unknown) => void;
  /** Rejects when a transition fails outside a state's own flow (in the trigger's callback): the machine ends with it. */
  readonly broken: Promise<never>;
  private unlinkAbort?: () => void;

  constructor(
    readonly rig: Rig,
    readonly scheme: SchemeAdapter,
    readonly images: CutImages,
    readonly spec: CutSpec,
    readonly signal: AbortSignal | undefined,
  ) {
    this.t0 = rig.clock.now();
    this.base = {
      rig: rig.name,
      ...(rig.twin && { variant: rig.twin.variant }),
      trigger: formatTrigger(spec.trigger),
      offMs: spec.offMs,
      seed: spec.seed,
    };
    this.progress = { acked: 0, total: images.to.stream.length, phase: 'start' };
    this.update = { finished: false, committed: false, acked: 0, total: images.to.stream.length };
    this.armedWake = new Promise<void>((resolve) => (this.wakeArmed = resolve));
    this.broken = new Promise<never>((_, reject) => (this.failWith = reject));
    this.broken.catch(() => {});
  }

  // ---- the machine ----

  get state(): CutState {
    return this.current;
  }

  get final(): boolean {
    return isFinal(this.current);
  }

  get handler(): StateHandler {
    if (!this.handlers) throw new Error('CutContext: no state handlers bound');
    return this.handlers[this.current];
  }

  bind(handlers: Readonly<Record<CutState, StateHandler>>): void {
    if (this.handlers) throw new Error('CutContext: state handlers are already bound');
    this.handlers = handlers;
  }

  /** Starts the machine in its first state. */
  begin(): void {
    this.rig.timeline.add('scenario', `step:${this.current}`, undefined, { to: this.current });
    this.handler.enter?.();
  }

  /** The one way to change state: checked against the table, on the timeline, then the new state's entry. */
  enter(next: CutState): void {
    const from = this.current;
    if (!CUT_TRANSITIONS[from].includes(next)) throw new CutTransitionError(from, next);
    this.current = next;
    this.rig.timeline.add('scenario', `step:${next}`, `from ${from}`, { from, to: next });
    this.handler.enter?.();
  }

  /** Ends the machine with a device result. */
  judged(outcome: Outcome, extra: Partial<CutResult>): void {
    this.enter('judged');
    this.result = this.finish(outcome, extra);
  }

  /** Ends the machine with a rig error: nothing is known about the device. */
  rigError(message: string, extra: Partial<CutResult> = {}): void {
    this.watch?.disarm();
    this.enter('rig-error');
    this.result = this.finish('rig-error', { ...extra, rigError: message });
  }

  /** The trigger's callback: the cut starts now, whatever state's flow is running. */
  fire(point: FirePoint): void {
    try {
      this.fired = point;
      this.enter('cut');
    } catch (error) {
      this.failWith(error);
    } finally {
      this.wakeArmed();
    }
  }

  /** The armed state's wait is over without a cut (its grace ran out). */
  giveUpWaiting(): void {
    this.wakeArmed();
  }

  /** The caller's abort stops the update too (from the update's start until the machine ends). */
  linkAbort(): void {
    const signal = this.signal;
    if (!signal || this.unlinkAbort) return;
    const onAbort = () => this.updateAbort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.unlinkAbort = () => signal.removeEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
  }

  /** However the machine ends, an armed trigger must never cut power later, nor an abort reach a finished update. */
  close(): void {
    this.watch?.disarm();
    this.unlinkAbort?.();
  }

  // ---- what the states share ----

  /** One interruption of power (off for offMs, or the supply's sag); resolves with the first console line after it. */
  async interrupt(): Promise<number> {
    const { power } = this.rig;
    const { console, clock } = this.rig;
    if (power.cut) {
      await power.cut(this.spec.offMs);
      console.flushPartial();
      return console.lines.length;
    }
    await power.off();
    await clock.sleep(this.spec.offMs, this.signal);
    console.flushPartial();
    const fromLine = console.lines.length;
    await power.on();
    return fromLine;
  }

  finish(outcome: Outcome, extra: Partial<CutResult>): CutResult {
    const { console, clock, timeline } = this.rig;
    console.flushPartial();
    this.update.acked = this.progress.acked;
    // A multi-stage update's total counts every stage's bytes (the updater's), not the `to` image's alone.
    this.update.total = this.progress.total;
    return {
      ...this.base,
      outcome,
      update: this.update,
      transcript: console.transcript(this.t0),
      timeline: timeline.format(this.t0),
      clockMs: clock.now() - this.t0,
      ...extra,
    };
  }
}

/** The twin's last phase at or before clock time `t` (from the twin's own timeline events). */
export function lastPhaseBefore(rig: Rig, t: number): string | undefined {
  let phase: string | undefined;
  for (const e of rig.timeline.events) {
    if (e.t > t) break;
    if (e.source === 'twin' && e.kind.startsWith('phase:')) phase = e.kind.slice(6);
  }
  return phase;
}
