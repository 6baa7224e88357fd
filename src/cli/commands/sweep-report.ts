/**
 * What `hil sweep` prints once the points are judged: ops per stage, outcomes per cut mode (per
 * first/second mode for a double sweep), the map's file and every failing point with the `hil
 * sweep --point` line that replays it, as text or as one JSON document.
 */
import type { SweepMode } from '../../scenario/sweep/modes.js';
import type { SweepCutMode, SweepCutPoint } from '../../scenario/sweep/points.js';
import type { Recording } from '../../scenario/sweep/recording.js';
import type { PointResult } from '../../scenario/sweep/recover.js';
import { formatPoint } from './sweep-options.js';

/** A suite's default `expect.safe` (src/config/suite-schema.ts): a sweep point outside it fails. */
export const SWEEP_SAFE: readonly string[] = ['updated', 'rolled-back'];
/** Failing points printed as text (every one is in --json). */
export const MAX_PRINTED_FAILING = 40;

export interface FailingPoint {
  op: number;
  mode: SweepCutMode;
  fraction?: number;
  seed: number;
  atMs?: number;
  /** A double point's second cut (op index into the first cut's recovery). */
  second?: { op: number; mode: SweepCutMode; fraction?: number };
  /** The point as `--point` takes it. */
  point: string;
  /** The op: kind, target, address, the stage and device phase it ran in. */
  where: string;
  outcome: string;
  reasons: string[];
  /** `hil sweep --point …`: replays this point exactly (the engine, one point). */
  repro: string;
  /** `hil cut …`: the same cut replayed the long way (a single cut at an op's marker edge). */
  cut?: string;
  /** Its stored repro record's id (`hil repro ID`; the first failing points of a sweep have one). */
  reproId?: string;
}

export interface SweepReport {
  rig: string;
  scheme: string;
  variant: string;
  setup: string;
  seed: number;
  mode: SweepMode['mode'];
  /** The sweep's whole mode (range bounds, sample sizes, torn fractions). */
  sweep: SweepMode;
  /** Cut modes tried (of the first cut, for a double sweep). */
  modes: SweepCutMode[];
  /** What the uncut recording run ended as (normally updated). */
  uncut: string;
  ops: { total: number; byStage: Record<string, number> };
  points: number;
  /** Outcome counts per cut mode; a double sweep's per `first/second` mode. */
  outcomes: Record<string, Record<string, number>>;
  /** A double sweep: its first cuts alone, and the recoveries they start. */
  firsts?: { points: number; outcomes: Record<string, Record<string, number>>; recoveriesWithOps: number; longestRecovery: number };
  /** The resilience map written for this sweep. */
  map?: string;
  failing: FailingPoint[];
}

export function opWhere(rec: Recording, op: number): string {
  const o = rec.ops[op];
  if (!o) return `op ${op}`;
  return `${o.kind} ${o.target} @0x${o.address.toString(16)}+${o.length}, ${stageName(o.stage)}${o.phase ? `/${o.phase}` : ''}`;
}

/** The stage the host labelled `reboot` is the bootloader's work after the reset that ends the update. */
function stageName(stage: string): string {
  return stage === 'reboot' ? 'after the reset' : stage;
}

function modeKey(p: SweepCutPoint): string {
  return p.second ? `${p.mode}/${p.second.mode}` : p.mode;
}

function countBy(results: readonly PointResult[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of results) {
    const counts = (out[modeKey(r.point)] ??= {});
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  }
  return out;
}

export function failingPoint(rec: Recording, r: PointResult, repro: string, cut?: string): FailingPoint {
  const p = r.point;
  return {
    op: p.op,
    mode: p.mode,
    ...(p.fraction !== undefined && { fraction: p.fraction }),
    seed: p.seed,
    ...(p.atMs !== undefined && { atMs: p.atMs }),
    ...(p.second && { second: { op: p.second.op, mode: p.second.mode, ...(p.second.fraction !== undefined && { fraction: p.second.fraction }) } }),
    point: formatPoint(p),
    where: opWhere(rec, p.op),
    outcome: r.outcome,
    reasons: r.reasons,
    repro,
    ...(cut !== undefined && { cut }),
  };
}

