import { MAX_SAFE_MARKS, binSide, safeMarksSvg, type Rect } from './bins.js';
import { LEFT, OpAxis, PLOT_WIDTH, WIDTH, bandRowSvg, calloutHeight, opAxisSvg } from './layout.js';
import { legendSvg } from './legend.js';
import type { MapCut, MapCutMode, MapResult, ResilienceMapInput } from './map-types.js';
import { outcomeClass, orderedOutcomes } from './outcome-style.js';
import { standings } from './standings.js';
import { phaseBands } from './phase-bands.js';
import { productBands, productRowsSvg } from './product-bands.js';
import { knownText, opsText, svgDocument, tally } from './document.js';
import { count, esc, fittedText, n, title } from './svg.js';
import { describeOutcomes } from './vulnerable-windows.js';

/** A failing cell is never smaller than this (px), however dense the grid. */
const MIN_FAIL_CELL = 4;
/** Nor a safe one than this: a sampled double sweep is sparse, and its tried cells must show. */
const MIN_SAFE_CELL = 2;
const PHASE_ROW = 24;
const STRIP = 16;
/** Where in its op's column (and row) a cut of each mode sits: not started, inside, complete. */
const SUB: Record<MapCutMode, number> = { before: 0, torn: 1, after: 2 };

/**
 * The double-cut map: x is the first cut's op (its mode a third of the op's column: before, torn,
 * after), y the second cut's op in the recovery the first cut started (its own op log, counted from
 * that recovery's start; same thirds). A cell per point, coloured by outcome; failing cells on top
 * and at least MIN_FAIL_CELL px square; the first-cut windows where any second cut fails are shaded
 * down the grid. Points of the sweep without a second cut are drawn in a strip above the grid.
 * Safe and known are judged as on the one-dimensional map (the input's safe set; known points
 * drawn apart, never in a window).
 */
