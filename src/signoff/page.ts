/**
 * The sign-off page: one self-contained HTML file (styles and maps inline, no script, no network)
 * that answers "is this release safe to ship?" at the top and shows the evidence below it: the
 * matrix (rate and bound per cell), the threshold and method, each cell's counts, failing cuts,
 * rig errors and resilience map, the images by sha256 and the rig inventory with board serials.
 */
import { esc } from '../report/maps/svg.js';
import { percent, share } from './judge.js';
import type { CellResult, CellStatus, SignoffReport } from './report.js';

const STATUS_TEXT: Record<CellStatus, string> = { pass: 'PASS', fail: 'FAIL', incomplete: 'INCOMPLETE', 'not-run': 'NOT RUN', 'n/a': 'n/a' };

const STYLE = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1280px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ccc}h3{font-size:16px;margin:20px 0 6px}
.verdict{display:inline-block;padding:6px 14px;font-size:20px;font-weight:bold;color:#fff;border-radius:4px}
.verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}.verdict.incomplete,.verdict.interrupted{background:#ef6c00}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
th{background:#f3f3f3}
td.cell{min-width:150px}td.cell a{color:inherit;text-decoration:none;display:block}
.status-pass{background:#e8f5e9}.status-fail{background:#ffebee}.status-incomplete{background:#fff3e0}.status-not-run,.status-n\\/a{background:#f5f5f5;color:#777}
.badge{font-weight:bold}.status-pass .badge{color:#2e7d32}.status-fail .badge{color:#c62828}.status-incomplete .badge{color:#ef6c00}
.meta td:first-child{font-weight:bold;white-space:nowrap}
code,.mono{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
.map svg{max-width:100%;height:auto;border:1px solid #ddd}
.reasons{margin:4px 0;padding-left:18px}.note{color:#555;font-size:13px}
`;

function num(x: number): string {
  return x.toLocaleString('en-US');
}

function rateText(c: CellResult): string {
  return c.rate === null ? 'no device result' : percent(c.rate);
}

/** The map's SVG, inline: without its XML prolog, its ids made unique to the cell (several maps share one page). */
export function inlineMap(svg: string, cellId: string): string {
  return svg
    .replace(/^<\?xml[^>]*\?>\s*/, '')
    .replace(/id="map-(title|desc)"/g, `id="${cellId}-map-$1"`)
    .replace(/aria-labelledby="map-title map-desc"/, `aria-labelledby="${cellId}-map-title ${cellId}-map-desc"`);
}

function matrix(report: SignoffReport): string {
  // One row per rig entry and path: the same twin rig may be listed twice (swept, and replayed as a cross-check).
  const rows = new Map<string, { rig: string; path: string; cells: Map<string, CellResult> }>();
  for (const c of report.cells) {
    const key = `${c.rig}\u0000${c.runner}\u0000${c.path}`;
    const twice = report.inventory.filter((r) => r.rig === c.rig).length > 1;
    if (!rows.has(key)) rows.set(key, { rig: twice ? `${c.rig} (${c.runner})` : c.rig, path: c.path, cells: new Map() });
    rows.get(key)!.cells.set(c.mode, c);
  }
  const head = `<tr><th>rig</th><th>update path</th>${report.modes.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`;
  const body = [...rows.values()]
    .map((r) => {
      const tds = report.modes.map((m) => {
        const c = r.cells.get(m);
        if (!c) return '<td class="cell status-n/a">-</td>';
        const detail =
          c.status === 'n/a'
            ? `<div class="note">${esc(c.reasons[0] ?? '')}</div>`
            : `<div>rate <span class="rate">${esc(rateText(c))}</span></div><div>bound <span class="bound">${esc(percent(c.bound.lower))}</span></div><div class="note">${num(c.deviceResults)} cuts${c.rigErrors.count ? `, ${num(c.rigErrors.count)} rig errors` : ''}${c.notRun ? `, ${num(c.notRun)} not run` : ''}</div>`;
        return (
          `<td class="cell status-${c.status}" data-cell="${c.id}" data-status="${c.status}" data-bound="${c.bound.lower}" data-rate="${c.rate ?? ''}">` +
          `<a href="#cell-${c.id}"><span class="badge">${STATUS_TEXT[c.status]}</span>${detail}</a></td>`
        );
      });
      return `<tr><td>${esc(r.rig)}</td><td>${esc(r.path)}</td>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="matrix">${head}\n${body}</table>`;
}

function outcomesTable(c: CellResult): string {
  const entries = Object.entries(c.outcomes).filter(([, v]) => (v ?? 0) > 0);
  if (!entries.length) return '<p class="note">no device result</p>';
  return `<table class="outcomes"><tr>${entries.map(([o]) => `<th>${esc(o)}</th>`).join('')}</tr><tr>${entries.map(([o, v]) => `<td data-outcome="${esc(o)}">${num(v ?? 0)}</td>`).join('')}</tr></table>`;
}

function cellSection(c: CellResult, svg: string | undefined, report: SignoffReport): string {
  const parts: string[] = [];
  parts.push(`<section class="cell-detail status-${c.status}" id="cell-${c.id}" data-cell="${c.id}">`);
  parts.push(`<h3><span class="badge">${STATUS_TEXT[c.status]}</span> ${esc(c.rig)} × ${esc(c.path)} × ${esc(c.mode)}</h3>`);
  parts.push(`<ul class="reasons">${c.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  if (c.status !== 'n/a') {
    const interval = c.rate === null ? 'none' : `${percent(c.bound.lower)} .. ${percent(c.bound.upper)}`;
    parts.push(
      `<table class="meta"><tr><td>runner</td><td>${c.runner === 'sweep' ? "twin sweep engine (each point's state built from one recorded update)" : 'every cut replayed in full (runCut)'}</td></tr>` +
        `<tr><td>cut points</td><td>${num(c.planned)} planned, ${num(c.deviceResults)} device results, ${num(c.rigErrors.count)} rig errors, ${num(c.notRun)} not run${c.ops !== undefined ? ` (${num(c.ops)} flash ops in the update${c.sharedStates ? `; ${num(c.sharedStates)} points shared a flash state with an earlier one` : ''})` : ''}</td></tr>` +
        `<tr><td>recovered</td><td>${num(c.recovered)} of ${num(c.deviceResults)}: rate ${esc(rateText(c))}</td></tr>` +
        `<tr><td>Wilson ${esc(share(report.threshold.confidence))} interval</td><td><span class="bound">${esc(interval)}</span> (threshold ${esc(share(report.threshold.recovery))}; needs at least ${num(c.pointsNeeded)} cuts, all recovered)</td></tr>` +
        `<tr><td>time</td><td>${c.seconds.toFixed(1)} s</td></tr></table>`,
    );
    parts.push(outcomesTable(c));
  }
  if (c.failing.count) {
    parts.push(`<p><b>${num(c.failing.count)} cuts not recovered</b>${c.failing.count > c.failing.first.length ? ` (first ${c.failing.first.length})` : ''}:</p>`);
    parts.push(
      `<table class="failing"><tr><th>cut</th><th>outcome</th><th>why</th><th>make it again</th></tr>${c.failing.first
        .map((f) => `<tr><td class="mono">${esc(f.point)}</td><td>${esc(f.outcome)}</td><td>${esc(f.reasons.join('; '))}</td><td class="mono repro">${esc(f.repro)}</td></tr>`)
        .join('')}</table>`,
    );
  }
  if (c.rigErrors.count) {
    parts.push(`<p><b>${num(c.rigErrors.count)} rig errors</b> (not device results)${c.rigErrors.count > c.rigErrors.first.length ? `, first ${c.rigErrors.first.length}` : ''}:</p>`);
    parts.push(
      `<table class="rig-errors"><tr><th>cut</th><th>error</th></tr>${c.rigErrors.first.map((e) => `<tr><td class="mono">${esc(e.point)}</td><td>${esc(e.message)}</td></tr>`).join('')}</table>`,
    );
  }
  if (svg) parts.push(`<div class="map" data-cell="${c.id}">${inlineMap(svg, c.id)}</div>`);
  if (c.map) parts.push(`<p class="note">map file: <code>${esc(c.map)}</code></p>`);
  parts.push('</section>');
  return parts.join('\n');
}

export function renderSignoffPage(report: SignoffReport, maps: ReadonlyMap<string, string>): string {
  const t = report.threshold;
  const tot = report.totals;
  const judged = tot.cells - tot.notApplicable;
  const verdictText = { pass: 'SIGNED OFF', fail: 'NOT SIGNED OFF', incomplete: 'INCOMPLETE (rig errors)', interrupted: 'INTERRUPTED' }[report.verdict];
  const method =
    `A cell passes when the lower bound of the Wilson score interval of its recovery rate (recovered cuts / device results, ` +
    `z = ${t.z.toFixed(3)}: the lower end of the two-sided ${share(t.confidence)} interval) is at least ${share(t.recovery)}, ` +
    `and no cut ended ${report.expect.neverAcceptable.join(' or ')}: one such cut fails the cell whatever its rate. ` +
    `Recovered means ${report.expect.safe.join(' or ')}${report.expect.bootLoopCycles ? `, then ${report.expect.bootLoopCycles} more power cycles on the same image` : ''}. ` +
    `A rig error is not a device result: it is counted and listed apart, and a cell whose rig errors left too few device results to decide is incomplete, not passed. ` +
    `With every cut recovered the bound is n / (n + z²), so a cell needs n ≥ z²·p / (1 − p) = ${num(t.pointsNeeded)} cuts, all recovered, before ${share(t.recovery)} is reachable at all; every cut that fails raises that. ` +
    `The bound treats cuts as independent draws of a cut instant: a random mode is one; every-op and range modes enumerate instants instead.`;
  const images = report.images
    .map((i) => `<tr><td>${esc(i.path)}</td><td>${i.role}</td><td>${esc(i.name)}</td><td>${esc(i.version ?? '')}</td><td>${esc(i.scheme)}</td><td class="mono sha256">${i.sha256}</td></tr>`)
    .join('');
  const inventory = report.inventory
    .map(
      (r) =>
        `<tr data-rig="${esc(r.rig)}"><td>${esc(r.rig)}</td><td>${r.kind}</td><td>${r.runner}</td><td>${esc(r.target)}</td><td>${esc(r.scheme)}</td><td>${esc(r.variant ?? '')}</td>` +
        `<td class="mono serial">${esc(r.board.serial)}${r.board.serialFromRigName ? ' <span class="note">(rig name: no board: serial)</span>' : ''}</td><td>${esc(r.board.label ?? '')}</td><td class="mono">${esc(r.file)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hil sign-off: ${esc(report.signoff.name)}: ${report.verdict}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body data-verdict="${report.verdict}" data-exit-code="${report.exitCode}">
<h1>Sign-off: ${esc(report.signoff.name)}</h1>
${report.signoff.description ? `<p>${esc(report.signoff.description)}</p>` : ''}
<p><span class="verdict ${report.verdict}">${verdictText}</span> <span class="summary">${tot.passed} of ${judged} cells passed${tot.failed ? `, ${tot.failed} failed` : ''}${tot.incomplete ? `, ${tot.incomplete} incomplete` : ''}${tot.notRun ? `, ${tot.notRun} not run` : ''}${tot.notApplicable ? ` (${tot.notApplicable} not applicable)` : ''}; ${num(tot.cuts)} cuts, ${num(tot.rigErrors)} rig errors</span></p>
<table class="meta">
<tr><td>threshold</td><td class="threshold">recovery ≥ ${share(t.recovery)} at ${share(t.confidence)} confidence</td></tr>
<tr><td>hilrig</td><td class="version">${esc(report.hilrig.version)}</td></tr>
<tr><td>date</td><td class="date">${esc(report.date)}</td></tr>
<tr><td>sign-off file</td><td class="mono">${esc(report.signoff.file)}</td></tr>
<tr><td>exit code</td><td>${report.exitCode}</td></tr>
</table>
<h2>Matrix</h2>
${matrix(report)}
<h2>Threshold and method</h2>
<p class="method">${esc(method)}</p>
<h2>Images</h2>
<table class="images"><tr><th>update path</th><th>role</th><th>file</th><th>version</th><th>read as</th><th>sha256</th></tr>${images}</table>
<h2>Rig inventory</h2>
<table class="inventory"><tr><th>rig</th><th>kind</th><th>runner</th><th>target</th><th>scheme</th><th>variant</th><th>board serial</th><th>board label</th><th>rig file</th></tr>${inventory}</table>
<h2>Cells</h2>
${report.cells.map((c) => cellSection(c, maps.get(c.id), report)).join('\n')}
</body></html>
`;
}
