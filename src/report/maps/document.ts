import type { Outcome } from '../../config/vocabulary.js';
import type { MapResult } from './map-types.js';
import { outcomeStyles } from './outcome-style.js';
import { WIDTH } from './layout.js';
import { esc, n } from './svg.js';
import { describeOutcomes } from './vulnerable-windows.js';

/** Outcome counts of some results (only the outcomes present). */
export function tally(results: readonly MapResult[]): Partial<Record<Outcome, number>> {
  const c: Partial<Record<Outcome, number>> = {};
  for (const r of results) c[r.outcome] = (c[r.outcome] ?? 0) + 1;
  return c;
}

/** `op 7` or `ops 3-9`. */
export function opsText(from: number, to: number): string {
  return from === to ? `op ${from}` : `ops ${from}-${to}`;
}

/**
 * The document around a map's body: size, accessible name and description, styles (coloured for
 * the map's safe set), and the counts a test or script reads back (`data-known` only when some point is known).
 */
export function svgDocument(mapTitle: string, description: string, height: number, body: string, data: { points: number; failing: number; known?: number; safe?: ReadonlySet<Outcome> }): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" class="resilience-map" width="${WIDTH}" height="${n(height)}" viewBox="0 0 ${WIDTH} ${n(height)}" role="img" aria-labelledby="map-title map-desc" ` +
    `data-points="${data.points}" data-failing="${data.failing}"${data.known ? ` data-known="${data.known}"` : ''} font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n` +
    `<title id="map-title">${esc(mapTitle)}</title><desc id="map-desc">${esc(description)}</desc>\n` +
    `<style>${outcomeStyles(data.safe)}.mark.fail{stroke:#000;stroke-width:0.5}</style>\n` +
    `<rect class="background" width="100%" height="100%" fill="#fff"/>\n` +
    body +
    `\n</svg>\n`
  );
}

/** The summary's note on known points: `; 2 known weaknesses accepted (boot-loop x2)`, or nothing. */
export function knownText(known: readonly MapResult[]): string {
  if (known.length === 0) return '';
  return `; ${known.length.toLocaleString('en-US')} known weakness${known.length === 1 ? '' : 'es'} accepted (${describeOutcomes(tally(known))})`;
}
