/**
 * What one cut leaves for its report: the rig's timeline events of that cut, the console lines the
 * device printed during it, and the moments flash operations started (the marker input: the twin's
 * flash ops, or a real rig's marker pin). The transcript and the picture are both drawn from this,
 * on one time axis whose 0 is the update's start, so a line, an op and the cut can be compared.
 */
import type { TimelineEvent } from '../../core/timeline.js';
import { isLock, lockHolder, memberOf, membersOf } from './members.js';

/** A console line (a device line, or a host note such as a serial gap), clock ms. */
export interface RecordedLine {
  t: number;
  text: string;
  host?: boolean;
}

/**
 * What the rig knows of one flash operation besides its start (a product twin: which processor ran
 * it and which memory it touched, the dump region's name: `host-flash`, `radio-flash`, `shared-flash`).
 */
export interface FlashOpInfo {
  mcu?: string;
  memory?: string;
}

export interface CutRecording {
  /** The rig's timeline events of this cut only (the rig clears it when a cut starts). */
  events: readonly TimelineEvent[];
  /** The console lines of this cut only, in order. */
  lines: readonly RecordedLine[];
  /** Clock ms of each flash operation's start during this cut, in order (empty: no marker input). */
  flashOps: readonly number[];
  /** Per flash op, index for index with `flashOps` (absent: a single-MCU rig, one flash lane). */
  flashOpInfo?: readonly FlashOpInfo[];
  /**
   * A product's members in the rig's order (`rig.mcus` keys); console lines are then `<member>| <text>`.
   * Absent: the members found in the events, in order of appearance.
   */
  members?: readonly string[];
}

/** The moments of a cut that the transcript marks and the picture draws, clock ms. */
export interface CutMoments {
  /** Time 0: the update's start (the cut's first event when it never started, e.g. a failed baseline). */
  origin: number;
  /** The cut's first and last events. */
  start: number;
  end: number;
  fire?: CutFire;
  /** The second cut (during the recovery), when there was one. */
  second?: { t: number; detail?: string };
  /** Power back after the first cut. */
  powerBack?: number;
}

export interface CutFire {
  t: number;
  /** The trigger was not met: the update failed first and the cut was made then. */
  forced: boolean;
  /** Flash operations started from the update's start up to the cut (the one in flight included). */
  op?: number;
  /** The flash operation the cut interrupted, as the twin tells it (`erase at 0x10210000 (4096 B) 40% done -> torn`). */
  interrupted?: string;
  /** The updater's phase at the cut (info, erase, write, start, sign, done). */
  updaterPhase?: string;
  /** The device's own phase at the cut (a twin's). */
  devicePhase?: string;
  /** A product's: each processor's own phase at the cut, in the members' order. */
  devicePhases?: Record<string, string>;
  /** A product's: who held the bus lock at the cut (null: nobody); absent when the recording has no lock events. */
  lockHolder?: string | null;
  /** The fire event's own words (ms after the update's start, bytes acked). */
  detail?: string;
}

const last = <T>(xs: readonly T[], pred: (x: T) => boolean): T | undefined => {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return xs[i];
  return undefined;
};

/** Finds time 0, the cut, the second cut and power's return in a cut's events. */
export function cutMoments(rec: CutRecording): CutMoments {
  const { events } = rec;
  const times = [...events.map((e) => e.t), ...rec.lines.map((l) => l.t)];
  const start = times.length ? Math.min(...times) : 0;
  const end = times.length ? Math.max(...times) : 0;
  const origin = events.find((e) => e.source === 'scenario' && e.kind === 'update-start')?.t ?? start;
  const m: CutMoments = { origin, start, end };
  const fireEvent = events.find((e) => e.source === 'cut' && (e.kind === 'fire' || e.kind === 'forced'));
  if (fireEvent) {
    const t = fireEvent.t;
    const before = events.filter((e) => e.t <= t);
    const updaterPhase = last(before, (e) => e.source === 'updater' && e.kind.startsWith('phase:'))?.kind.slice(6);
    const devicePhase = last(before, (e) => e.source === 'twin' && e.kind.startsWith('phase:'))?.kind.slice(6);
    // The twin says which op a cut tore, at the moment power went (the first such event after the fire).
    const torn = events.find((e) => e.source === 'twin' && e.kind === 'flash-interrupted' && e.t >= t && e.t - t < 1);
    const interrupted = torn?.detail && (memberOf(torn) ? `${memberOf(torn)}'s ${torn.detail}` : torn.detail);
    const members = membersOf(rec);
    const devicePhases: Record<string, string> = {};
    for (const member of members) {
      const p = last(before, (e) => e.source === 'twin' && e.kind.startsWith('phase:') && memberOf(e) === member);
      if (p) devicePhases[member] = p.kind.slice(6);
    }
    // An earlier power cut released the lock; this cut's own power-off (at t) is what the reader asks about, not an answer.
    const lock = last(before, (e) => isLock(e) || (e.source === 'power' && e.kind === 'off' && e.t < t));
    const hasLock = events.some(isLock);
    const ops = rec.flashOps.filter((x) => x >= origin && x <= t).length;
    m.fire = {
      t,
      forced: fireEvent.kind === 'forced',
      ...(rec.flashOps.length > 0 && { op: ops }),
      ...(interrupted && { interrupted }),
      ...(updaterPhase && { updaterPhase }),
      ...(devicePhase && members.length === 0 && { devicePhase }),
      ...(members.length > 0 && { devicePhases }),
      ...(hasLock && { lockHolder: lock && isLock(lock) ? lockHolder(lock) : null }),
      ...(fireEvent.detail && { detail: fireEvent.detail }),
    };
    const back = events.find((e) => e.source === 'power' && e.kind === 'on' && e.t > t);
    if (back) m.powerBack = back.t;
  }
  const second = events.find((e) => e.source === 'cut' && e.kind === 'second');
  if (second) m.second = { t: second.t, ...(second.detail && { detail: second.detail }) };
  return m;
}

/** `3000.000 ms` after time 0. */
export function msText(t: number, origin: number): string {
  return `${(t - origin).toFixed(3)} ms`;
}

/** What the cut's marker line says about where it landed: `op 57, erase at 0x… 40% done -> torn; updater phase write, device phase erase`. */
export function fireWhere(f: CutFire): string {
  const parts: string[] = [];
  if (f.op !== undefined) parts.push(f.op === 0 ? 'before the first flash op' : `flash op ${f.op}${f.interrupted ? `, ${f.interrupted}` : ', between ops'}`);
  else if (f.interrupted) parts.push(f.interrupted);
  const phases = [
    f.updaterPhase && `updater phase ${f.updaterPhase}`,
    f.devicePhase && `device phase ${f.devicePhase}`,
    ...Object.entries(f.devicePhases ?? {}).map(([member, phase]) => `${member} phase ${phase}`),
  ].filter(Boolean);
  if (phases.length) parts.push(phases.join(', '));
  if (f.lockHolder !== undefined) parts.push(f.lockHolder ? `lock held by ${f.lockHolder}` : 'lock free');
  return parts.join('; ');
}
