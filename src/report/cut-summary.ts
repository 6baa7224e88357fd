import { relative } from 'node:path';
import { formatTrigger, type Trigger } from '../config/trigger.js';
import type { CutResult } from '../scenario/cut.js';

/** A twin's bootloader variant and power-loss mode, as a repro line needs them. */
export interface ReproTwin {
  variant?: string;
  powerLoss?: string;
}

/**
 * The twin settings a repro line must carry: those that differ from a twin section's defaults
 * (variant correct, power loss random). A suite's `variant:` / `powerLoss:` on a rig entry lands
 * here, so the line cuts the same bootloader the same way; a plain twin rig's line stays short.
 */
export function reproTwin(twin: ReproTwin | undefined): ReproTwin {
  if (!twin) return {};
  return {
    ...(twin.variant !== undefined && twin.variant !== 'correct' && { variant: twin.variant }),
    ...(twin.powerLoss !== undefined && twin.powerLoss !== 'random' && { powerLoss: twin.powerLoss }),
  };
}

/** The one-line command that replays a cut exactly. */
export function reproCommand(c: {
  rig: string;
  /** Twin overrides (see reproTwin): `--variant` / `--power-loss`. */
  twin?: ReproTwin;
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
    ...(c.twin?.variant !== undefined ? [`--variant ${q(c.twin.variant)}`] : []),
    ...(c.twin?.powerLoss !== undefined ? [`--power-loss ${q(c.twin.powerLoss)}`] : []),
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
