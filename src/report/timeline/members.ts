/**
 * A product's processors as a cut's recording names them. Nothing here knows a product: the
 * members come from the rig (`CutRecording.members`) or from the data the rig put on its events
 * (`data.mcu`, a link's ends, a lock's holder), so a single-MCU recording has none and is drawn as
 * it always was.
 */
import type { TimelineEvent } from '../../core/timeline.js';
import type { CutRecording } from './recording.js';

/** The processor an event came from (`data.mcu`), if the rig said. */
export function memberOf(e: TimelineEvent): string | undefined {
  const m = e.data?.mcu;
  return typeof m === 'string' && m ? m : undefined;
}

/** A lock event's holder: `data.holder`, else its detail (`released` is nobody). */
export function lockHolder(e: TimelineEvent): string | null {
  const h = e.data?.holder;
  if (typeof h === 'string' && h) return h;
  if (h === null) return null;
  return e.detail && e.detail !== 'released' ? e.detail : null;
}

export const isLock = (e: TimelineEvent): boolean => e.source === 'twin' && e.kind === 'lock';
export const isLink = (e: TimelineEvent): boolean => e.source === 'twin' && e.kind === 'link';

/** A link message's ends and text. */
export function linkOf(e: TimelineEvent): { from: string; to: string; text: string } {
  const from = typeof e.data?.from === 'string' ? e.data.from : '?';
  const to = typeof e.data?.to === 'string' ? e.data.to : '?';
  return { from, to, text: e.detail ?? '' };
}

/** The recording's processors: the rig's list, else every name its events and ops carry, in order of appearance. */
export function membersOf(rec: CutRecording): string[] {
  if (rec.members?.length) return [...rec.members];
  const seen = new Set<string>();
  const add = (m: string | null | undefined) => {
    if (m && m !== '?') seen.add(m);
  };
  for (const e of rec.events) {
    add(memberOf(e));
    if (isLink(e)) {
      const l = linkOf(e);
      add(l.from);
      add(l.to);
    } else if (isLock(e)) add(lockHolder(e));
  }
  for (const o of rec.flashOpInfo ?? []) add(o.mcu);
  return [...seen];
}

/** A merged console's line `radio| I: Starting bootloader` as its member and text; other lines have no member. */
export function splitLine(text: string, members: readonly string[]): { member?: string; text: string } {
  const bar = text.indexOf('| ');
  if (bar > 0) {
    const member = text.slice(0, bar);
    if (members.includes(member)) return { member, text: text.slice(bar + 2) };
  }
  return { text };
}

/** Member colours, by the member's place in the rig's order: the same processor has the same colour in every lane and cut. */
const COLOURS = ['#1565c0', '#e65100', '#2e7d32', '#6a1b9a', '#00838f', '#ad1457'];

export function memberColour(members: readonly string[], member: string | undefined): string {
  const i = member === undefined ? -1 : members.indexOf(member);
  return i < 0 ? '#546e7a' : COLOURS[i % COLOURS.length]!;
}

/** A member's name as a CSS class suffix (`member-<name>`): a rig may name a processor with any text. */
export function classSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-');
}
