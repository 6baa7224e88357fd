import { MAX_SAFE_MARKS, binSide, safeMarksSvg, type Rect } from './bins.js';
import { renderDoubleMap } from './double-map.js';
import { LEFT, MIN_FAIL_WIDTH, OpAxis, PLOT_WIDTH, WIDTH, bandRowSvg, calloutHeight, opAxisSvg } from './layout.js';
import { legendSvg } from './legend.js';
import type { MapCutMode, MapResult, ResilienceMapInput } from './map-types.js';
import { outcomeClass, orderedOutcomes } from './outcome-style.js';
import { standings } from './standings.js';
import { phaseBands, stageBands, type Band } from './phase-bands.js';
import { productBands, productRowsSvg } from './product-bands.js';
import { knownText, opsText, svgDocument, tally } from './document.js';
import { count, esc, fittedText, n, title } from './svg.js';
import { describeOutcomes } from './vulnerable-windows.js';

export type { MapCut, MapOp, MapPoint, MapResult, ResilienceMapInput } from './map-types.js';
export { writeResilienceMap, mapFileName } from './write-map.js';

const ROW_HEIGHT: Record<MapCutMode, number> = { before: 22, after: 22, torn: 44 };
const ROW_ORDER: readonly MapCutMode[] = ['before', 'after', 'torn'];
const ROW_CAPTION: Record<MapCutMode, string> = { before: 'before op', after: 'after op', torn: 'torn in op' };
const FAILING_ROW = 14;
/** The host's stage names as a reader knows them. */
const STAGE_NAMES: Record<string, string> = {
  update: 'update (host sends the image)',
  verify: 'verify (host sent the whole image, device checks and commits it)',
  reboot: 'after the update: reset, bootloader, new app',
};
const STAGE_ROW = 16;
const PHASE_ROW = 24;
/** A torn mark's height; its top is placed by how far through the op the cut landed. */
const TORN_MARK = 6;
/** Longest reason text put in a mark's title (a reason may quote a console line). */
const MAX_REASON = 240;

/**
 * A sweep's resilience map as a standalone SVG document: x is the op index, the update's phases and
 * the host's stages are labelled bands along the top, each cut mode is a row with one mark per cut
 * point coloured by outcome, and every run of ops where a cut fails is a red window across all rows.
 *
 * Thousands of points must not hide three failures: safe marks are drawn first, at their natural
 * width (a fraction of a pixel on a long sweep), failing marks after them, at least MIN_FAIL_WIDTH px
 * wide and taller than the row; the windows are shaded behind the rows and marked in their own row
 * above them. Safe means in the input's safe set (the suite's `expect.safe`; default updated,
 * rolled-back); a point outside it that the suite accepts (`known`) is drawn as a known weakness:
 * on top like a failing mark, but washed out and outlined in grey, counted in the legend on its own,
 * and never part of a window. All torn points share one row whatever the number of fractions per op: a torn mark's
 * height in the row is how far through its op the cut landed (top 0, bottom 1), so several
 * fractions of one op stay apart and a window that depends on the fraction shows as a vertical
 * cluster, where one row per fraction would multiply rows with no order between them.
 *
 * A product's op log (its ops name the processor that issued them, `mcu`) gets a row coloured by
 * that processor and one phase row per processor in place of the one phase row, and each failing
 * mark's title says which processor issued the op and what phase each processor was in: see
 * product-bands.ts.
 *
 * Double cuts (results with a `second` cut) get the 2-D map instead: see double-map.ts.
 */
export function renderResilienceMap(input: ResilienceMapInput): string {
  const double = input.double ?? input.results.some((r) => r.point.second !== undefined);
  if (double) return renderDoubleMap(input, typeof input.double === 'object' ? input.double : {});
  return renderOpMap(input);
}

