/**
 * The one line that makes a failing cut of a cell again: `hil sweep … --point P` for a sweep
 * cell's point (the same state rebuilt from the same recording), `hil cut … --trigger T` for a
 * replayed cut. The same words as hil sweep's and hil cut's own repro lines, so a lab engineer
 * goes from the page to the failure in one paste.
 */
import { relative } from 'node:path';
import type { Trigger } from '../config/trigger.js';
import { reproCommand } from '../report/cut-summary.js';
import { formatPoint } from '../scenario/sweep/point-text.js';
import type { SweepCutPoint } from '../scenario/sweep/points.js';
import type { PlannedCell } from './load.js';

function rel(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
}

function q(s: string): string {
  return /^[\w./:%@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function sweepPointLine(cell: PlannedCell, point: SweepCutPoint, bootLoopCycles: number): string {
  const { rig, path } = cell;
  return [
    'hil sweep',
    `--rig ${q(rel(rig.config.file))}`,
    ...(rig.overrides?.variant !== undefined ? [`--variant ${q(rig.overrides.variant)}`] : []),
    ...(rig.overrides?.powerLoss !== undefined ? [`--power-loss ${q(rig.overrides.powerLoss)}`] : []),
    `--from ${q(rel(path.from))}`,
    `--to ${q(rel(path.to))}`,
    ...(path.previous ? [`--previous ${q(rel(path.previous))}`] : []),
    ...(cell.setup !== 'default' ? [`--setup ${q(cell.setup)}`] : []),
    `--point ${q(formatPoint(point))}`,
    `--seed ${cell.seed}`,
    `--off-ms ${cell.offMs}`,
    ...(bootLoopCycles ? [`--boot-loop-cycles ${bootLoopCycles}`] : []),
  ].join(' ');
}

export function replayCutLine(cell: PlannedCell, trigger: Trigger, seed: number, bootLoopCycles: number): string {
  const { rig, path } = cell;
  return reproCommand({
    rig: rig.config.file,
    ...(rig.overrides && { twin: rig.overrides }),
    from: path.from,
    to: path.to,
    ...(path.previous && { previous: path.previous }),
    trigger,
    offMs: cell.offMs,
    seed,
    bootLoopCycles,
    setup: cell.setup,
  });
}
