import { OUTCOMES, type Outcome } from '../../config/vocabulary.js';
import { OUTCOME_COLOURS, isFailing, outcomeClass } from './outcome-style.js';
import { count, esc, n, textWidth, title } from './svg.js';

/** Outcome counts of a map's results, every outcome present (zero or not). */
export function outcomeCounts(outcomes: Iterable<Outcome>): Record<Outcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const o of outcomes) counts[o]++;
  return counts;
}

/**
 * One swatch and count per outcome seen, in the vocabulary's order, wrapped to `width`. Failing
 * outcomes are written bold. Returns the svg and its height.
 */
export function legendSvg(counts: Record<Outcome, number>, x: number, y: number, width: number): { svg: string; height: number } {
  const items: string[] = [];
  let cx = x;
  let cy = y;
  const row = 18;
  for (const o of OUTCOMES) {
    const c = counts[o];
    if (c === 0) continue;
    const text = `${o} ${count(c)}`;
    const w = 16 + textWidth(text, 12) + 18;
    if (cx + w > x + width && cx > x) {
      cx = x;
      cy += row;
    }
    const weight = isFailing(o) ? ' font-weight="bold"' : '';
    items.push(
      `<g class="legend-item" data-outcome="${o}" data-count="${c}">${title(`${o}: ${count(c)} cut point${c === 1 ? '' : 's'}${isFailing(o) ? ' (failing)' : ' (safe)'}`)}` +
        `<rect class="swatch ${outcomeClass(o)}" x="${n(cx)}" y="${n(cy - 10)}" width="12" height="12" fill="${OUTCOME_COLOURS[o]}"/>` +
        `<text x="${n(cx + 16)}" y="${n(cy)}"${weight}>${esc(text)}</text></g>`,
    );
    cx += w;
  }
  return { svg: `<g class="legend" font-size="12" fill="#222">${items.join('')}</g>`, height: cy - y + row };
}
