/**
 * What `hil sweep` prints once the points are judged: ops per stage, outcomes per mode and every
 * failing point with its repro line, as text or as one JSON document.
 */
import type { SweepCutMode } from '../../scenario/sweep/points.js';
import type { Recording } from '../../scenario/sweep/recording.js';
import type { PointResult } from '../../scenario/sweep/recover.js';

/** A suite's default `expect.safe` (src/config/suite-schema.ts): a sweep point outside it fails. */
export const SWEEP_SAFE: readonly string[] = ['updated', 'rolled-back'];

export interface FailingPoint {
  op: number;
  mode: SweepCutMode;
  fraction?: number;
  seed: number;
  /** The op: kind, target, address, the stage and device phase it ran in. */
  where: string;
  outcome: string;
  reasons: string[];
  repro: string;
}

export interface SweepReport {
  rig: string;
  scheme: string;
  variant: string;
  setup: string;
  seed: number;
  mode: 'every-op';
  modes: SweepCutMode[];
  /** What the uncut recording run ended as (normally updated). */
  uncut: string;
  ops: { total: number; byStage: Record<string, number> };
  points: number;
  outcomes: Partial<Record<SweepCutMode, Record<string, number>>>;
  failing: FailingPoint[];
}

export function opWhere(rec: Recording, op: number): string {
  const o = rec.ops[op]!;
  return `${o.kind} ${o.target} @0x${o.address.toString(16)}+${o.length}, ${stageName(o.stage)}${o.phase ? `/${o.phase}` : ''}`;
}

/** The stage the host labelled `reboot` is the bootloader's work after the reset that ends the update. */
function stageName(stage: string): string {
  return stage === 'reboot' ? 'after the reset' : stage;
}

export function buildReport(
  head: Omit<SweepReport, 'ops' | 'points' | 'outcomes' | 'failing' | 'uncut'>,
  rec: Recording,
  results: readonly PointResult[],
  repro: (r: PointResult) => string,
): SweepReport {
  const byStage: Record<string, number> = {};
  for (const op of rec.ops) byStage[op.stage] = (byStage[op.stage] ?? 0) + 1;
  const outcomes: SweepReport['outcomes'] = {};
  const failing: FailingPoint[] = [];
  for (const r of results) {
    const counts = (outcomes[r.point.mode] ??= {});
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    if (SWEEP_SAFE.includes(r.outcome)) continue;
    failing.push({
      op: r.point.op,
      mode: r.point.mode,
      ...(r.point.fraction !== undefined && { fraction: r.point.fraction }),
      seed: r.point.seed,
      where: opWhere(rec, r.point.op),
      outcome: r.outcome,
      reasons: r.reasons,
      repro: repro(r),
    });
  }
  return { ...head, uncut: rec.outcome, ops: { total: rec.ops.length, byStage }, points: results.length, outcomes, failing };
}

export function formatReport(r: SweepReport): string {
  const counts = (c: Record<string, number>) =>
    Object.entries(c)
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${o}:${n}`)
      .join(' ');
  const lines = [
    `rig ${r.rig} (${r.scheme}, variant ${r.variant}), setup ${r.setup}, seed ${r.seed}; uncut run: ${r.uncut}`,
    `ops: ${r.ops.total} (${Object.entries(r.ops.byStage)
      .map(([s, n]) => `${stageName(s)} ${n}`)
      .join(', ')})`,
    `points: ${r.points} (${r.mode}: ${r.modes.join(', ')})`,
    ...r.modes.map((m) => `  ${m.padEnd(7)} ${counts(r.outcomes[m] ?? {}) || '-'}`),
  ];
  if (!r.failing.length) {
    lines.push(`failing points: none (every point ${SWEEP_SAFE.join(' or ')})`);
    return lines.join('\n');
  }
  lines.push(`failing points: ${r.failing.length}`);
  for (const f of r.failing) {
    lines.push(`  op ${f.op} ${f.mode}${f.fraction !== undefined ? ` ${f.fraction.toFixed(3)}` : ''} (${f.where}) -> ${f.outcome}${f.reasons.length ? `: ${f.reasons.join('; ')}` : ''}`);
    lines.push(`    ${f.repro}`);
  }
  return lines.join('\n');
}
