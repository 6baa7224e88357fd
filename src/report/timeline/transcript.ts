/**
 * One cut's console transcript as a lab engineer reads it: only this cut's lines (a long-lived rig's
 * console holds every cut before it), time 0 at the update's start, and a line where power went and
 * where it came back, so "what did the device say just before the cut" needs no arithmetic. The
 * baseline boot before the update (image A starting, as in every cut) is left out, with its count.
 */
import { isLink, linkOf } from './members.js';
import { cutMoments, fireWhere, msText, type CutMoments, type CutRecording, type RecordedLine } from './recording.js';

/** How every cut marker line starts: the excerpt centres on it, tests find it. */
export const CUT_MARK = '── power cut at';
export const SECOND_CUT_MARK = '── second power cut at';

function stamp(l: RecordedLine, origin: number): string {
  return `[${((l.t - origin) / 1000).toFixed(4).padStart(10)}] ${l.host ? '[hil] ' : ''}${l.text}`;
}

/** A line the transcript adds at a moment; it goes before a device line stamped at that very moment. */
interface Mark {
  t: number;
  text: string;
}

function marks(m: CutMoments): Mark[] {
  const out: Mark[] = [];
  if (m.fire) {
    const where = fireWhere(m.fire);
    const what = m.fire.forced ? '── power cut (forced: the update failed before the trigger) at' : CUT_MARK;
    out.push({ t: m.fire.t, text: `${what} ${msText(m.fire.t, m.origin)}${where ? ` (${where})` : ''} ──` });
  }
  if (m.powerBack !== undefined) out.push({ t: m.powerBack, text: `── power back at ${msText(m.powerBack, m.origin)}: the recovery ──` });
  if (m.second) out.push({ t: m.second.t, text: `${SECOND_CUT_MARK} ${msText(m.second.t, m.origin)}${m.second.detail ? ` (${m.second.detail})` : ''} ──` });
  return out.sort((a, b) => a.t - b.t);
}

/**
 * A product's link messages between its processors, as lines among the consoles' (`[link host → radio] dfu ready ...`):
 * what one processor told the other is half of why it did what its console says.
 */
function linkLines(rec: CutRecording): RecordedLine[] {
  return rec.events.filter(isLink).map((e) => {
    const l = linkOf(e);
    return { t: e.t, text: `[link ${l.from} → ${l.to}] ${l.text}` };
  });
}

/** The transcript of one cut, time 0 at the update's start, the cut and power's return marked. */
export function cutTranscript(rec: CutRecording, moments: CutMoments = cutMoments(rec)): string {
  const { origin } = moments;
  const links = linkLines(rec);
  // A stable sort: a console line and a link message at the same moment keep the console's first.
  const all = links.length ? [...rec.lines, ...links].sort((a, b) => a.t - b.t) : rec.lines;
  const before = all.filter((l) => l.t < origin).length;
  const lines = all.filter((l) => l.t >= origin);
  const out: string[] = [];
  if (before > 0) out.push(`(time 0 is the update's start; left out: ${before} line${before === 1 ? '' : 's'} of the baseline boot before it)`);
  else out.push(`(time 0 is the update's start)`);
  const pending = marks(moments);
  let k = 0;
  for (const l of lines) {
    while (k < pending.length && pending[k]!.t <= l.t) out.push(pending[k++]!.text);
    out.push(stamp(l, origin));
  }
  while (k < pending.length) out.push(pending[k++]!.text);
  if (lines.length === 0) out.push('(the device printed nothing after the update started)');
  return out.join('\n') + '\n';
}
