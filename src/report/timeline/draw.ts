/**
 * The pieces both timeline pictures draw with (one device's, a product's): bands, per-column ticks,
 * the time axis, the cut lines and the document around them.
 */
import { esc, n, textWidth, title } from '../maps/svg.js';
import type { Span } from './lanes.js';
import { fireWhere, msText, type CutMoments } from './recording.js';

export const TIMELINE_WIDTH = 1000;
export const RIGHT = 24;
export const TOP = 44;
export const LANE = 22;
export const GAP = 8;
/** Instants closer than this many px share one tick (its title counts them). */
export const BIN = 2;

/** Where the plot sits: its left edge (after the lane labels), its width, and time to x. */
export interface Frame {
  left: number;
  plot: number;
  x: (t: number) => number;
}

export function frame(left: number, lo: number, hi: number): Frame {
  const plot = TIMELINE_WIDTH - left - RIGHT;
  return { left, plot, x: (t) => left + ((t - lo) / (hi - lo)) * plot };
}

const SPAN_FILL: Record<string, string> = { on: '#7cb98b', off: '#bdbdbd' };
/** Phases get quiet colours from a fixed list by name, so the same phase has the same colour on every cut. */
const PHASE_FILLS = ['#cfe3f5', '#fde9c4', '#e3d7f2', '#d4efe0', '#f6d5d5', '#e8e8c9', '#d9e6e6', '#f0dcea'];

function phaseFill(name: string): string {
  let h = 0;
  for (const c of name.split(' ')[0]!) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PHASE_FILLS[h % PHASE_FILLS.length]!;
}

export const STYLE =
  // A white edge between bands: a boot loop's app/bootloader alternation shows as stripes, not one block.
  `.lane-label{font-size:11px;fill:#333}.band-label{font-size:10px;fill:#222;pointer-events:none}.lane-bg{fill:#f7f7f7}.band rect{stroke:#fff;stroke-width:0.5}` +
  `.tick{stroke:#37474f;stroke-width:1.5}.tick.flash-op{stroke:#8d6e63}.axis{stroke:#555}.axis-label{font-size:10px;fill:#444}` +
  `.cut-line{stroke:#d50000;stroke-width:2}.second-cut-line{stroke:#ff6d00;stroke-width:2;stroke-dasharray:5 3}.cut-label{font-size:11px;font-weight:bold}` +
  `.cut-label.first{fill:#d50000}.cut-label.second{fill:#e65100}.heading{font-size:13px;font-weight:bold;fill:#111}`;

/** A step for about `ticks` axis ticks: 1, 2 or 5 times a power of ten (ms). */
function niceStep(span: number, ticks = 8): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
}

function axisText(ms: number, step: number): string {
  if (step >= 1000) return `${ms / 1000} s`;
  if (step >= 1) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A lane's grey background and its label. */
export function laneBackground(f: Frame, y: number, label: string): string[] {
  return [`<rect class="lane-bg" x="${f.left}" y="${y}" width="${f.plot}" height="${LANE}"/>`, `<text class="lane-label" x="8" y="${n(y + LANE / 2 + 4)}">${esc(label)}</text>`];
}

/** The time axis under the lanes: ms after the update's start. */
export function timeAxisSvg(f: Frame, m: CutMoments, lo: number, hi: number, axisY: number): string {
  const step = niceStep(hi - lo);
  const axis: string[] = [`<line class="axis" x1="${f.left}" y1="${n(axisY)}" x2="${f.left + f.plot}" y2="${n(axisY)}"/>`];
  for (let v = Math.ceil((lo - m.origin) / step) * step; v <= hi - m.origin + 1e-9; v += step) {
    const xv = f.x(m.origin + v);
    axis.push(`<line class="axis axis-tick" x1="${n(xv)}" y1="${n(axisY)}" x2="${n(xv)}" y2="${n(axisY + 4)}"/>`);
    axis.push(`<text class="axis-label" x="${n(xv)}" y="${n(axisY + 15)}" text-anchor="middle">${esc(axisText(v, step))}</text>`);
  }
  axis.push(`<text class="axis-label" x="${f.left + f.plot}" y="${n(axisY + 29)}" text-anchor="end">time after the update's start</text>`);
  return `<g class="time-axis">${axis.join('')}</g>`;
}

/** The cut's red line and a second cut's dashed one, on top of every lane. */
export function cutLinesSvg(f: Frame, m: CutMoments, axisY: number, top = TOP): string[] {
  const body: string[] = [];
  const lineTop = top - 12;
  if (m.fire) {
    const xf = f.x(m.fire.t);
    const where = fireWhere(m.fire);
    const what = `${m.fire.forced ? 'forced cut' : 'power cut'} at ${msText(m.fire.t, m.origin)}${where ? ` (${where})` : ''}`;
    const label = `cut ${(m.fire.t - m.origin).toFixed(1)} ms${m.fire.op !== undefined ? `, op ${m.fire.op}` : ''}`;
    body.push(
      `<g class="cut" data-ms="${(m.fire.t - m.origin).toFixed(3)}"${m.fire.op !== undefined ? ` data-op="${m.fire.op}"` : ''}>${title(what)}` +
        `<line class="cut-line" x1="${n(xf)}" y1="${lineTop}" x2="${n(xf)}" y2="${n(axisY)}"/>` +
        `<text class="cut-label first" x="${n(xf)}" y="${lineTop - 2}" text-anchor="${anchor(xf, label)}">${esc(label)}</text></g>`,
    );
  }
  if (m.second) {
    const xs = f.x(m.second.t);
    const label = `second cut ${(m.second.t - m.origin).toFixed(1)} ms`;
    body.push(
      `<g class="second-cut" data-ms="${(m.second.t - m.origin).toFixed(3)}">${title(`second power cut at ${msText(m.second.t, m.origin)}${m.second.detail ? ` (${m.second.detail})` : ''}`)}` +
        `<line class="second-cut-line" x1="${n(xs)}" y1="${lineTop + 12}" x2="${n(xs)}" y2="${n(axisY)}"/>` +
        `<text class="cut-label second" x="${n(xs)}" y="${lineTop + 10}" text-anchor="${anchor(xs, label)}">${esc(label)}</text></g>`,
    );
  }
  return body;
}

/** The SVG document around a timeline's body. */
export function timelineDocument(opts: { heading?: string; desc: string; height: number; spanMs: number; style: string; body: readonly string[]; cls?: string }): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" class="cut-timeline${opts.cls ? ` ${opts.cls}` : ''}" width="${TIMELINE_WIDTH}" height="${n(opts.height)}" viewBox="0 0 ${TIMELINE_WIDTH} ${n(opts.height)}" role="img" ` +
    `aria-labelledby="tl-title tl-desc" data-span-ms="${opts.spanMs.toFixed(3)}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n` +
    `<title id="tl-title">${esc(opts.heading ?? 'cut timeline')}</title><desc id="tl-desc">${esc(opts.desc)}</desc>\n` +
    `<style>${opts.style}</style>\n<rect class="background" width="100%" height="100%" fill="#fff"/>\n` +
    opts.body.join('\n') +
    `\n</svg>\n`
  );
}

