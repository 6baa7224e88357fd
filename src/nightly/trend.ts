/**
 * The trend per rig (issue 11 item 5): one row per board, one column per run it kept, each column
 * a bar split into passed / failed / broken in proportion, so "this board started failing three
 * nights ago" is seen without reading the history file. Drawn from hilrig's own per-board history
 * (./history.ts), not Allure's per-test history, because a lab engineer asks it of a board.
 */
import type { BoardHistory, HistoryFile } from './history.js';

const COLUMN = 14;
const GAP = 4;
const ROW = 40;
const LABEL = 260;
const TOP = 34;
const COLOURS = { passed: '#2e7d32', failed: '#c62828', broken: '#ef8f00' } as const;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function boardName(b: BoardHistory): string {
  const { board } = b;
  const name = board.label && board.label !== board.key ? `${board.label} (${board.key})` : board.key;
  return board.rig && board.rig !== board.key ? `${name} on ${board.rig}` : name;
}

function column(run: BoardHistory['runs'][number], x: number, y: number): string {
  const { tests, passed, failed, broken } = run.totals;
  const total = Math.max(1, tests);
  let at = y + ROW - 8;
  const parts: string[] = [];
  // Passed at the bottom, failures on top where the eye lands first.
  for (const [status, n] of [
    ['passed', passed],
    ['broken', broken],
    ['failed', failed],
  ] as const) {
    if (!n) continue;
    const h = Math.max(2, ((ROW - 12) * n) / total);
    at -= h;
    parts.push(`<rect class="trend-${status}" x="${x}" y="${at.toFixed(1)}" width="${COLUMN}" height="${h.toFixed(1)}" fill="${COLOURS[status]}"/>`);
  }
  const title = `${run.date}: ${tests} tests, ${passed} passed, ${failed} failed, ${broken} broken`;
  return `<g class="trend-run" data-date="${esc(run.date)}" data-failed="${failed}" data-broken="${broken}" data-passed="${passed}"><title>${esc(title)}</title>${parts.join('')}</g>`;
}

/** The campaign's trend as a standalone SVG document; an empty history draws a note instead of rows. */
export function renderTrendSvg(history: HistoryFile): string {
  const boards = Object.values(history.boards).sort((a, b) => boardName(a).localeCompare(boardName(b)));
  const most = Math.max(1, ...boards.map((b) => b.runs.length));
  const width = LABEL + most * (COLUMN + GAP) + 20;
  const height = TOP + Math.max(1, boards.length) * ROW + 10;
  const rows = boards.map((b, i) => {
    const y = TOP + i * ROW;
    const latest = b.runs.at(-1);
    const state = latest && latest.totals.failed + latest.totals.broken > 0 ? 'failing' : 'passing';
    const cols = b.runs.map((run, j) => column(run, LABEL + j * (COLUMN + GAP), y)).join('');
    return (
      `<g class="trend-board" data-board="${esc(b.board.key)}" data-runs="${b.runs.length}" data-state="${state}">` +
      `<text class="trend-label" x="8" y="${y + ROW / 2 + 4}" font-size="12">${esc(boardName(b))}</text>${cols}</g>`
    );
  });
  const body = rows.length ? rows.join('') : `<text x="8" y="${TOP + 20}" font-size="12">no history yet</text>`;
  const caption = `campaign ${history.campaign}: each board's last ${most} run(s), oldest left; bar = passed (green) / broken (amber) / failed (red)`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<title>${esc(`trend per rig: campaign ${history.campaign}`)}</title>` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<text class="trend-caption" x="8" y="18" font-size="12">${esc(caption)}</text>${body}</svg>\n`
  );
}
