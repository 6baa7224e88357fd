import type { Clock, Timer } from '../core/clock.js';
import { consoleRegExp, type Trigger } from '../config/trigger.js';
import type { Console } from '../drivers/console/console.js';

/** Where and when a cut fired. */
export interface FirePoint {
  /** Clock ms when power went off. */
  t: number;
  /** ms since the update started. */
  offsetMs: number;
  /** Bytes the device had acknowledged at that moment. */
  acked: number;
  /** The updater's phase at that moment (info, erase, write, start, sign, done). */
  phase: string;
  /** The console line that fired a console trigger. */
  line?: string;
  /** The trigger was not met: the update failed first and the cut was made at the failure. */
  forced?: boolean;
}

export interface TriggerSources {
  clock: Clock;
  console: Console;
  /** Latest progress of the update; the watcher polls nothing, it is told. */
  progress: { acked: number; total: number; phase: string };
  /** The rig's marker input (a GPIO the firmware pulses per flash operation; the twin's flash ops). */
  marker?: (listener: () => void) => () => void;
}

/**
 * Arms a trigger at the start of an update and calls `fire` once when it is met: a point in
 * time, an amount of the transfer acknowledged, or the nth console line matching a pattern
 * (each optionally delayed). `onProgress` must be fed every progress report.
 */
export class TriggerWatch {
  private fired = false;
  private readonly timers: Timer[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly start: number;
  private matches = 0;
  private edges = 0;

  constructor(
    private readonly trigger: Trigger,
    private readonly src: TriggerSources,
    private readonly fire: (point: FirePoint) => void,
  ) {
    this.start = src.clock.now();
    if (trigger.kind === 'after') this.after(trigger.ms);
    if (trigger.kind === 'console') {
      const re = consoleRegExp(trigger);
      this.offs.push(
        src.console.onLine((line) => {
          if (this.fired || !re.test(line.text)) return;
          if (++this.matches === trigger.nth) this.after(this.src.clock.now() - this.start + trigger.delayMs, line.text);
        }),
      );
    }
    if (trigger.kind === 'marker' && src.marker) {
      this.offs.push(
        src.marker(() => {
          if (!this.fired && ++this.edges === trigger.edge) this.after(this.src.clock.now() - this.start + trigger.delayMs, `marker edge ${this.edges}`);
        }),
      );
    }
  }

  /** Why this trigger cannot fire on this rig, if it cannot. */
  static unsupported(trigger: Trigger, src: Pick<TriggerSources, 'marker'>): string | undefined {
    return trigger.kind === 'marker' && !src.marker ? 'a marker trigger needs a marker input on the rig (the twin has one)' : undefined;
  }

  get hasFired(): boolean {
    return this.fired;
  }

  /** Feed each progress report of the update. */
  onProgress(): void {
    const t = this.trigger;
    if (this.fired || t.kind !== 'progress') return;
    const { acked, total } = this.src.progress;
    const need = 'bytes' in t ? t.bytes : Math.ceil((t.percent / 100) * total);
    if (total > 0 && acked >= need) this.fireNow();
  }

  /** Threshold in bytes for a progress trigger, once the total is known. */
  describeNeed(total: number): string | undefined {
    const t = this.trigger;
    if (t.kind !== 'progress') return undefined;
    return `${'bytes' in t ? t.bytes : Math.ceil((t.percent / 100) * total)} of ${total} bytes`;
  }

  disarm(): void {
    this.timers.forEach((t) => t.cancel());
    this.offs.forEach((o) => o());
  }

  private after(msFromStart: number, line?: string): void {
    const wait = this.start + msFromStart - this.src.clock.now();
    this.timers.push(this.src.clock.setTimer(Math.max(0, wait), () => this.fireNow(line)));
  }

  /** Fires now whatever the trigger says (e.g. the update failed before it could be met). */
  forceFire(): void {
    this.fireNow(undefined, true);
  }

  private fireNow(line?: string, forced = false): void {
    if (this.fired) return;
    this.fired = true;
    this.disarm();
    const now = this.src.clock.now();
    this.fire({
      t: now,
      offsetMs: now - this.start,
      acked: this.src.progress.acked,
      phase: this.src.progress.phase,
      ...(line !== undefined && { line }),
      ...(forced && { forced }),
    });
  }
}