function renderOpMap({ title: mapTitle, ops, results, safe: safeList }: ResilienceMapInput): string {
  const lastOp = Math.max(ops.length - 1, ...results.map((r) => r.point.op));
  const axis = new OpAxis(lastOp + 1);
  const { safe, is, failing, known, counts, windows } = standings(results, safeList);
  // A product's log: which processor issued each op and each one's phase (their own rows); the issuing one's phase behind the marks.
  const product = productBands(ops);
  const phases = product ? product.issued : phaseBands(ops);
  const stages = stageBands(ops);
  const rows = ROW_ORDER.filter((m) => results.some((r) => r.point.mode === m));
  // A window is named by what the issuing processor was doing at its own ops, not by bands merged to fit the row.
  const windowPhase = product ? product.issuedAt : phaseOfOp(phases);
  const opPhase = product ? product.where : windowPhase;

  // A product's summary says whose ops they were and, for its first windows, whose phase.
  const byMember = product ? ` (${product.members.map((m) => `${m} ${count(ops.filter((o) => o.mcu === m).length)}`).join(', ')})` : '';
  const shown = product ? 3 : 4;
  const summary =
    `${count(ops.length)} flash ops${byMember}, ${count(results.length)} cut points: ` +
    (failing.length === 0
      ? 'no failing point'
      : `${count(failing.length)} failing (${describeOutcomes(tally(failing))}) in ${windows.length} window${windows.length === 1 ? '' : 's'}: ` +
        windows
          .slice(0, shown)
          .map((w) => opsText(w.from, w.to) + (product ? ` (${phaseNames(windowPhase, w.from, w.to)})` : ''))
          .join(', ') +
        (windows.length > shown ? ', ...' : '')) +
    knownText(known);

  const out: string[] = [];
  let y = 28;
  out.push(`<text class="map-title" x="${LEFT - 110}" y="${y}" font-size="18" font-weight="bold">${fittedText(mapTitle, 18, WIDTH - (LEFT - 110) - 10)}</text>`);
  y += 20;
  out.push(`<text class="map-summary" x="${LEFT - 110}" y="${y}" font-size="12" fill="#333">${esc(summary)}</text>`);
  y += 24;
  const legend = legendSvg(counts, LEFT - 110, y, WIDTH - LEFT + 110 - 24, { safe, known: known.length });
  out.push(legend.svg);
  y += legend.height + calloutHeight();

  // Band rows: the host's stage, then the device's phases (their labels may call out above).
  out.push(rowLabel('stage', y, STAGE_ROW));
  out.push(bandRowSvg(stages, axis, y, STAGE_ROW, 'stage', (b) => `stage ${b.label}: ${opsText(b.from, b.to)}`, 1, STAGE_NAMES));
  y += STAGE_ROW + calloutHeight();
  if (product) {
    const drawn = productRowsSvg(product, axis, y, (text, ty, h) => rowLabel(text, ty, h));
    out.push(drawn.svg);
    y += drawn.height;
  } else {
    out.push(rowLabel('phase', y, PHASE_ROW));
    out.push(bandRowSvg(phases, axis, y, PHASE_ROW, 'phase', (b) => `${b.parts.join(' / ')}: ${opsText(b.from, b.to)}`));
    y += PHASE_ROW + 8;
  }

  const gridTop = y;
  const gridHeight = FAILING_ROW + 6 + rows.reduce((h, m) => h + ROW_HEIGHT[m] + 4, 0);
  // Phase columns continue faintly behind the rows, so a mark reads against its phase.
  out.push(`<g class="band-columns">`);
  phases.forEach((b, i) => {
    if (i % 2 === 1) out.push(`<rect x="${n(axis.x(b.from))}" y="${n(gridTop)}" width="${n(axis.x(b.to + 1) - axis.x(b.from))}" height="${n(gridHeight)}" fill="#f1f3f7"/>`);
  });
  out.push(`</g>`);
  // The windows: shaded across every row, and a solid bar in their own row.
  out.push(`<g class="windows">`);
  for (const w of windows) {
    const x0 = axis.x(w.from);
    const width = Math.max(axis.x(w.to + 1) - x0, MIN_FAIL_WIDTH + 2);
    const x = x0 + (axis.x(w.to + 1) - x0) / 2 - width / 2;
    const text = `vulnerable window ${opsText(w.from, w.to)} (${phaseNames(windowPhase, w.from, w.to)}): ${w.points} failing point${w.points === 1 ? '' : 's'}, ${describeOutcomes(w.outcomes)}`;
    out.push(
      `<rect class="window" x="${n(x)}" y="${n(gridTop)}" width="${n(width)}" height="${n(gridHeight)}" fill="#d50000" fill-opacity="0.1" stroke="#d50000" stroke-opacity="0.5">${title(text)}</rect>`,
    );
    out.push(`<rect class="window-bar" x="${n(x)}" y="${n(gridTop + 2)}" width="${n(width)}" height="${FAILING_ROW - 4}" fill="#d50000">${title(text)}</rect>`);
  }
  out.push(`</g>`);
  out.push(rowLabel(windows.length ? `failing ops (${windows.length})` : 'failing ops: none', gridTop, FAILING_ROW, windows.length > 0));
  y = gridTop + FAILING_ROW + 6;

  const safeMarks: string[] = [];
  const knownMarks: string[] = [];
  const failMarks: string[] = [];
  // Past MAX_SAFE_MARKS safe points, safe marks are binned over the rows' area (about 5,000 bins per outcome).
  const rowsArea = PLOT_WIDTH * rows.reduce((a, m) => a + ROW_HEIGHT[m], 0);
  const binned = results.length - failing.length > MAX_SAFE_MARKS ? binSide(rowsArea, MAX_SAFE_MARKS / 2) : undefined;
  for (const mode of rows) {
    const h = ROW_HEIGHT[mode];
    const inRow = results.filter((r) => r.point.mode === mode);
    const bad = inRow.filter((r) => is(r, 'failing')).length;
    const accepted = inRow.filter((r) => is(r, 'known')).length;
    out.push(rowLabel(`${ROW_CAPTION[mode]}`, y, h, false, `${count(inRow.length)} points${bad ? `, ${count(bad)} failing` : ''}${accepted ? `, ${count(accepted)} known` : ''}`));
    out.push(`<line x1="${LEFT}" y1="${n(y + h + 2)}" x2="${LEFT + PLOT_WIDTH}" y2="${n(y + h + 2)}" stroke="#ddd"/>`);
    const safeInRow = inRow.filter((r) => is(r, 'safe'));
    for (const o of orderedOutcomes(safeInRow.map((r) => r.outcome))) {
      const of = safeInRow.filter((r) => r.outcome === o);
      safeMarks.push(
        `<g class="marks safe ${outcomeClass(o)}" data-mode="${mode}" shape-rendering="crispEdges">${title(`${ROW_CAPTION[mode]}: ${count(of.length)} ${o}${binned ? ` (drawn per ${binned} px square)` : ''}`)}`,
      );
      safeMarks.push(
        safeMarksSvg(
          of.map((r) => markRect(r, axis, y, h, false)),
          binned,
        ),
      );
      safeMarks.push(`</g>`);
    }
    for (const r of inRow) {
      if (is(r, 'failing')) failMarks.push(pointMarkSvg(r, 'failing', axis, y, h, opPhase));
      else if (is(r, 'known')) knownMarks.push(pointMarkSvg(r, 'known', axis, y, h, opPhase));
    }
    y += h + 4;
  }
  out.push(safeMarks.join(''));
  if (knownMarks.length) out.push(`<g class="marks known">${knownMarks.join('')}</g>`);
  out.push(`<g class="marks failing">${failMarks.join('')}</g>`);
  if (rows.length === 0) {
    out.push(`<text x="${LEFT + PLOT_WIDTH / 2}" y="${n(y + 16)}" text-anchor="middle" font-size="12">no cut points</text>`);
    y += 24;
  }

  y += 6;
  out.push(opAxisSvg(axis, y, 'flash op index (from the start of the update)'));
  y += 44;
  out.push(
    `<text class="map-note" x="${LEFT - 110}" y="${y}" font-size="10" fill="#555">Failing marks are drawn on top, at least ${MIN_FAIL_WIDTH} px wide; torn marks sit as deep in their row as the cut went into the op.${known.length ? ' Grey-outlined pale marks are known weaknesses the suite accepts (expect.known).' : ''} Hover a mark or band for details.</text>`,
  );
  y += 14;
  return svgDocument(mapTitle, summary, y, out.join(''), { points: results.length, failing: failing.length, known: known.length, safe });
}

