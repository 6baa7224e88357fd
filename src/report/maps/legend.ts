import { OUTCOMES, type Outcome } from '../../config/vocabulary.js';
import { SAFE_OUTCOMES, isFailing, outcomeClass, outcomeColour } from './outcome-style.js';
import { count, esc, n, textWidth, title } from './svg.js';

/** Outcome counts of a map's results, every outcome present (zero or not). */
export function outcomeCounts(outcomes: Iterable<Outcome>): Record<Outcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const o of outcomes) counts[o]++;
  return counts;
}

/**
 * One swatch and count per outcome seen, in the vocabulary's order, then the known weaknesses'
 * own swatch and count (known points are not in `counts`: each point is counted once), wrapped to
 * `width`. Failing outcomes (outside `safe`) are written bold. Returns the svg and its height.
 */
export function legendSvg(counts: Record<Outcome, number>, x: number, y: number, width: number, opts: { safe?: ReadonlySet<Outcome>; known?: number } = {}): { svg: string; height: number } {
  const safe = opts.safe ?? SAFE_OUTCOMES;
  const items: string[] = [];
  let cx = x;
  let cy = y;
  const row = 18;
  const place = (text: string): number => {
    const w = 16 + textWidth(text, 12) + 18;
    if (cx + w > x + width && cx > x) {
      cx = x;
      cy += row;
    }
    return w;
  };
  for (const o of OUTCOMES) {
    const c = counts[o];
    if (c === 0) continue;
    const text = `${o} ${count(c)}`;
    const w = place(text);
    const weight = isFailing(o, safe) ? ' font-weight="bold"' : '';
    items.push(
      `<g class="legend-item" data-outcome="${o}" data-count="${c}">${title(`${o}: ${count(c)} cut point${c === 1 ? '' : 's'}${isFailing(o, safe) ? ' (failing)' : ' (safe)'}`)}` +
        `<rect class="swatch ${outcomeClass(o)}" x="${n(cx)}" y="${n(cy - 10)}" width="12" height="12" fill="${outcomeColour(o, safe)}"/>` +
        `<text x="${n(cx + 16)}" y="${n(cy)}"${weight}>${esc(text)}</text></g>`,
    );
    cx += w;
  }
  const known = opts.known ?? 0;
  if (known > 0) {
    const text = `known weakness ${count(known)}`;
    const w = place(text);
    items.push(
      `<g class="legend-item known" data-known="${known}">${title(`known weakness: ${count(known)} cut point${known === 1 ? '' : 's'} outside the safe set that the suite accepts (expect.known): not failing`)}` +
        `<rect class="swatch known" x="${n(cx + 0.5)}" y="${n(cy - 9.5)}" width="11" height="11" fill="#9e9e9e"/>` +
        `<text x="${n(cx + 16)}" y="${n(cy)}" font-style="italic">${esc(text)}</text></g>`,
    );
    cx += w;
  }
  return { svg: `<g class="legend" font-size="12" fill="#222">${items.join('')}</g>`, height: cy - y + row };
}
