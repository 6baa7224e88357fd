import { relative } from 'node:path';
import { formatTrigger, type Trigger } from '../config/trigger.js';
import type { CutResult } from '../scenario/cut.js';

/** The one-line command that replays a cut exactly. */
export function reproCommand(c: {
  rig: string;
  from: string;
  to: string;
  previous?: string;
  trigger: Trigger;
  offMs: number;
  seed: number;
  bootLoopCycles?: number;
  setup?: string;
  second?: number;
}): string {
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const q = (s: string) => (/^[\w./:%@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [
    'hil cut',
    `--rig ${q(rel(c.rig))}`,
    `--from ${q(rel(c.from))}`,
    `--to ${q(rel(c.to))}`,
    ...(c.previous ? [`--previous ${q(rel(c.previous))}`] : []),
    ...(c.setup && c.setup !== 'default' ? [`--setup ${q(c.setup)}`] : []),
    `--trigger ${q(formatTrigger(c.trigger))}`,
    `--off-ms ${c.offMs}`,
    `--seed ${c.seed}`,
    ...(c.second !== undefined ? [`--second ${c.second}ms`] : []),
    ...(c.bootLoopCycles ? [`--boot-loop-cycles ${c.bootLoopCycles}`] : []),
  ].join(' ');
}

/** A few human lines about one cut. */
export function cutSummary(r: CutResult): string {
  const lines = [`outcome: ${r.outcome}${r.verdict && !r.verdict.agree ? ' (console and flash disagree)' : ''}`];
  if (r.fired) {
    lines.push(
      `fired:   ${r.fired.forced ? '(forced: the update failed first) ' : ''}${r.fired.offsetMs.toFixed(3)} ms after update start, ${r.fired.acked}/${r.update.total} bytes acked, updater phase ${r.fired.phase}${r.fired.devicePhase ? `, device phase ${r.fired.devicePhase}` : ''}`,
    );
  }
  if (r.verdict) lines.push(`console: ${r.verdict.fromConsole}${r.observation?.banner ? ` (${r.observation.banner.line})` : ''}`, `flash:   ${r.verdict.fromFlash}`);
  for (const reason of r.verdict?.reasons ?? []) lines.push(`  - ${reason}`);
  if (r.update.error) lines.push(`update:  ${r.update.error}`);
  if (r.rigError) lines.push(`rig error: ${r.rigError}`);
  if (r.flash) lines.push('', r.flash.table);
  return lines.join('\n');
}
