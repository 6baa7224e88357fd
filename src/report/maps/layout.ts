import type { Band } from './phase-bands.js';
import { esc, n, textWidth, title } from './svg.js';

/** Map width in px: a laptop screen without scrolling; the op axis gets all but the row labels. */
export const WIDTH = 1200;
export const LEFT = 130;
export const RIGHT = 24;
export const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
/** Failing marks are never narrower than this, however many ops share the axis. */
export const MIN_FAIL_WIDTH = 3;
export const LABEL_SIZE = 11;

/** Maps an op index (and a position inside its column, 0..1) to x, for `ops` columns. */
export class OpAxis {
  readonly column: number;

  constructor(
    readonly ops: number,
    readonly left = LEFT,
    readonly width = PLOT_WIDTH,
  ) {
    this.column = width / Math.max(1, ops);
  }

  x(op: number, at = 0): number {
    return this.left + (op + at) * this.column;
  }

  /** Ticks at a round step that leaves about `target` of them. */
  ticks(target = 10): number[] {
    if (this.ops <= 1) return [0];
    const raw = this.ops / target;
    const pow = 10 ** Math.floor(Math.log10(raw));
    const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow);
    const out: number[] = [];
    for (let t = 0; t < this.ops; t += step) out.push(t);
    return out;
  }
}

/** The x axis under the rows: tick marks and op numbers. */
export function opAxisSvg(axis: OpAxis, y: number, caption: string): string {
  const parts = [`<g class="axis" font-size="10" fill="#444">`, `<line x1="${n(axis.left)}" y1="${n(y)}" x2="${n(axis.left + axis.width)}" y2="${n(y)}" stroke="#888"/>`];
  for (const t of axis.ticks()) {
    const x = axis.x(t, 0.5);
    parts.push(`<line x1="${n(x)}" y1="${n(y)}" x2="${n(x)}" y2="${n(y + 4)}" stroke="#888"/><text x="${n(x)}" y="${n(y + 15)}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<text x="${n(axis.left + axis.width / 2)}" y="${n(y + 30)}" text-anchor="middle">${esc(caption)}</text></g>`);
  return parts.join('');
}

/**
 * Bands as a row of labelled rectangles. A label that fits its band is written inside it; a narrow
 * band's label goes into one of `lanes` lines above the row (the first lane where it does not run
 * into the previous label), with a leader line down to its band, and is kept inside the plot.
 * Returns the svg and the height the callout lanes took above `y`.
 */
export function bandRowSvg(bands: readonly Band[], axis: OpAxis, y: number, height: number, kind: string, describe: (b: Band) => string, lanes = 2, names: Record<string, string> = {}): string {
  const rects: string[] = [];
  const labels: string[] = [];
  const laneEnds = new Array<number>(lanes).fill(-Infinity);
  const laneHeight = LABEL_SIZE + 3;
  bands.forEach((b, i) => {
    const x0 = axis.x(b.from);
    const w = Math.max(axis.x(b.to + 1) - x0, 1);
    const fill = i % 2 === 0 ? '#e3e7ee' : '#cfd6e2';
    rects.push(`<rect class="band ${kind}" x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${n(height)}" fill="${fill}" stroke="#fff">${title(describe(b))}</rect>`);
    const label = names[b.label] ?? b.label;
    const tw = textWidth(label, LABEL_SIZE);
    if (tw + 6 <= w) {
      labels.push(`<text class="band-label ${kind}" x="${n(x0 + w / 2)}" y="${n(y + height / 2 + LABEL_SIZE / 3)}" text-anchor="middle">${esc(label)}</text>`);
      return;
    }
    const centre = x0 + w / 2;
    const start = Math.min(Math.max(centre - tw / 2, axis.left), axis.left + axis.width - tw);
    let lane = laneEnds.findIndex((end) => end + 8 <= start);
    if (lane < 0) lane = laneEnds.indexOf(Math.min(...laneEnds));
    laneEnds[lane] = start + tw;
    const ty = y - 4 - (lanes - 1 - lane) * laneHeight;
    labels.push(
      `<line class="leader" x1="${n(centre)}" y1="${n(ty + 2)}" x2="${n(centre)}" y2="${n(y)}" stroke="#889"/>` + `<text class="band-label ${kind}" x="${n(start)}" y="${n(ty)}">${esc(label)}</text>`,
    );
  });
  return `<g class="bands ${kind}">${rects.join('')}</g><g class="band-labels ${kind}" font-size="${LABEL_SIZE}" fill="#222">${labels.join('')}</g>`;
}

/** Height the callout lanes of bandRowSvg need above its row. */
export function calloutHeight(lanes = 2): number {
  return lanes * (LABEL_SIZE + 3) + 4;
}
