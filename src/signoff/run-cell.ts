/**
 * Running one cell of the matrix, by its rig's runner:
 *   - sweep: the twin's sweep engine (`runSweep`): the update recorded once, each point's flash
 *     state built from the op log, only the recovery simulated, on worker threads;
 *   - replay: every cut made in full with `runCut` on one opened rig, as a bench must (and a twin
 *     may, to cross-check the engine). A cut that ends in a rig error is listed apart; after
 *     MAX_RIG_ERRORS_IN_A_ROW of them the rig is taken to be down and the rest is not run.
 * An abort (Ctrl-C) rejects with the abort's reason; whatever else fails is the rig's, not the
 * device's: it comes back as a rig error of the cell.
 */
import { formatTrigger, type Trigger } from '../config/trigger.js';
import type { Outcome } from '../config/vocabulary.js';
import { openRig } from '../rig/open-rig.js';
import { runCut } from '../scenario/cut.js';
import { defaultWorkers, runSweep } from '../scenario/sweep/engine.js';
import type { SweepMode } from '../scenario/sweep/modes.js';
import { pointAtTime } from '../scenario/sweep/modes.js';
import { formatPoint } from '../scenario/sweep/point-text.js';
import type { SweepCutPoint } from '../scenario/sweep/points.js';
import type { PointResult } from '../scenario/sweep/recover.js';
import { SweepSession, type SweepRequest } from '../scenario/sweep/session.js';
import { schemeAdapter } from '../schemes/registry.js';
import { loadUpdateImage } from '../scenario/update-image.js';
import type { SweepOp } from '../drivers/device/twin-sweep.js';
import { modeTriggers, randomTimes } from './cut-times.js';
import type { PlannedCell } from './load.js';
import type { RigErrorEntry } from './report.js';

/** Rig errors in a row after which a replay cell stops: the rig is down, more cuts would only say so again. */
export const MAX_RIG_ERRORS_IN_A_ROW = 3;

/** One replayed cut: its trigger and what the device did. */
export interface ReplayPoint {
  trigger: Trigger;
  /** The cut's power-loss seed (the twin's). */
  seed: number;
  text: string;
  outcome: Outcome;
  reasons: string[];
}

export interface CellRun {
  planned: number;
  /** Sweep cells: the recorded update's ops and every point's result. */
  ops?: readonly SweepOp[];
  sweep?: PointResult[];
  /** Replay cells: every cut made. */
  replay?: ReplayPoint[];
  rigErrors: RigErrorEntry[];
  notRun: number;
  /** The cell could not run at all (its size unknown): never judged on what it did not do. */
  broken?: string;
  /** Ctrl-C stopped it: what it did so far (a replay cell keeps its cuts; a sweep's are lost with its threads). */
  interrupted?: boolean;
}

