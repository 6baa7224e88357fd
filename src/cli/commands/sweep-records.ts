/**
 * `hil sweep`'s failing points as repro records (`reports/repro/<id>.json`), so that `hil repro
 * <id>` replays a point of a command-line sweep as it replays one from a `hil run` report.
 */
import type { RigConfig } from '../../config/index.js';
import type { ReproRecord } from '../../report/repro-record.js';
import { reproImages, reproPath } from '../../report/repro-record.js';
import { storeRepro } from '../../report/repro-store.js';
import type { PointResult } from '../../scenario/sweep/recover.js';
import type { UpdateImage } from '../../scenario/update-image.js';
import { SWEEP_SAFE, type SweepReport } from './sweep-report.js';

/** Records written per sweep: the first failing points in op order (a seeded bug can fail at thousands). */
export const MAX_STORED_REPROS = 100;

export interface SweepRecordContext {
  /** The rig as swept: its twin section with the command's --variant / --power-loss applied. */
  config: RigConfig;
  images: { from: UpdateImage; to: UpdateImage; previous?: UpdateImage };
  setup: string;
  offMs: number;
  seed: number;
  bootLoopCycles: number;
  retry?: number;
}

export function sweepPointRecord(c: SweepRecordContext, r: PointResult): ReproRecord {
  const twin = c.config.twin;
  return {
    version: 1,
    kind: 'sweep-point',
    rig: { name: c.config.name, file: reproPath(c.config.file) },
    // The engine runs the twin at time factor 0; each point sets its own power-loss landing.
    ...(twin && { twin: { variant: twin.variant, powerLoss: twin.powerLoss, timeFactor: 0 } }),
    images: reproImages(c.images),
    setup: c.setup,
    trigger: { ...r.point },
    offMs: c.offMs,
    seed: c.seed,
    ...(c.bootLoopCycles > 0 && { bootLoopCycles: c.bootLoopCycles }),
    ...(c.retry ? { retry: c.retry } : {}),
    expected: [...SWEEP_SAFE],
    seen: r.outcome,
  };
}

/**
 * Stores a record for each of the first MAX_STORED_REPROS failing points and notes its id on the
 * report's entry (the report lists failing points in the same order: first cuts, then the rest).
 */
export function storeFailingRecords(report: SweepReport, failing: readonly PointResult[], c: SweepRecordContext): void {
  failing.slice(0, MAX_STORED_REPROS).forEach((r, i) => {
    const entry = report.failing[i];
    if (entry) entry.reproId = storeRepro(sweepPointRecord(c, r));
  });
}

/** The failing results in the report's order. */
export function failingResults(results: readonly PointResult[], firsts?: readonly PointResult[]): PointResult[] {
  return [...(firsts ?? []), ...results].filter((r) => !SWEEP_SAFE.includes(r.outcome));
}
