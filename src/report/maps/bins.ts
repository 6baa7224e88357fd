import { n } from './svg.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Safe points a map draws one mark each. Past this (a double sweep of 250,000 points, an every-op
 * sweep with several torn fractions per op) one mark per point would make a file of megabytes
 * that buries the report and that no screen can show anyway: safe marks are then binned (see
 * safeMarksSvg). Failing points are never binned.
 */
export const MAX_SAFE_MARKS = 10_000;

/** The side (px) of a square bin that cuts `area` px² into at most `bins` bins. */
export function binSide(area: number, bins: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(area / Math.max(1, bins))));
}

/**
 * The safe marks of one outcome group: one `<rect class="mark">` per point, or, when `side` is
 * given, one `<rect class="mark bin" data-count="k">` per `side`-px square that holds the centre
 * of any of them, covering the union of their boxes (so a bin is where its points are).
 */
export function safeMarksSvg(rects: readonly Rect[], side?: number): string {
  if (side === undefined) return rects.map((r) => `<rect class="mark" x="${n(r.x)}" y="${n(r.y)}" width="${n(r.width)}" height="${n(r.height)}"/>`).join('');
  const bins = new Map<string, { x0: number; y0: number; x1: number; y1: number; count: number }>();
  for (const r of rects) {
    const key = `${Math.floor((r.x + r.width / 2) / side)},${Math.floor((r.y + r.height / 2) / side)}`;
    const b = bins.get(key);
    if (!b) bins.set(key, { x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height, count: 1 });
    else {
      b.x0 = Math.min(b.x0, r.x);
      b.y0 = Math.min(b.y0, r.y);
      b.x1 = Math.max(b.x1, r.x + r.width);
      b.y1 = Math.max(b.y1, r.y + r.height);
      b.count++;
    }
  }
  return [...bins.values()].map((b) => `<rect class="mark bin" data-count="${b.count}" x="${n(b.x0)}" y="${n(b.y0)}" width="${n(b.x1 - b.x0)}" height="${n(b.y1 - b.y0)}"/>`).join('');
}
