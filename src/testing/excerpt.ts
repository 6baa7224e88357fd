/**
 * Excerpts of a cut's console transcript and event timeline for its Allure attachments. A cut that
 * lands in a boot loop prints thousands of lines (11,000 in one detection cut: 600 KB), and the
 * default campaign's 502 cuts made a 33 MB report, most of it transcripts. What a lab engineer reads
 * is the start, the lines just before the cut, the recovery's first lines and how it ended; the
 * whole of it is one `hil repro` away. Lines left out are said so, with their count, in place.
 */
import { CUT_MARK } from '../report/timeline/transcript.js';

/** Lines kept: the first few, a window around the cut, the last few. */
export interface ExcerptShape {
  head: number;
  before: number;
  after: number;
  tail: number;
}

export const TRANSCRIPT_SHAPE: ExcerptShape = { head: 8, before: 30, after: 60, tail: 30 };
export const TIMELINE_SHAPE: ExcerptShape = { head: 12, before: 30, after: 50, tail: 20 };

/** `lines` cut down to the shape's windows around line `at` (the cut), with a note where lines were left out. */
export function excerptLines(lines: readonly string[], at: number, shape: ExcerptShape, whole: string): string[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  const mark = (from: number, to: number) => {
    for (let i = Math.max(0, from); i < Math.min(lines.length, to); i++) keep[i] = true;
  };
  mark(0, shape.head);
  mark(at - shape.before, at + shape.after);
  mark(lines.length - shape.tail, lines.length);
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    if (keep[i]) {
      out.push(lines[i]!);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && !keep[j]) j++;
    out.push(`… ${j - i} line${j - i === 1 ? '' : 's'} left out (${whole}) …`);
    i = j;
  }
  return out;
}

function shapeSize(shape: ExcerptShape): number {
  return shape.head + shape.before + shape.after + shape.tail;
}

/**
 * The window is centred on the cut: a cut's transcript (../report/timeline/transcript.ts) marks it
 * with a `── power cut at` line; a transcript without one carries times relative to the cut
 * (`[ -12.3456] ...`, negative before it), and then the first line at or after 0 is the cut.
 */
export function transcriptExcerpt(text: string, shape: ExcerptShape = TRANSCRIPT_SHAPE): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length <= shapeSize(shape)) return text;
  let at = lines.findIndex((l) => l.startsWith(CUT_MARK));
  if (at < 0)
    at = lines.findIndex((l) => {
      const m = /^\[\s*(-?\d+(?:\.\d+)?)\]/.exec(l);
      return m !== null && Number(m[1]) >= 0;
    });
  if (at < 0) at = lines.length;
  return excerptLines(lines, at, shape, 'the whole console: run the repro line').join('\n') + '\n';
}

/**
 * The timeline without the console's lines (the transcript has them, and they were most of it),
 * cut down around the cut's `fire` event.
 */
export function timelineExcerpt(text: string, shape: ExcerptShape = TIMELINE_SHAPE): string {
  const lines = text.split('\n').filter((l) => !/^\s*\S+\s+console\s+line\b/.test(l));
  if (lines.at(-1) === '') lines.pop();
  const note = '(console lines: see the console transcript)';
  if (lines.length <= shapeSize(shape)) return [note, ...lines].join('\n') + '\n';
  let at = lines.findIndex((l) => /^\s*\S+\s+cut\s+fire\b/.test(l));
  if (at < 0) at = lines.length;
  return [note, ...excerptLines(lines, at, shape, 'the whole timeline: run the repro line')].join('\n') + '\n';
}