/** Where one cut point's mark goes: in its op's column, a torn one as deep in the row as the cut went into the op. */
function markRect(r: MapResult, axis: OpAxis, rowTop: number, rowHeight: number, failing: boolean): Rect {
  const { op, mode, fraction } = r.point;
  const natural = axis.column;
  // A safe mark overlaps its neighbour by a hair: rounded coordinates would otherwise leave pixel seams that read as gaps.
  const width = failing ? Math.max(natural, MIN_FAIL_WIDTH) : Math.max(natural + 0.15, 0.5);
  const x = axis.x(op, 0.5) - width / 2;
  if (mode === 'torn') {
    const height = failing ? TORN_MARK + 2 : TORN_MARK;
    return { x, y: rowTop + 2 + Math.min(Math.max(fraction ?? 0.5, 0), 1) * (rowHeight - 4 - TORN_MARK) - (failing ? 1 : 0), width, height };
  }
  return failing ? { x, y: rowTop - 1, width, height: rowHeight + 2 } : { x, y: rowTop + 2, width, height: rowHeight - 4 };
}

/**
 * A failing or known point's own mark (as large as a failing one, so a known weakness is seen
 * too), with its own title: op, phase, mode, fraction, outcome, the accepted weakness, reasons.
 */
function pointMarkSvg(r: MapResult, standing: 'failing' | 'known', axis: OpAxis, rowTop: number, rowHeight: number, opPhase: (op: number) => string | undefined): string {
  const { op, mode, fraction } = r.point;
  const g = markRect(r, axis, rowTop, rowHeight, true);
  const phase = opPhase(op);
  const reasons = (r.reasons ?? []).join('; ');
  const text =
    `op ${op}${phase ? ` (${phase})` : ''} ${mode}${mode === 'torn' && fraction !== undefined ? ` at ${Math.round(fraction * 100)} %` : ''}: ${r.outcome}` +
    (standing === 'known' ? `, known weakness${typeof r.known === 'string' ? ` (${r.known})` : ''}` : '') +
    (reasons ? ` - ${reasons.length > MAX_REASON ? `${reasons.slice(0, MAX_REASON)}...` : reasons}` : '');
  const cls = standing === 'known' ? 'known' : 'fail';
  return `<rect class="mark ${cls} ${outcomeClass(r.outcome)}" data-op="${op}" data-mode="${mode}" x="${n(g.x)}" y="${n(g.y)}" width="${n(g.width)}" height="${n(g.height)}">${title(text)}</rect>`;
}

function rowLabel(text: string, y: number, height: number, loud = false, sub?: string): string {
  const mid = y + height / 2 + 4;
  const main = `<text class="row-label" x="${LEFT - 8}" y="${n(sub ? mid - 5 : mid)}" text-anchor="end" font-size="11"${loud ? ' fill="#d50000" font-weight="bold"' : ' fill="#222"'}>${esc(text)}</text>`;
  return sub ? main + `<text class="row-sub" x="${LEFT - 8}" y="${n(mid + 7)}" text-anchor="end" font-size="9" fill="#666">${esc(sub)}</text>` : main;
}

function phaseOfOp(bands: readonly Band[]): (op: number) => string | undefined {
  return (op) => bands.find((b) => op >= b.from && op <= b.to)?.label;
}

function phaseNames(opPhase: (op: number) => string | undefined, from: number, to: number): string {
  const names = new Set<string>();
  for (let op = from; op <= to && names.size < 4; op++) {
    const p = opPhase(op);
    if (p) names.add(p);
  }
  return names.size ? [...names].join(', ') : 'no phase';
}
