/**
 * The resilience map of a replay cell (a bench, or a twin cut in full): a bench has no op log, so
 * the x axis is the trigger's own value (ms after the update started, percent of the transfer, a
 * marker edge) and there is one mark per cut, coloured by outcome. Built from the op map's parts
 * (src/report/maps/: document, legend, outcome classes, text escaping), so both kinds read alike:
 * `mark` elements with an `o-<outcome>` class, failing ones `fail`, each with its title.
 */
import type { Outcome } from '../config/vocabulary.js';
import { svgDocument } from '../report/maps/document.js';
import { LEFT, MIN_FAIL_WIDTH, PLOT_WIDTH, WIDTH } from '../report/maps/layout.js';
import { legendSvg, outcomeCounts } from '../report/maps/legend.js';
import { isFailing, outcomeClass, safeSetOf } from '../report/maps/outcome-style.js';
import { count, esc, fittedText, n, title } from '../report/maps/svg.js';

export interface TimeMark {
  /** The trigger's value on the axis. */
  value: number;
  /** The cut as its trigger reads (`after:1500ms`). */
  text: string;
  outcome: Outcome;
  reasons?: readonly string[];
}

export interface TimeMapInput {
  title: string;
  /** The axis caption: `ms after the update started`, `% of the update sent`, `marker edge`. */
  axis: string;
  marks: readonly TimeMark[];
  /** The sign-off's expect.safe (default updated, rolled-back). */
  safe?: readonly string[];
}

const ROW = 40;
const TICKS = 8;

function tickValues(lo: number, hi: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / TICKS;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function renderTimeMap({ title: mapTitle, axis, marks, safe: safeList }: TimeMapInput): string {
  const safe = safeSetOf(safeList);
  const values = marks.map((m) => m.value);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const span = hi > lo ? hi - lo : 1;
  const x = (v: number) => LEFT + ((v - lo) / span) * PLOT_WIDTH * (hi > lo ? 1 : 0) + (hi > lo ? 0 : PLOT_WIDTH / 2);
  const failing = marks.filter((m) => isFailing(m.outcome, safe));
  const natural = Math.max(1, Math.min(8, PLOT_WIDTH / Math.max(marks.length, 1)));
  const summary = `${count(marks.length)} cuts replayed in full: ${failing.length ? `${count(failing.length)} failing` : 'no failing cut'}`;

  const out: string[] = [];
  let y = 28;
  out.push(`<text class="map-title" x="${LEFT - 110}" y="${y}" font-size="18" font-weight="bold">${fittedText(mapTitle, 18, WIDTH - (LEFT - 110) - 10)}</text>`);
  y += 20;
  out.push(`<text class="map-summary" x="${LEFT - 110}" y="${y}" font-size="12" fill="#333">${esc(summary)}</text>`);
  y += 24;
  const legend = legendSvg(outcomeCounts(marks.map((m) => m.outcome)), LEFT - 110, y, WIDTH - LEFT + 110 - 24, { safe });
  out.push(legend.svg);
  y += legend.height + 8;
  const top = y;
  out.push(`<text class="row-label" x="${LEFT - 8}" y="${n(top + ROW / 2 + 4)}" text-anchor="end" font-size="11" fill="#222">cuts</text>`);
  out.push(`<line x1="${LEFT}" y1="${n(top + ROW + 2)}" x2="${LEFT + PLOT_WIDTH}" y2="${n(top + ROW + 2)}" stroke="#ddd"/>`);
  // Safe marks first, failing ones on top and at least MIN_FAIL_WIDTH wide: a few failures among many cuts stay visible.
  const mark = (m: TimeMark, fail: boolean) => {
    const w = fail ? Math.max(natural, MIN_FAIL_WIDTH) : natural;
    const reasons = (m.reasons ?? []).join('; ');
    const text = `${m.text}: ${m.outcome}${reasons ? ` - ${reasons.slice(0, 240)}` : ''}`;
    return `<rect class="mark${fail ? ' fail' : ''} ${outcomeClass(m.outcome)}" data-value="${m.value}" x="${n(x(m.value) - w / 2)}" y="${n(fail ? top - 1 : top + 2)}" width="${n(w)}" height="${n(fail ? ROW + 2 : ROW - 4)}">${title(text)}</rect>`;
  };
  out.push(
    `<g class="marks safe">${marks
      .filter((m) => !isFailing(m.outcome, safe))
      .map((m) => mark(m, false))
      .join('')}</g>`,
  );
  out.push(`<g class="marks failing">${failing.map((m) => mark(m, true)).join('')}</g>`);
  y = top + ROW + 8;
  for (const t of tickValues(lo, hi)) {
    out.push(`<line x1="${n(x(t))}" y1="${n(y)}" x2="${n(x(t))}" y2="${n(y + 5)}" stroke="#555"/>`);
    out.push(`<text class="tick" x="${n(x(t))}" y="${n(y + 18)}" text-anchor="middle" font-size="10" fill="#333">${esc(String(t))}</text>`);
  }
  y += 34;
  out.push(`<text class="axis-caption" x="${LEFT + PLOT_WIDTH / 2}" y="${n(y)}" text-anchor="middle" font-size="11" fill="#333">${esc(axis)}</text>`);
  y += 12;
  return svgDocument(mapTitle, summary, y, out.join(''), { points: marks.length, failing: failing.length, safe });
}
