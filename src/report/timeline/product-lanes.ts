/**
 * A product's cut sorted into lanes on the one time axis both processors share: power (one switch
 * for the product), the updater's phases, each processor's own phases, the flash ops per memory
 * (each processor's internal flash, the shared one) with the processor that issued each, who held
 * the bus lock, the messages on the link between the processors, and each processor's console.
 */
import type { TimelineEvent } from '../../core/timeline.js';
import { deviceChanges, powerChanges, spans, timeRange, updaterChanges, type Span } from './lanes.js';
import { isLink, isLock, linkOf, lockHolder, memberOf, membersOf, splitLine } from './members.js';
import type { CutMoments, CutRecording } from './recording.js';

/** A flash op's start and the processor that ran it. */
export interface OpTick {
  t: number;
  mcu?: string;
}

export interface FlashLane {
  /** The dump region's name (`host-flash`, `shared-flash`), or `flash` when the rig named none. */
  memory: string;
  /** The member whose internal flash it is (`<member>-flash`); absent: a memory several processors reach. */
  owner?: string;
  ops: OpTick[];
}

export interface LinkMessage {
  t: number;
  from: string;
  to: string;
  text: string;
}

/** A console line worth its own words on the picture: a boot banner, the app's settled line. */
export interface Banner {
  t: number;
  text: string;
}

export interface MemberConsole {
  member: string;
  /** Every line's time (the ticks). */
  lines: number[];
  banners: Banner[];
}

/** Two processors on the shared bus at once, as the twin saw it (a missing lock's footprint). */
export interface BusConflict {
  t: number;
  mcu?: string;
  text: string;
}

export interface ProductLanes {
  members: string[];
  power: Span[];
  updater: Span[];
  phases: { member: string; spans: Span[] }[];
  flash: FlashLane[];
  /** Who held the bus lock (the span's label is the holder); released time has no span. */
  lock: Span[];
  conflicts: BusConflict[];
  link: LinkMessage[];
  console: MemberConsole[];
}

/**
 * The lines a reader looks for first in a processor's console: its bootloader starting, the app's
 * banner (`hilrig-app 2.0.0 running from slot primary @0xc000`), the update's settled lines.
 */
const BANNER = /hilrig-app \S+ running|Starting bootloader|Jumping to|^fota: (idle|complete|failed|accepted|error)\b/i;

/** True when the recording is a product's: some event, op or line names a processor. */
export function isProductRecording(rec: CutRecording): boolean {
  return membersOf(rec).length > 0;
}

/**
 * A processor's phase changes without its repeats: an app that reports `download` at every chunk is
 * in one phase, not a hundred (the single-device picture keeps each report, as it always drew them).
 */
function withoutRepeats(changes: { t: number; state: string | null }[]): { t: number; state: string | null }[] {
  const out: { t: number; state: string | null }[] = [];
  for (const c of changes) if (out.length === 0 || out.at(-1)!.state !== c.state) out.push(c);
  return out;
}

function lockChanges(events: readonly TimelineEvent[]): { t: number; state: string | null }[] {
  const out: { t: number; state: string | null }[] = [];
  for (const e of events) {
    // Power off releases the line: neither processor drives it any more.
    if (e.source === 'power' && e.kind === 'off') out.push({ t: e.t, state: null });
    else if (isLock(e)) out.push({ t: e.t, state: lockHolder(e) });
  }
  return out;
}

function flashLanes(rec: CutRecording, members: readonly string[], lo: number, hi: number): FlashLane[] {
  const info = rec.flashOpInfo;
  const byMemory = new Map<string, OpTick[]>();
  rec.flashOps.forEach((t, i) => {
    const o = info?.[i];
    const memory = o?.memory ?? (o?.mcu ? `${o.mcu}-flash` : 'flash');
    if (!byMemory.has(memory)) byMemory.set(memory, []);
    if (t >= lo && t <= hi) byMemory.get(memory)!.push({ t, ...(o?.mcu && { mcu: o.mcu }) });
  });
  // Each member's internal flash in the rig's order (even when it saw no op in this cut), then the rest.
  const own = members.map((m) => `${m}-flash`);
  const memories = [...own.filter((m) => byMemory.has(m) || info), ...[...byMemory.keys()].filter((m) => !own.includes(m))];
  return memories.map((memory) => {
    const owner = members.find((m) => `${m}-flash` === memory);
    return { memory, ...(owner && { owner }), ops: byMemory.get(memory) ?? [] };
  });
}

export function productLanes(rec: CutRecording, m: CutMoments): ProductLanes {
  const { lo, hi } = timeRange(m);
  const members = membersOf(rec);
  const power = powerChanges(rec.events);
  const initialPower = power.filter((c) => c.t <= lo).at(-1)?.state ?? 'on';
  const inRange = (t: number) => t >= lo && t <= hi;
  const consoles = new Map<string, MemberConsole>(members.map((member) => [member, { member, lines: [], banners: [] }]));
  for (const l of rec.lines) {
    if (l.host || !inRange(l.t)) continue;
    const { member, text } = splitLine(l.text, members);
    // A line no member claims is the first member's: the merged console writes to the host member.
    const c = consoles.get(member ?? members[0]!);
    if (!c) continue;
    c.lines.push(l.t);
    if (BANNER.test(text)) c.banners.push({ t: l.t, text });
  }
  return {
    members,
    power: spans(power, lo, hi, initialPower),
    updater: spans(updaterChanges(rec.events, m), lo, hi, null),
    phases: members.map((member) => ({ member, spans: spans(withoutRepeats(deviceChanges(rec.events, member)), lo, hi, null) })),
    flash: flashLanes(rec, members, lo, hi),
    lock: spans(withoutRepeats(lockChanges(rec.events)), lo, hi, null),
    conflicts: rec.events
      .filter((e) => e.source === 'twin' && e.kind === 'bus-conflict' && inRange(e.t))
      .map((e) => ({ t: e.t, text: e.detail ?? 'bus conflict', ...(memberOf(e) && { mcu: memberOf(e)! }) })),
    link: rec.events.filter((e) => isLink(e) && inRange(e.t)).map((e) => ({ t: e.t, ...linkOf(e) })),
    console: [...consoles.values()],
  };
}
