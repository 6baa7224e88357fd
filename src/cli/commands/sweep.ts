import { resolve } from 'node:path';
import { compatibleOption } from '../compatible-option.js';
import { formatCompatibleText } from '../../config/version-pattern.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { limits, loadRig, withTwinOverrides } from '../../config/index.js';
import { renderResilienceMap, writeResilienceMap } from '../../report/maps/resilience-map.js';
import { twinOverridesFrom } from './cut-twin.js';
import { viaOption } from './cut-via.js';
import { loadUpdateImage } from '../../scenario/update-image.js';
import { defaultWorkers, runSweep } from '../../scenario/sweep/engine.js';
import { DoubleSweepTooLarge, runDoubleSweep } from '../../scenario/sweep/double.js';
import type { SweepMode } from '../../scenario/sweep/modes.js';
import { SWEEP_CUT_MODES, type SweepCutPoint } from '../../scenario/sweep/points.js';
import type { PointResult } from '../../scenario/sweep/recover.js';
import type { Recording } from '../../scenario/sweep/recording.js';
import { secondProblem, SweepSession, withMode, type SweepRequest } from '../../scenario/sweep/session.js';
import { schemeAdapter } from '../../schemes/registry.js';
import { setupOption } from '../setup-option.js';
import { numberOption, requireOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { buildReport, failingPoint, formatReport, opWhere, SWEEP_SAFE, type SweepReport } from './sweep-report.js';
import { parsePoint, sweepModeFrom } from './sweep-options.js';
import { pointCommand, pointRepro, type PointCommandContext } from './sweep-repro.js';
import { failingResults, storeFailingRecords } from './sweep-records.js';
import { sweepHelp } from './sweep.help.js';
import { MAX_RETRY } from '../../config/suite-schema.js';

const MAX_WORKERS = 64;
/** Where `hil sweep` writes its resilience maps (as the suites do). */
export const MAPS_DIR = 'reports/maps';

/** In this thread on the session already open (its recording is the report's): no second recording. */
async function inThread(session: SweepSession, points: readonly SweepCutPoint[], progress: (done: number) => void, signal?: AbortSignal): Promise<PointResult[]> {
  const results: PointResult[] = [];
  for (const p of points) {
    signal?.throwIfAborted();
    results.push(await session.recover(p));
    progress(results.length);
  }
  return results;
}

function progressLine(out: Output, started: number): (done: number, total: number) => void {
  return (done, total) => {
    const s = (Date.now() - started) / 1000;
    out.progress(`${done}/${total} points${s > 0 ? `, ${Math.round(done / s)}/s` : ''}`, done === total);
  };
}

/** The map's file name: rig, variant, mode (writeResilienceMap makes it a safe name). */
function mapName(rig: string, variant: string, mode: SweepMode): string {
  const bug = variant === 'correct' || rig.endsWith(variant) ? '' : `-${variant}`;
  return `sweep-${rig}${bug}-${mode.mode}${mode.mode === 'range' ? `-${mode.trigger}` : ''}`;
}

/** Why a point is not in this recording, or undefined (checked before any recovery: exit 2, not a stack). */
function pointProblem(rec: Recording, p: SweepCutPoint): string | undefined {
  const op = rec.ops[p.op];
  if (!op) return `op ${p.op} is outside the recording (${rec.ops.length} ops: 0..${rec.ops.length - 1})`;
  if (p.mode === 'after' && op.endMs === undefined) return `op ${p.op} never completed in the recording: no after state`;
  return undefined;
}

export const sweepCommand: Command = {
  ...sweepHelp,
  async run({ values, out, signal }) {
    const rigName = requireOption(values, 'rig', this);
    const fromArg = requireOption(values, 'from', this);
    const toArg = requireOption(values, 'to', this);
    const mode = sweepModeFrom(values);
    const workers = numberOption(values, 'workers', defaultWorkers(), { integer: true, min: 0, max: MAX_WORKERS });
    const rigFile = await loadRig(rigName);
    if (!rigFile.twin) throw new UsageError(`--rig: ${rigFile.name} is a bench rig, and a bench sweep is not built yet: hil sweep runs on twin rigs (on the bench, use hil cut or a suite)`);
    // The variant makes the recording; a power-loss mode is carried (each point sets its own cut's landing).
    const overrides = twinOverridesFrom({ variant: values.variant, 'power-loss': values['power-loss'] }, rigFile);
    const config = withTwinOverrides(rigFile, overrides, overrides.variant !== undefined ? '--variant' : '--power-loss');
    const seed = numberOption(values, 'seed', config.twin!.seed ?? 1, { integer: true, min: 0, max: limits.MAX_SEED });
    const bootLoopCycles = numberOption(values, 'boot-loop-cycles', 0, { integer: true, min: 0, max: limits.MAX_BOOT_LOOP_CYCLES });
    const retry = numberOption(values, 'retry', 0, { integer: true, min: 0, max: MAX_RETRY });
    const offMs = numberOption(values, 'off-ms', config.power.offMs, { min: 0, max: limits.MAX_OFF_MS });
    const point = values.point !== undefined ? parsePoint(values.point, seed) : undefined;
    const compatible = compatibleOption(values.compatible, config);
    const scheme = await schemeAdapter(config.scheme);
    const setup = setupOption(scheme, values);
    // Loaded here so a bad image is a usage error before any recording or worker starts.
    const from = await loadUpdateImage(resolve(fromArg), config.scheme);
    const via = typeof values.via === 'string' ? viaOption(values.via) : undefined;
    const to = await loadUpdateImage(resolve(toArg), config.scheme, via);
    const previous = values.previous ? await loadUpdateImage(resolve(values.previous as string), config.scheme) : undefined;
    const request: SweepRequest = {
      rig: config.file,
      ...((overrides.variant !== undefined || overrides.powerLoss !== undefined) && { twin: { ...overrides } }),
      images: { from: from.file, to: to.file, ...(previous && { previous: previous.file }), ...(via && { via }) },
      setup,
      seed,
      ...(offMs !== config.power.offMs && { offMs }),
      ...(bootLoopCycles > 0 && { bootLoopCycles }),
      ...(retry > 0 && { retry }),
      ...(compatible && { compatible }),
    };
    const context: PointCommandContext = {
      rig: config.file,
      twin: config.twin,
      from: from.file,
      to: to.file,
      ...(previous && { previous: previous.file }),
      ...(via && { via }),
      setup,
      offMs,
      bootLoopCycles,
      ...(retry > 0 && { retry }),
      ...(compatible && { compatible: formatCompatibleText(compatible) }),
      seed,
    };

    const started = Date.now();
    out.info(`rig ${config.name}: recording the update (${from.version} -> ${to.version}) and its op log`);
    const session = await SweepSession.open(request, { ...(signal && { signal }) });
    let open = true;
    const close = async () => {
      if (open) await session.close();
      open = false;
    };
    let rec: Recording;
    let results: PointResult[];
    let firsts: PointResult[] | undefined;
    let secondOps = 0;
    try {
      rec = session.recording;
      if (point) return await replayPoint(session, point, context, out);
      const onProgress = progressLine(out, Date.now());
      if (mode.mode === 'double') {
        out.info(`${rec.ops.length} ops; double sweep in ${workers || 1} session(s): first cuts, then second cuts in each recovery`);
        await close();
        const run = await runDoubleSweep(request, mode, { workers, onProgress, ...(signal && { signal }) }).catch((err: unknown) => {
          throw err instanceof DoubleSweepTooLarge ? new UsageError(`--sample: ${err.message}`) : err;
        });
        ({ results, firsts, secondOps } = run);
      } else {
        const points = session.pointsFor(mode);
        out.info(`${rec.ops.length} ops, ${points.length} points, ${workers > 1 ? `up to ${workers} threads (a worker thread joins once the points left are worth its start-up)` : 'in this thread'}`);
        if (workers === 0) results = await inThread(session, points, (done) => onProgress(done, points.length), signal);
        else {
          // This thread's session goes on in the engine (its recording is the sweep's: not made again).
          const onJoin = ({ threads, leftMs }: { threads: number; leftMs?: number }) =>
            out.info(`${threads} worker thread(s) joined${leftMs === undefined ? ' (started by an earlier sweep)' : ` (~${(leftMs / 1000).toFixed(1)} s of points left at this thread's pace)`}`);
          results = (await runSweep(withMode(request, mode), { points, workers, session, onProgress, onJoin, ...(signal && { signal }) })).results;
        }
      }
    } finally {
      await close();
    }
    out.endProgress();
    const seconds = (Date.now() - started) / 1000;
    const modes = ('cut' in mode && mode.cut) || [...SWEEP_CUT_MODES];
    const cutLine = (r: PointResult) => (r.point.second || r.point.atMs !== undefined ? undefined : pointRepro(context, rec, r.point));
    const head = { rig: config.name, scheme: config.scheme, variant: rec.variant, setup, seed, mode: mode.mode, sweep: mode, modes };
    const report: SweepReport = buildReport(head, rec, results, (r) => pointCommand(context, r.point), cutLine, firsts);
    const svg = renderResilienceMap({
      title: `${config.name} (${rec.variant}) ${mode.mode} sweep: ${from.name} -> ${to.name}`,
      ops: rec.ops,
      results: firsts ? [...firsts, ...results] : results,
      ...(firsts && { double: { secondOps } }),
    });
    report.map = writeResilienceMap(MAPS_DIR, mapName(rigFile.name, rec.variant, mode), svg);
    storeFailingRecords(report, failingResults(results, firsts), {
      config,
      images: { from, to, ...(previous && { previous }) },
      setup,
      offMs,
      seed,
      bootLoopCycles,
      ...(retry > 0 && { retry }),
    });
    if (out.json) out.printJson(report);
    else out.data(formatReport(report));
    const total = results.length + (firsts?.length ?? 0);
    out.info(`${total} points in ${seconds.toFixed(1)} s (${Math.round(total / Math.max(seconds, 1e-3))}/s, recording included)`);
    return report.failing.length ? ExitCode.testFailures : ExitCode.ok;
  },
};

/** `--point`: one point recovered on the session's recording, its outcome printed; exit 1 if it fails. */
async function replayPoint(session: SweepSession, point: SweepCutPoint, context: PointCommandContext, out: Output): Promise<number> {
  const rec = session.recording;
  const problem = pointProblem(rec, point);
  if (problem) throw new UsageError(`--point: ${problem}`);
  if (point.second) {
    const recovery = await session.recoveryOf(point);
    const second = secondProblem(recovery.ops, point.second);
    if (second) throw new UsageError(`--point: second cut at op ${point.second.op} ${point.second.mode}: ${second}`);
  }
  const r = await session.recover(point);
  const f = failingPoint(rec, r, pointCommand(context, point));
  const failed = !SWEEP_SAFE.includes(r.outcome);
  if (out.json) out.printJson({ ...f, stateHash: r.stateHash, failed });
  else {
    const second = point.second ? `, then recovery op ${point.second.op} ${point.second.mode}${point.second.fraction !== undefined ? ` ${point.second.fraction}` : ''}` : '';
    out.data(
      [
        `point ${f.point}: op ${point.op} ${point.mode}${point.fraction !== undefined ? ` ${point.fraction}` : ''} (${opWhere(rec, point.op)})${second}`,
        `outcome: ${r.outcome}${failed ? ` (outside ${SWEEP_SAFE.join(' / ')})` : ''}`,
        ...r.reasons.map((reason) => `  - ${reason}`),
        `state: ${r.stateHash}`,
      ].join('\n'),
    );
  }
  return failed ? ExitCode.testFailures : ExitCode.ok;
}
