/**
 * The status rows as a table at most `width` columns wide: every column at its natural width if
 * that fits; otherwise the free-text columns (last result, health's reason, then the worker and
 * lease) give way first, cut with `…`; on a very narrow terminal the least needed columns go.
 * The full text is always in `hil lab status --json`.
 */
import type { AuditEntry } from './audit.js';
import type { RigStatus } from './status.js';

interface Column {
  head: string;
  /** Never narrower than this (while the column is shown). */
  min: number;
  cell(row: RigStatus, now: number): string;
}

/** `850ms`, `12s`, `4m`, `3h`, `2d`: how long, to the unit a reader of a status cares about. */
export function shortDuration(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 1) return `${Math.round(Math.abs(ms))}ms`;
  if (s < 90) return `${Math.round(s)}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function healthCell(r: RigStatus): string {
  const h = r.health;
  if (h.state === 'ok' || h.state === 'unknown') return h.state;
  const progress = h.state === 'paused' && h.passes > 0 ? ` ${h.passes} pass${h.passes === 1 ? '' : 'es'}` : '';
  return `${h.state}${progress}${h.reason ? `: ${h.reason}` : ''}`;
}

export const COLUMNS: readonly Column[] = [
  { head: 'RIG', min: 8, cell: (r) => r.rig },
  { head: 'WORKER', min: 6, cell: (r) => (r.worker ? `${r.worker.id}@${r.worker.host}` : '-') },
  { head: 'LEASE', min: 8, cell: (r, now) => (r.lease ? `${r.lease.workerId} #${r.lease.token} ${shortDuration(r.lease.expiresAt - now)}` : 'free') },
  { head: 'QUEUE w/a/d', min: 11, cell: (r) => `${r.queue.waiting}/${r.queue.active}/${r.queue.delayed}${r.queue.paused ? ' paused' : ''}` },
  { head: 'HEALTH', min: 24, cell: healthCell },
  {
    head: 'LAST',
    min: 16,
    cell: (r, now) => (r.last ? `${r.last.outcome} ${shortDuration(now - r.last.finishedAt)} ago ${r.last.suite ?? r.last.kind}: ${r.last.summary}` : '-'),
  },
];

/**
 * Which columns give way when the table is too wide (indexes into COLUMNS), group by group: within
 * a group the widest gives a character at a time, so the health reason and the last result share
 * the cut; a rig's name is never cut.
 */
const SHRINK_GROUPS = [[5, 4], [1], [2]];
/**
 * The columns shown, widest set first: when even the minimum widths of one do not fit, the next
 * leaves out the least needed column (a last result cut to a few letters says nothing).
 */
const COLUMN_SETS = [
  [0, 1, 2, 3, 4, 5],
  [0, 1, 2, 3, 4],
  [0, 2, 3, 4],
  [0, 3, 4],
];
const GAP = '  ';

/** Cuts `text` to `width` characters, marking the cut with `…`. */
export function fit(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return chars.join('');
  return width <= 0 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

const len = (s: string) => Array.from(s).length;

/** A summary line, then one line per rig, none longer than `width`. */
export function formatStatus(rows: readonly RigStatus[], width: number, now = Date.now()): string {
  width = Math.max(20, Math.floor(width));
  if (rows.length === 0) return fit('no rigs registered: start `hil worker --rigs GLOB` on the Pis', width);
  const cells = rows.map((r) => COLUMNS.map((c) => c.cell(r, now).replace(/\s+/g, ' ')));
  const natural = COLUMNS.map((c, i) => Math.max(len(c.head), ...cells.map((row) => len(row[i]!))));
  let shown: number[] = [];
  let widths: number[] = [];
  for (const set of COLUMN_SETS) {
    shown = set;
    widths = [...natural];
    const total = () => shown.reduce((n, i) => n + widths[i]!, 0) + GAP.length * (shown.length - 1);
    for (const group of SHRINK_GROUPS) {
      const cols = group.filter((i) => shown.includes(i));
      for (let excess = total() - width; excess > 0; excess--) {
        const widest = cols.filter((i) => widths[i]! > COLUMNS[i]!.min).sort((a, b) => widths[b]! - widths[a]!)[0];
        if (widest === undefined) break;
        widths[widest]!--;
      }
    }
    if (total() <= width) break;
  }
  const line = (texts: string[]) =>
    fit(
      shown
        .map((i, k) => (k === shown.length - 1 ? fit(texts[i]!, widths[i]!) : fit(texts[i]!, widths[i]!).padEnd(widths[i]!)))
        .join(GAP)
        .trimEnd(),
      width,
    );
  const paused = rows.filter((r) => r.queue.paused).length;
  const leased = rows.filter((r) => r.lease).length;
  const waiting = rows.reduce((n, r) => n + r.queue.waiting, 0);
  const withWorker = rows.filter((r) => r.worker).length;
  const summary = `${rows.length} rig${rows.length === 1 ? '' : 's'}: ${withWorker} with a worker, ${leased} leased, ${paused} paused, ${waiting} job${waiting === 1 ? '' : 's'} waiting`;
  return [fit(summary, width), line(COLUMNS.map((c) => c.head)), ...cells.map(line)].join('\n');
}

/** Audit entries (newest first) as lines at most `width` wide, oldest at the top: `HH:MM:SS by action rig: detail`. */
export function formatAudit(entries: readonly AuditEntry[], width: number): string[] {
  return [...entries].reverse().map((e) => {
    const time = new Date(e.at).toISOString().slice(11, 19);
    return fit(`${time} ${e.by} ${e.action}${e.rig ? ` ${e.rig}` : ''}${e.detail ? `: ${e.detail}` : ''}`.replace(/\s+/g, ' '), Math.max(20, Math.floor(width)));
  });
}
