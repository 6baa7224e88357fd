import type { Clock } from './clock.js';

/** One timestamped thing that happened during a test: what triggers watch and the report draws. */
export interface TimelineEvent {
  /** Clock milliseconds (virtual on an in-process twin). */
  t: number;
  source: 'power' | 'console' | 'updater' | 'probe' | 'cut' | 'twin' | 'scenario' | 'gpio';
  kind: string;
  detail?: string;
  data?: Record<string, unknown>;
}

export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly listeners = new Set<(e: TimelineEvent) => void>();
  /**
   * While quiet, nothing is kept or passed on: a sweep's recoveries are judged from the console and
   * the flash, nobody reads their timeline, and on a product every chunk, line and lock change was
   * an entry. Sources that build costly entries may skip them (see `quiet` in open-twin-rig.ts).
   */
  quiet = false;

  constructor(readonly clock: Clock) {}

  add(source: TimelineEvent['source'], kind: string, detail?: string, data?: Record<string, unknown>): TimelineEvent {
    const e: TimelineEvent = { t: this.clock.now(), source, kind, ...(detail !== undefined && { detail }), ...(data && { data }) };
    if (this.quiet) return e;
    this.events.push(e);
    for (const l of [...this.listeners]) l(e);
    return e;
  }

  /** Forgets past events (each test starts its own timeline on a long-lived rig). */
  clear(): void {
    this.events.length = 0;
  }

  subscribe(listener: (e: TimelineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Plain text, one event a line, times relative to `origin`. */
  format(origin = 0): string {
    return formatEvents(this.events, origin);
  }
}

/** Events as plain text, one a line, times in seconds relative to `origin` (a cut's report uses the update's start). */
export function formatEvents(events: readonly TimelineEvent[], origin = 0): string {
  return events.map((e) => `${((e.t - origin) / 1000).toFixed(4).padStart(10)}s  ${e.source.padEnd(8)} ${e.kind}${e.detail ? '  ' + e.detail : ''}`).join('\n');
}