export function buildReport(
  head: Omit<SweepReport, 'ops' | 'points' | 'outcomes' | 'failing' | 'uncut' | 'firsts'>,
  rec: Recording,
  results: readonly PointResult[],
  repro: (r: PointResult) => string,
  cut?: (r: PointResult) => string | undefined,
  firsts?: readonly PointResult[],
): SweepReport {
  const byStage: Record<string, number> = {};
  for (const op of rec.ops) byStage[op.stage] = (byStage[op.stage] ?? 0) + 1;
  const failing: FailingPoint[] = [];
  // A double sweep's first cut that fails on its own is a finding too (listed before the double points).
  for (const r of [...(firsts ?? []), ...results]) {
    if (SWEEP_SAFE.includes(r.outcome)) continue;
    failing.push(failingPoint(rec, r, repro(r), cut?.(r)));
  }
  return {
    ...head,
    uncut: rec.outcome,
    ops: { total: rec.ops.length, byStage },
    points: results.length,
    outcomes: countBy(results),
    ...(firsts && {
      firsts: {
        points: firsts.length,
        outcomes: countBy(firsts),
        recoveriesWithOps: firsts.filter((f) => (f.recovery?.ops ?? 0) > 0).length,
        longestRecovery: Math.max(0, ...firsts.map((f) => f.recovery?.ops ?? 0)),
      },
    }),
    failing,
  };
}

function describeMode(m: SweepMode): string {
  switch (m.mode) {
    case 'every-op':
      return `every-op${m.torn && m.torn > 1 ? `, ${m.torn} torn fractions per op` : ''}`;
    case 'range':
      return `range ${m.trigger} ${m.from}..${m.to} step ${m.step}${m.trigger === 'after' ? ' ms' : m.trigger === 'progress' ? (m.unit === 'bytes' ? ' bytes' : ' %') : ' edges'}`;
    case 'random':
      return `random, ${m.count} seeded points`;
    case 'double':
      return `double, first cuts ${m.first.sample ? `sampled ${m.first.sample} ops` : 'at every op'}, second cuts ${m.second.sample ? `sampled ${m.second.sample} ops` : 'at every op'} of each recovery`;
  }
}

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${o}:${n}`)
    .join(' ');

export function formatReport(r: SweepReport): string {
  const lines = [
    `rig ${r.rig} (${r.scheme}, variant ${r.variant}), setup ${r.setup}, seed ${r.seed}; uncut run: ${r.uncut}`,
    `ops: ${r.ops.total} (${Object.entries(r.ops.byStage)
      .map(([s, n]) => `${stageName(s)} ${n}`)
      .join(', ')})`,
  ];
  if (r.firsts) {
    lines.push(`first cuts: ${r.firsts.points} (${r.modes.join(', ')}); ${r.firsts.recoveriesWithOps} start a recovery that writes flash (longest ${r.firsts.longestRecovery} ops)`);
    for (const [m, c] of Object.entries(r.firsts.outcomes)) lines.push(`  ${m.padEnd(7)} ${counts(c) || '-'}`);
  }
  const listsModes = r.sweep.mode === 'every-op' || r.sweep.mode === 'random' || (r.sweep.mode === 'range' && r.sweep.trigger === 'marker');
  lines.push(`points: ${r.points} (${describeMode(r.sweep)}${listsModes ? `: ${r.modes.join(', ')}` : ''})`);
  for (const [m, c] of Object.entries(r.outcomes)) lines.push(`  ${m.padEnd(r.firsts ? 13 : 7)} ${counts(c) || '-'}`);
  if (r.map) lines.push(`map: ${r.map}`);
  if (!r.failing.length) {
    lines.push(`failing points: none (every point ${SWEEP_SAFE.join(' or ')})`);
    return lines.join('\n');
  }
  lines.push(`failing points: ${r.failing.length}`);
  for (const f of r.failing.slice(0, MAX_PRINTED_FAILING)) {
    const second = f.second ? `, then recovery op ${f.second.op} ${f.second.mode}${f.second.fraction !== undefined ? ` ${f.second.fraction.toFixed(3)}` : ''}` : '';
    lines.push(`  op ${f.op} ${f.mode}${f.fraction !== undefined ? ` ${f.fraction.toFixed(3)}` : ''} (${f.where})${second} -> ${f.outcome}${f.reasons.length ? `: ${f.reasons.join('; ')}` : ''}`);
    lines.push(`    ${f.repro}`);
    if (f.reproId) lines.push(`    hil repro ${f.reproId}`);
  }
  if (r.failing.length > MAX_PRINTED_FAILING) lines.push(`  ... and ${r.failing.length - MAX_PRINTED_FAILING} more (--json lists every one)`);
  return lines.join('\n');
}