export function renderDoubleMap({ title: mapTitle, ops, results, safe: safeList }: ResilienceMapInput, opts: { secondOps?: number }): string {
  const firstOps = Math.max(ops.length, ...results.map((r) => r.point.op + 1));
  const secondOps = Math.max(1, opts.secondOps ?? 0, ...results.map((r) => (r.point.second ? r.point.second.op + 1 : 0)));
  const x = new OpAxis(firstOps);
  const plotHeight = Math.min(560, Math.max(160, secondOps * 4));
  const y = new OpAxis(secondOps, 0, plotHeight);
  const { safe, is, failing, known, counts, windows } = standings(results, safeList);
  const singles = results.filter((r) => !r.point.second);
  const pairs = results.filter((r) => r.point.second);
  const summary =
    `double cuts over ${count(ops.length)} flash ops: ${count(results.length)} points, ` +
    (failing.length === 0
      ? 'no failing point'
      : `${count(failing.length)} failing (${describeOutcomes(tally(failing))}), first cut in ${windows
          .map((w) => opsText(w.from, w.to))
          .slice(0, 4)
          .join(', ')}${windows.length > 4 ? ', ...' : ''}`) +
    knownText(known);

  const out: string[] = [];
  let top = 28;
  out.push(`<text class="map-title" x="${LEFT - 110}" y="${top}" font-size="18" font-weight="bold">${fittedText(mapTitle, 18, WIDTH - (LEFT - 110) - 10)}</text>`);
  top += 20;
  out.push(`<text class="map-summary" x="${LEFT - 110}" y="${top}" font-size="12" fill="#333">${esc(summary)}</text>`);
  top += 24;
  const legend = legendSvg(counts, LEFT - 110, top, WIDTH - LEFT + 110 - 24, { safe, known: known.length });
  out.push(legend.svg);
  top += legend.height + calloutHeight();
  const rowLabel = (text: string, y: number, h: number) => `<text class="row-label" x="${LEFT - 8}" y="${n(y + h / 2 + 4)}" text-anchor="end" font-size="11">${esc(text)}</text>`;
  // A product's first cut: which processor issued the op and each one's phase, a row each.
  const product = productBands(ops);
  if (product) {
    const drawn = productRowsSvg(product, x, top, rowLabel);
    out.push(drawn.svg);
    top += drawn.height;
  } else {
    out.push(rowLabel('first cut phase', top, PHASE_ROW));
    out.push(bandRowSvg(phaseBands(ops), x, top, PHASE_ROW, 'phase', (b) => `${b.parts.join(' / ')}: ${opsText(b.from, b.to)}`));
    top += PHASE_ROW + 8;
  }

  const cellW = x.column / 3;
  const cellH = y.column / 3;
  const at = (c: MapCut, axis: OpAxis, cell: number) => axis.x(c.op) + SUB[c.mode] * cell;
  const cellRect = (r: MapResult, rowTop: number, failing: boolean): Rect => {
    const w = failing ? Math.max(cellW, MIN_FAIL_CELL) : Math.max(cellW, MIN_SAFE_CELL);
    const s = r.point.second;
    const h = s ? (failing ? Math.max(cellH, MIN_FAIL_CELL) : Math.max(cellH, MIN_SAFE_CELL)) : STRIP - 4;
    return { x: at(r.point, x, cellW) + cellW / 2 - w / 2, y: s ? rowTop + at(s, y, cellH) + cellH / 2 - h / 2 : rowTop + 2, width: w, height: h };
  };
  const pointCellSvg = (r: MapResult, rowTop: number, standing: 'failing' | 'known'): string => {
    const g = cellRect(r, rowTop, true);
    const s = r.point.second;
    const accepted = standing === 'known' ? `, known weakness${typeof r.known === 'string' ? ` (${r.known})` : ''}` : '';
    const where = product?.where(r.point.op);
    const text = `first cut ${cutText(r.point)}${where ? ` (${where})` : ''}${s ? `, second cut ${cutText(s)} of the recovery` : ', no second cut'}: ${r.outcome}${accepted}${r.reasons?.length ? ` - ${r.reasons.join('; ').slice(0, 240)}` : ''}`;
    return `<rect class="mark ${standing === 'known' ? 'known' : 'fail'} ${outcomeClass(r.outcome)}" data-op="${r.point.op}" data-mode="${r.point.mode}"${s ? ` data-second-op="${s.op}"` : ''} x="${n(g.x)}" y="${n(g.y)}" width="${n(g.width)}" height="${n(g.height)}">${title(text)}</rect>`;
  };
  // Past MAX_SAFE_MARKS safe points, safe cells are binned over the grid (about 5,000 bins per outcome).
  const binned = results.length - failing.length > MAX_SAFE_MARKS ? binSide(PLOT_WIDTH * plotHeight, MAX_SAFE_MARKS / 2) : undefined;
  const marks = (list: readonly MapResult[], rowTop: number): { safe: string; known: string; fail: string } => {
    const safeCells: string[] = [];
    const safeHere = list.filter((r) => is(r, 'safe'));
    for (const o of orderedOutcomes(safeHere.map((r) => r.outcome))) {
      const of = safeHere.filter((r) => r.outcome === o);
      safeCells.push(
        `<g class="marks safe ${outcomeClass(o)}" shape-rendering="crispEdges">${title(`${count(of.length)} ${o}${binned ? ` (drawn per ${binned} px square)` : ''}`)}` +
          `${safeMarksSvg(
            of.map((r) => cellRect(r, rowTop, false)),
            binned,
          )}</g>`,
      );
    }
    const own = (s: 'failing' | 'known') =>
      list
        .filter((r) => is(r, s))
        .map((r) => pointCellSvg(r, rowTop, s))
        .join('');
    return { safe: safeCells.join(''), known: own('known'), fail: own('failing') };
  };

  const gridTop = top + (singles.length ? STRIP + 6 : 0);
  const shadeTop = top;
  const shadeHeight = gridTop - top + plotHeight;
  out.push(`<g class="windows">`);
  for (const w of windows) {
    const x0 = x.x(w.from);
    const width = Math.max(x.x(w.to + 1) - x0, MIN_FAIL_CELL + 2);
    out.push(
      `<rect class="window" x="${n(x0 + (x.x(w.to + 1) - x0) / 2 - width / 2)}" y="${n(shadeTop)}" width="${n(width)}" height="${n(shadeHeight)}" fill="#d50000" fill-opacity="0.08" stroke="#d50000" stroke-opacity="0.4">` +
        `${title(`first cut ${opsText(w.from, w.to)}: ${w.points} failing point${w.points === 1 ? '' : 's'}, ${describeOutcomes(w.outcomes)}`)}</rect>`,
    );
  }
  out.push(`</g>`);
  let fail = '';
  let accepted = '';
  if (singles.length) {
    out.push(`<text class="row-label" x="${LEFT - 8}" y="${n(top + STRIP / 2 + 4)}" text-anchor="end" font-size="11">first cut only</text>`);
    const m = marks(singles, top);
    out.push(m.safe);
    accepted += m.known;
    fail += m.fail;
  }
  out.push(`<rect class="grid" x="${LEFT}" y="${n(gridTop)}" width="${PLOT_WIDTH}" height="${n(plotHeight)}" fill="none" stroke="#bbb"/>`);
  out.push(`<g class="axis" font-size="10" fill="#444">`);
  for (const t of y.ticks(8)) out.push(`<text x="${LEFT - 8}" y="${n(gridTop + y.x(t, 0.5) + 3)}" text-anchor="end">${t}</text>`);
  out.push(`<text transform="translate(${LEFT - 40} ${n(gridTop + plotHeight / 2)}) rotate(-90)" text-anchor="middle">second cut: op of the recovery</text></g>`);
  const m = marks(pairs, gridTop);
  out.push(m.safe);
  accepted += m.known;
  fail += m.fail;
  if (accepted) out.push(`<g class="marks known">${accepted}</g>`);
  out.push(`<g class="marks failing">${fail}</g>`);
  let bottom = gridTop + plotHeight + 6;
  out.push(opAxisSvg(x, bottom, 'first cut: flash op index (each op column: before | torn | after)'));
  bottom += 44;
  out.push(
    `<text class="map-note" x="${LEFT - 110}" y="${n(bottom)}" font-size="10" fill="#555">Failing cells are drawn on top, at least ${MIN_FAIL_CELL} px square.${known.length ? ' Grey-outlined pale cells are known weaknesses the suite accepts (expect.known).' : ''} Hover a cell or band for details.</text>`,
  );
  bottom += 14;
  return svgDocument(mapTitle, summary, bottom, out.join(''), { points: results.length, failing: failing.length, known: known.length, safe });
}

function cutText(c: MapCut): string {
  return `op ${c.op} ${c.mode}${c.mode === 'torn' && c.fraction !== undefined ? ` at ${Math.round(c.fraction * 100)} %` : ''}`;
}
