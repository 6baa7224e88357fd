/**
 * "Was a rig ever driven by two jobs at once?", answered from the rig's own event log (one line per
 * hardware action, written by the fence in src/rig/fence.ts), not from what the queue believes.
 * Each token's actions span [first start, last end]; two tokens' spans must not overlap, and a
 * later span must carry a larger token (the fencing order).
 */
import { readFileSync } from 'node:fs';
import type { RigEvent, RigEventEnd } from '../rig/fence.js';

export type { RigEvent };

export interface TokenSpan {
  token: number;
  holder: string;
  first: number;
  last: number;
  actions: number;
}

export interface Overlap {
  rig: string;
  /** The earlier span (by first action) and the later one. */
  a: TokenSpan;
  b: TokenSpan;
  /** overlap: b started before a's last action; token-order: b started later with a smaller token. */
  why: 'overlap' | 'token-order';
}

/**
 * The log's actions, in the order they started, each with its end (`endAt`) when its end line is
 * there; a line that is not a complete event (a crash mid-append) is skipped, the rest kept.
 */
export function readRigEvents(eventLog: string): RigEvent[] {
  let text: string;
  try {
    text = readFileSync(eventLog, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const events: RigEvent[] = [];
  const open = new Map<string, RigEvent>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let e: RigEvent & Partial<RigEventEnd>;
    try {
      e = JSON.parse(line) as RigEvent & Partial<RigEventEnd>;
    } catch {
      continue; // torn last line
    }
    if (typeof e.rig !== 'string' || typeof e.token !== 'number') continue;
    if (typeof e.action === 'string' && typeof e.at === 'number') {
      events.push(e);
      if (e.seq !== undefined) open.set(`${e.pid}:${e.seq}`, e);
    } else if (typeof e.endAt === 'number') {
      const start = open.get(`${e.pid}:${e.seq}`);
      if (start) {
        start.endAt = e.endAt;
        open.delete(`${e.pid}:${e.seq}`);
      }
    }
  }
  return events;
}

/** Each rig's token spans, ordered by first action. */
export function tokenSpans(events: readonly RigEvent[]): Map<string, TokenSpan[]> {
  const byRig = new Map<string, Map<number, TokenSpan>>();
  for (const e of events) {
    let spans = byRig.get(e.rig);
    if (!spans) byRig.set(e.rig, (spans = new Map()));
    const span = spans.get(e.token);
    const end = Math.max(e.at, e.endAt ?? e.at);
    if (!span) spans.set(e.token, { token: e.token, holder: e.holder, first: e.at, last: end, actions: 1 });
    else {
      span.first = Math.min(span.first, e.at);
      span.last = Math.max(span.last, end);
      span.actions++;
    }
  }
  const out = new Map<string, TokenSpan[]>();
  for (const [rig, spans] of byRig)
    out.set(
      rig,
      [...spans.values()].sort((x, y) => x.first - y.first || x.token - y.token),
    );
  return out;
}

/**
 * Every pair of neighbouring spans (per rig, by first action) that overlaps in time or whose tokens
 * go backwards. Empty: no rig was driven by two leases at once. The events may come from several
 * logs (rigs) at once. Times are the wall clocks of the processes that wrote them: on one host.
 */
export function findDoubleBooking(events: readonly RigEvent[]): Overlap[] {
  const found: Overlap[] = [];
  for (const [rig, spans] of tokenSpans(events)) {
    for (let i = 1; i < spans.length; i++) {
      const a = spans[i - 1]!;
      const b = spans[i]!;
      // Any earlier span still running when b started overlaps it, not only the neighbour.
      const latest = spans.slice(0, i).reduce((m, s) => (s.last > m.last ? s : m), a);
      if (b.first < latest.last) found.push({ rig, a: latest, b, why: 'overlap' });
      else if (b.token < a.token) found.push({ rig, a, b, why: 'token-order' });
    }
  }
  return found;
}

/** One line per double booking, for a test's failure message or a report. */
export function formatOverlap(o: Overlap): string {
  const span = (s: TokenSpan) => `token ${s.token} (${s.holder}, ${s.actions} actions, ${new Date(s.first).toISOString()}..${new Date(s.last).toISOString()})`;
  return `rig ${o.rig}: ${o.why === 'overlap' ? 'driven by two leases at once' : 'tokens out of order'}: ${span(o.a)} and ${span(o.b)}`;
}
