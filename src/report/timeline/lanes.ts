/**
 * A cut's events sorted into the picture's lanes: spans (power on/off, the updater's phases, the
 * device's phases) and instants (flash ops, console lines). Times stay clock ms; the SVG maps them.
 */
import type { TimelineEvent } from '../../core/timeline.js';
import { memberOf } from './members.js';
import type { CutMoments, CutRecording } from './recording.js';

export interface Span {
  from: number;
  to: number;
  label: string;
  /** CSS class suffix (`on`, `off`, a phase name made safe). */
  kind: string;
}

export interface Lanes {
  power: Span[];
  updater: Span[];
  device: Span[];
  flashOps: number[];
  console: number[];
}

/** The time the picture spans: the update's start to the cut's end (the whole cut when the update never started). */
export function timeRange(m: CutMoments): { lo: number; hi: number } {
  const lo = m.end > m.origin ? m.origin : m.start;
  return { lo, hi: Math.max(m.end, lo + 1) };
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '-');

/** Spans from a sequence of state changes: each state lasts until the next change, the last one until `hi`. */
export function spans(changes: { t: number; state: string | null }[], lo: number, hi: number, initial: string | null): Span[] {
  const out: Span[] = [];
  let state = initial;
  let since = lo;
  const close = (t: number) => {
    if (state !== null && t > since) out.push({ from: since, to: t, label: state, kind: safe(state) });
  };
  for (const c of changes) {
    if (c.t < lo) {
      state = c.state;
      continue;
    }
    if (c.t > hi) break;
    close(c.t);
    state = c.state;
    since = c.t;
  }
  close(hi);
  return out;
}

export function powerChanges(events: readonly TimelineEvent[]): { t: number; state: string | null }[] {
  return events.filter((e) => e.source === 'power' && (e.kind === 'on' || e.kind === 'off')).map((e) => ({ t: e.t, state: e.kind }));
}

/** The updater's phases, from the update's start to its end (done, failed, or cut). */
export function updaterChanges(events: readonly TimelineEvent[], m: CutMoments): { t: number; state: string | null }[] {
  const out: { t: number; state: string | null }[] = [];
  for (const e of events) {
    if (e.source === 'scenario' && e.kind === 'update-start') out.push({ t: e.t, state: 'connect' });
    else if (e.source === 'updater' && e.kind.startsWith('phase:')) out.push({ t: e.t, state: e.kind.slice(6) });
    else if (e.source === 'scenario' && (e.kind === 'update-done' || e.kind === 'update-failed')) out.push({ t: e.t, state: null });
  }
  if (m.fire) out.push({ t: m.fire.t, state: null });
  return out.sort((a, b) => a.t - b.t);
}

/**
 * The device's own phases (a twin's bootloader, app, swap, erase...); power off ends whatever it was
 * doing. `member`: one processor's phases only (a product's events name theirs in `data.mcu`).
 */
export function deviceChanges(events: readonly TimelineEvent[], member?: string): { t: number; state: string | null }[] {
  const out: { t: number; state: string | null }[] = [];
  for (const e of events) {
    if (e.source === 'power' && e.kind === 'off') out.push({ t: e.t, state: null });
    else if (member !== undefined && memberOf(e) !== member) continue;
    else if (e.source === 'twin' && e.kind.startsWith('boot:')) out.push({ t: e.t, state: e.kind.slice(5) + (e.detail ? ` ${e.detail}` : '') });
    else if (e.source === 'twin' && e.kind.startsWith('phase:')) out.push({ t: e.t, state: e.kind.slice(6) });
  }
  return out;
}

export function cutLanes(rec: CutRecording, m: CutMoments): Lanes {
  const { lo, hi } = timeRange(m);
  const power = powerChanges(rec.events);
  const initialPower = power.filter((c) => c.t <= lo).at(-1)?.state ?? 'on';
  return {
    power: spans(power, lo, hi, initialPower),
    updater: spans(updaterChanges(rec.events, m), lo, hi, null),
    device: spans(deviceChanges(rec.events), lo, hi, null),
    flashOps: rec.flashOps.filter((t) => t >= lo && t <= hi),
    console: rec.lines.filter((l) => !l.host && l.t >= lo && l.t <= hi).map((l) => l.t),
  };
}