export interface CellOptions {
  workers?: number;
  bootLoopCycles: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

function sweepModeOf(cell: PlannedCell): SweepMode | undefined {
  const m = cell.mode.mode;
  switch (m.mode) {
    case 'every-op':
      return { mode: 'every-op', ...(m.cut && { cut: m.cut }), ...(m.torn !== undefined && { torn: m.torn }) };
    case 'random':
      return m.window ? undefined : { mode: 'random', count: m.count, ...(m.cut && { cut: m.cut }) };
    case 'range':
      return { mode: 'range', trigger: m.trigger, from: m.from, to: m.to, step: m.step };
  }
}

function requestOf(cell: PlannedCell, bootLoopCycles: number): SweepRequest {
  const { rig, path } = cell;
  return {
    rig: rig.config.file,
    ...(rig.overrides && { twin: { ...rig.overrides } }),
    images: { from: path.from, to: path.to, ...(path.previous && { previous: path.previous }) },
    setup: cell.setup,
    seed: cell.seed,
    ...(cell.offMs !== rig.config.power.offMs && { offMs: cell.offMs }),
    ...(bootLoopCycles > 0 && { bootLoopCycles }),
  };
}

function aborted(signal: AbortSignal | undefined, err: unknown): boolean {
  return !!signal?.aborted || (err instanceof Error && err.name === 'AbortError');
}

/** A sweep cell on the twin's engine. */
export async function runSweepCell(cell: PlannedCell, opts: CellOptions): Promise<CellRun> {
  const request = requestOf(cell, opts.bootLoopCycles);
  const workers = opts.workers ?? defaultWorkers();
  const common = { workers, ...(opts.onProgress && { onProgress: opts.onProgress }), ...(opts.signal && { signal: opts.signal }) };
  const mode = sweepModeOf(cell);
  try {
    let points: SweepCutPoint[] | undefined;
    if (!mode) {
      // Random times: placed on this thread's recording (the same in every worker), then swept.
      const m = cell.mode.mode as Extract<PlannedCell['mode']['mode'], { mode: 'random' }>;
      const session = await SweepSession.open(request, { ...(opts.signal && { signal: opts.signal }) });
      try {
        points = randomTimes(m.count, m.window!.fromMs, m.window!.toMs, cell.seed).map((ms) => pointAtTime(session.recording, ms, cell.seed));
      } finally {
        await session.close();
      }
    }
    const run = await runSweep(request, { ...common, ...(mode && { mode }), ...(points && { points }) });
    return { planned: run.results.length, ops: run.ops, sweep: run.results, rigErrors: [], notRun: 0 };
  } catch (err) {
    if (aborted(opts.signal, err)) throw err;
    const message = (err as Error)?.message ?? String(err);
    return { planned: cell.plannedPoints ?? 0, rigErrors: [{ point: 'the whole cell', message }], notRun: cell.plannedPoints ?? 0, broken: message };
  }
}

/** A replay cell: each cut made in full on one opened rig. */
export async function runReplayCell(cell: PlannedCell, opts: CellOptions): Promise<CellRun> {
  const triggers = modeTriggers(cell.mode.mode, cell.seed);
  const planned = triggers.length;
  const config = cell.rig.config;
  let rig;
  let scheme;
  let images;
  try {
    scheme = await schemeAdapter(config.scheme);
    const { path } = cell;
    images = {
      from: await loadUpdateImage(path.from, config.scheme),
      to: await loadUpdateImage(path.to, config.scheme),
      ...(path.previous && { previous: await loadUpdateImage(path.previous, config.scheme) }),
    };
    rig = await openRig(config);
  } catch (err) {
    if (aborted(opts.signal, err)) throw err;
    const message = (err as Error)?.message ?? String(err);
    return { planned, replay: [], rigErrors: [{ point: 'opening the rig', message }], notRun: planned, broken: message };
  }
  const replay: ReplayPoint[] = [];
  const rigErrors: RigErrorEntry[] = [];
  let inARow = 0;
  let done = 0;
  try {
    for (const [i, trigger] of triggers.entries()) {
      if (opts.signal?.aborted) break;
      const text = formatTrigger(trigger);
      const spec = { trigger, offMs: cell.offMs, seed: cell.seed + i, setup: cell.setup, ...(opts.bootLoopCycles > 0 && { bootLoopCycles: opts.bootLoopCycles }) };
      try {
        const r = await runCut(rig, scheme, images, spec, { ...(opts.signal && { signal: opts.signal }) });
        if (r.outcome === 'rig-error') {
          rigErrors.push({ point: text, message: r.rigError ?? 'rig error' });
          inARow++;
        } else {
          replay.push({ trigger, seed: spec.seed, text, outcome: r.outcome, reasons: r.verdict?.reasons ?? [] });
          inARow = 0;
        }
      } catch (err) {
        if (aborted(opts.signal, err)) break;
        rigErrors.push({ point: text, message: (err as Error)?.message ?? String(err) });
        inARow++;
      }
      done++;
      opts.onProgress?.(done, planned);
      if (inARow >= MAX_RIG_ERRORS_IN_A_ROW) break;
    }
  } finally {
    await rig.close();
  }
  return { planned, replay, rigErrors, notRun: planned - done, ...(opts.signal?.aborted && { interrupted: true }) };
}

/** A sweep point's text, as `hil sweep --point` takes it. */
export function sweepPointText(p: SweepCutPoint): string {
  return formatPoint(p);
}