/**
 * Runs of spans narrower than a tick (a boot loop's bootloader/app alternations, a power cycle in a
 * loop) become one band that counts them: a picture of a thousand one-pixel bands says no more and
 * costs a thousand elements.
 */
export function mergeNarrow(spans: readonly Span[], x: (t: number) => number): Span[] {
  const out: Span[] = [];
  let run: Span[] = [];
  const flush = () => {
    if (run.length === 1) out.push(run[0]!);
    else if (run.length > 1) {
      const names = [...new Set(run.map((s) => s.label))];
      out.push({ from: run[0]!.from, to: run.at(-1)!.to, label: `${run.length} changes: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`, kind: 'many' });
    }
    run = [];
  };
  for (const s of spans) {
    const narrow = x(s.to) - x(s.from) < BIN;
    // A run is consecutive narrow spans with no gap between them wider than a tick.
    if (narrow && (run.length === 0 || x(s.from) - x(run.at(-1)!.to) < BIN)) run.push(s);
    else {
      flush();
      if (narrow) run.push(s);
      else out.push(s);
    }
  }
  flush();
  return out;
}

/** A label near the right edge reads leftwards from its line, so it never runs off the picture. */
function anchor(xv: number, label: string): string {
  return xv + textWidth(label, 11) > TIMELINE_WIDTH - 4 ? 'end' : 'start';
}

/**
 * One span as a band. `fill` overrides the phase colour (a lock holder's member colour); `tipLabel`
 * is what its title calls it (default: the label, `power on` for power).
 */
export function band(
  s: Span,
  lane: string,
  y: number,
  x: (t: number) => number,
  origin: number,
  opts: { fill?: string; tipLabel?: string; extraClass?: string; short?: (label: string) => string } = {},
): string {
  const x0 = x(s.from);
  const w = Math.max(0.5, x(s.to) - x0);
  const fill = opts.fill ?? (lane === 'power' ? (SPAN_FILL[s.kind] ?? '#bdbdbd') : phaseFill(s.label));
  const tip = `${opts.tipLabel ?? (lane === 'power' ? `power ${s.label}` : s.label)}: ${msText(s.from, origin)} to ${msText(s.to, origin)}`;
  const fits = (label: string) => textWidth(label, 10) + 4 <= w;
  const shorter = opts.short?.(s.label);
  const label = fits(s.label) ? s.label : shorter && fits(shorter) ? shorter : undefined;
  const text = label ? `<text class="band-label" x="${n(x0 + 3)}" y="${n(y + LANE / 2 + 3.5)}">${esc(label)}</text>` : '';
  return `<g class="band ${lane} ${lane}-${s.kind}${opts.extraClass ? ` ${opts.extraClass}` : ''}"><rect x="${n(x0)}" y="${y + 2}" width="${n(w)}" height="${LANE - 4}" fill="${fill}">${title(tip)}</rect>${text}</g>`;
}

/** Instants as ticks, one per BIN px column that has any, in one path; its title counts them. */
export function ticks(ts: readonly number[], kind: string, y: number, x: (t: number) => number, what: string, opts: { stroke?: string; tip?: string } = {}): string {
  if (ts.length === 0) return '';
  const cols = new Set<number>();
  for (const t of ts) cols.add(Math.round(x(t) / BIN) * BIN);
  const d = [...cols]
    .sort((a, b) => a - b)
    .map((c) => `M${n(c)} ${y + 3}v${LANE - 6}`)
    .join('');
  return `<path class="tick ${kind}" d="${d}"${opts.stroke ? ` style="stroke:${opts.stroke}"` : ''}>${title(opts.tip ?? `${ts.length} ${what}${ts.length === 1 ? '' : 's'}`)}</path>`;
}
