/**
 * The `hil cut` line that replays one sweep point the long way: the cut at the op's marker edge
 * (plus the seeded fraction of the op for a torn point), the twin's power-loss mode that leaves the
 * point's state (before: skip, after: complete, torn: torn), the point's own seed.
 * test/scenario/sweep-equivalence.test.ts holds the engine equal to that replay.
 */
import type { Trigger } from '../../config/index.js';
import { reproCommand, reproTwin, type ReproTwin } from '../../report/cut-summary.js';
import type { SweepCutMode, SweepCutPoint } from '../../scenario/sweep/points.js';
import type { Recording } from '../../scenario/sweep/recording.js';

const POWER_LOSS: Record<SweepCutMode, 'skip' | 'complete' | 'torn'> = { before: 'skip', after: 'complete', torn: 'torn' };

/** Where a full replay cuts for this point. An op with no marker edge (an option-byte program) is reached by time. */
export function pointTrigger(rec: Recording, point: SweepCutPoint): Trigger {
  const op = rec.ops[point.op]!;
  const into = point.mode === 'torn' ? (point.fraction ?? 0) * op.durationMs : 0;
  if (op.marker !== undefined) return { kind: 'marker', edge: op.marker, delayMs: into };
  return { kind: 'after', ms: op.startMs - rec.updateStartMs + (point.mode === 'torn' ? into : op.durationMs / 2) };
}

export interface SweepReproContext {
  rig: string;
  twin?: ReproTwin;
  from: string;
  to: string;
  previous?: string;
  setup: string;
  offMs: number;
  bootLoopCycles?: number;
}

export function pointRepro(c: SweepReproContext, rec: Recording, point: SweepCutPoint): string {
  return reproCommand({
    rig: c.rig,
    twin: { ...reproTwin(c.twin), powerLoss: POWER_LOSS[point.mode] },
    from: c.from,
    to: c.to,
    ...(c.previous !== undefined && { previous: c.previous }),
    setup: c.setup,
    trigger: pointTrigger(rec, point),
    offMs: c.offMs,
    seed: point.seed,
    ...(c.bootLoopCycles ? { bootLoopCycles: c.bootLoopCycles } : {}),
  });
}
