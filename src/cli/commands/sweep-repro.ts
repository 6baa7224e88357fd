/**
 * The `hil cut` line that replays one sweep point the long way: the cut at the op's marker edge
 * (plus the seeded fraction of the op for a torn point), the twin's power-loss mode that leaves the
 * point's state (before: skip, after: complete, torn: torn), the point's own seed.
 * test/scenario/sweep-equivalence.test.ts holds the engine equal to that replay.
 */
import { relative } from 'node:path';
import type { Trigger } from '../../config/index.js';
import { reproCommand, reproTwin } from '../../report/cut-summary.js';
import type { SweepCutMode, SweepCutPoint } from '../../scenario/sweep/points.js';
import type { Recording } from '../../scenario/sweep/recording.js';
import { formatPoint } from './sweep-options.js';
import type { SweepReproContext } from '../../scenario/sweep/repro-context.js';

const POWER_LOSS: Record<SweepCutMode, 'skip' | 'complete' | 'torn'> = { before: 'skip', after: 'complete', torn: 'torn' };

/** Where a full replay cuts for this point. An op with no marker edge (an option-byte program) is reached by time. */
export function pointTrigger(rec: Recording, point: SweepCutPoint): Trigger {
  const atomic = afterAtomicOp(rec, point);
  if (atomic !== undefined) return { kind: 'after', ms: atomic };
  const op = rec.ops[point.op]!;
  const into = point.mode === 'torn' ? (point.fraction ?? 0) * op.durationMs : 0;
  if (op.marker !== undefined) return { kind: 'marker', edge: op.marker, delayMs: into };
  return { kind: 'after', ms: op.startMs - rec.updateStartMs + (point.mode === 'torn' ? into : op.durationMs / 2) };
}

export function pointRepro(c: SweepReproContext & { retry?: number; via?: readonly string[] }, rec: Recording, point: SweepCutPoint): string {
  return reproCommand({
    rig: c.rig,
    twin: { ...reproTwin(c.twin), powerLoss: POWER_LOSS[point.mode] },
    from: c.from,
    to: c.to,
    ...(c.previous !== undefined && { previous: c.previous }),
    ...(c.via?.length && { via: c.via }),
    setup: c.setup,
    trigger: pointTrigger(rec, point),
    offMs: c.offMs,
    seed: point.seed,
    ...(c.bootLoopCycles ? { bootLoopCycles: c.bootLoopCycles } : {}),
    ...(c.retry ? { retry: c.retry } : {}),
  });
}

/** What a `hil sweep --point` line needs beyond the point: the sweep's seed rebuilds the point's own. */
export interface PointCommandContext extends SweepReproContext {
  /** Images sent before `to` (a multi-stage update): `--via`. */
  via?: readonly string[];
  /** The sweep's seed (`--seed`): a point's seed is derived from it (points.ts seedFor). */
  seed: number;
  /** Retries after each recovery (`--retry`). */
  retry?: number;
}

/**
 * The `hil sweep --point` line that replays one point exactly as the sweep made it: the same
 * recording (rig, variant, images, setup), the point's cut(s) by op, mode and fraction, the sweep's
 * seed, off time and boot-loop cycles. What a failing point prints and `hil repro` stands for.
 */
export function pointCommand(c: PointCommandContext, point: SweepCutPoint): string {
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const q = (s: string) => (/^[\w./:%@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const twin = reproTwin(c.twin);
  return [
    'hil sweep',
    `--rig ${q(rel(c.rig))}`,
    ...(twin.variant !== undefined ? [`--variant ${q(twin.variant)}`] : []),
    ...(twin.powerLoss !== undefined ? [`--power-loss ${q(twin.powerLoss)}`] : []),
    `--from ${q(rel(c.from))}`,
    `--to ${q(rel(c.to))}`,
    ...(c.previous ? [`--previous ${q(rel(c.previous))}`] : []),
    ...(c.via?.length ? [`--via ${c.via.map((f) => q(rel(f))).join(',')}`] : []),
    ...(c.setup && c.setup !== 'default' ? [`--setup ${q(c.setup)}`] : []),
    `--point ${q(formatPoint(point))}`,
    `--seed ${c.seed}`,
    `--off-ms ${c.offMs}`,
    ...(c.bootLoopCycles ? [`--boot-loop-cycles ${c.bootLoopCycles}`] : []),
    ...(c.retry ? [`--retry ${c.retry}`] : []),
    ...(c.compatible ? [`--compatible ${q(c.compatible)}`] : []),
  ].join(' ');
}

/**
 * Where a full replay cuts to leave op k complete when op k has no marker edge (the STM32's
 * option-byte program): between its end and the next op's start. Cutting inside it leaves it
 * unwritten whatever the power-loss mode, since the twin's option-byte program is atomic (lands
 * whole or not at all): bfb2-before-verify's catch at `99:after` replayed as rolled-back that way.
 * Undefined for every other point.
 */
export function afterAtomicOp(rec: Recording, point: SweepCutPoint): number | undefined {
  const op = rec.ops[point.op];
  if (!op || point.mode !== 'after' || op.marker !== undefined || op.endMs === undefined) return undefined;
  const next = rec.ops[point.op + 1];
  const until = next ? next.startMs : op.endMs + 2 * ATOMIC_AFTER_MS;
  return op.endMs + Math.min(ATOMIC_AFTER_MS, (until - op.endMs) / 2) - rec.updateStartMs;
}

/** How long after an atomic op's end its replay cuts (at most half-way to the next op). */
const ATOMIC_AFTER_MS = 1;
