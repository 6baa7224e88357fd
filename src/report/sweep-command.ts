/**
 * The `hil sweep` line that runs one suite sweep again (and, with `--point OP:MODE[:FRACTION]`,
 * one point of it: src/report/sweep-result.ts pointArgument). Pure formatting.
 */
import { relative } from 'node:path';
import type { ReproTwin } from './cut-summary.js';

export interface SweepLine {
  rig: string;
  twin?: ReproTwin;
  from: string;
  to: string;
  previous?: string;
  setup?: string;
  /** The sweep's mode (every-op, range, random, double) and, for every-op, its cut modes. */
  mode: string;
  cut?: readonly string[];
  seed: number;
  bootLoopCycles?: number;
}

export function sweepCommand(c: SweepLine): string {
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const q = (s: string) => (/^[\w./:%@+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [
    'hil sweep',
    `--rig ${q(rel(c.rig))}`,
    ...(c.twin?.variant !== undefined ? [`--variant ${q(c.twin.variant)}`] : []),
    `--from ${q(rel(c.from))}`,
    `--to ${q(rel(c.to))}`,
    ...(c.previous ? [`--previous ${q(rel(c.previous))}`] : []),
    ...(c.setup && c.setup !== 'default' ? [`--setup ${q(c.setup)}`] : []),
    `--mode ${q(c.mode)}`,
    ...(c.cut?.length ? [`--modes ${q(c.cut.join(','))}`] : []),
    `--seed ${c.seed}`,
    ...(c.bootLoopCycles ? [`--boot-loop-cycles ${c.bootLoopCycles}`] : []),
  ].join(' ');
}
