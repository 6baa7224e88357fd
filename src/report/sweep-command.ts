/**
 * The `hil sweep` line that runs one suite sweep again (and, with `--point OP:MODE[:FRACTION]`,
 * one point of it: src/report/sweep-result.ts pointArgument). Pure formatting.
 */
import { relative } from 'node:path';
import { formatCompatibleText, type CompatibleSet } from '../config/version-pattern.js';
import type { OpSweepMode } from '../config/sweep.js';
import type { ReproTwin } from './cut-summary.js';

/** The options of `hil sweep` that select the sweep's points. */
function modeArgs(s: OpSweepMode): string[] {
  switch (s.mode) {
    case 'every-op':
      return [...(s.cut?.length ? [`--modes ${s.cut.join(',')}`] : []), ...(s.torn !== undefined && s.torn > 1 ? [`--torn ${s.torn}`] : [])];
    case 'range': {
      const unit = s.trigger === 'after' ? 'ms' : s.trigger === 'progress' ? '%' : '';
      return [`--trigger ${s.trigger}:${s.from}${unit}..${s.to}${unit}`, `--step ${s.step}${s.trigger === 'after' ? 'ms' : ''}`];
    }
    case 'random':
      return [`--count ${s.count}`];
    case 'double': {
      const { sample: first } = s.first;
      const { sample: second } = s.second;
      if (first === undefined && second === undefined) return [];
      return [`--sample ${first ?? 'all'}${second !== undefined ? `/${second}` : ''}`];
    }
  }
}

export interface SweepLine {
  rig: string;
  twin?: ReproTwin;
  from: string;
  to: string;
  previous?: string;
  /** Images a multi-stage update sends before `to`: `--via`. */
  via?: readonly string[];
  setup?: string;
  /** The sweep's mode and its settings, as a suite's `cuts.sweeps` entry gives them. */
  sweep: OpSweepMode;
  seed: number;
  offMs?: number;
  bootLoopCycles?: number;
  /** Retries after each recovery (a suite's `retry:`). */
  retry?: number;
  /** A product's supported version sets (a suite's `compatible:`). */
  compatible?: readonly CompatibleSet[];
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
    ...(c.via?.length ? [`--via ${c.via.map((f) => q(rel(f))).join(',')}`] : []),
    ...(c.setup && c.setup !== 'default' ? [`--setup ${q(c.setup)}`] : []),
    `--mode ${c.sweep.mode}`,
    ...modeArgs(c.sweep).map((a) => a.replace(/ (\S+)$/, (_m, v: string) => ` ${q(v)}`)),
    `--seed ${c.seed}`,
    ...(c.offMs !== undefined ? [`--off-ms ${c.offMs}`] : []),
    ...(c.bootLoopCycles ? [`--boot-loop-cycles ${c.bootLoopCycles}`] : []),
    ...(c.retry ? [`--retry ${c.retry}`] : []),
    ...(c.compatible?.length ? [`--compatible ${q(formatCompatibleText(c.compatible))}`] : []),
  ].join(' ');
}
