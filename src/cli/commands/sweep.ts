import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../../core/errors.js';
import { limits, loadRig, withTwinOverrides } from '../../config/index.js';
import { twinOverridesFrom } from './cut-twin.js';
import { loadUpdateImage } from '../../scenario/update-image.js';
import { defaultWorkers, runSweep } from '../../scenario/sweep/engine.js';
import { SWEEP_CUT_MODES, type SweepCutMode, type SweepCutPoint } from '../../scenario/sweep/points.js';
import type { PointResult } from '../../scenario/sweep/recover.js';
import type { Recording } from '../../scenario/sweep/recording.js';
import { SweepSession, type SweepRequest } from '../../scenario/sweep/session.js';
import { schemeAdapter } from '../../schemes/registry.js';
import { setupOption } from '../setup-option.js';
import { numberOption, requireOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { buildReport, formatReport } from './sweep-report.js';
import { pointRepro } from './sweep-repro.js';
import { sweepHelp } from './sweep.help.js';

const MAX_WORKERS = 64;

function parseModes(raw: unknown): SweepCutMode[] {
  if (raw === undefined) return [...SWEEP_CUT_MODES];
  const words = String(raw)
    .split(',')
    .map((w) => w.trim());
  const bad = words.filter((w) => !(SWEEP_CUT_MODES as readonly string[]).includes(w));
  if (!words.length || bad.length || words.some((w) => w === '')) {
    throw new UsageError(`--modes: expected a comma-separated list of ${SWEEP_CUT_MODES.join(', ')}, got ${JSON.stringify(String(raw))}`);
  }
  // In the engine's order, each once: the summary and the JSON list modes the same way whatever the order typed.
  return SWEEP_CUT_MODES.filter((m) => words.includes(m));
}

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

export const sweepCommand: Command = {
  ...sweepHelp,
  async run({ values, out, signal }) {
    const rigName = requireOption(values, 'rig', this);
    const fromArg = requireOption(values, 'from', this);
    const toArg = requireOption(values, 'to', this);
    const mode = (values.mode as string | undefined) ?? 'every-op';
    if (mode !== 'every-op') throw new UsageError(`--mode: only every-op is built so far (range, random and double sweeps are not), got ${JSON.stringify(mode)}`);
    const modes = parseModes(values.modes);
    const workers = numberOption(values, 'workers', defaultWorkers(), { integer: true, min: 0, max: MAX_WORKERS });
    const rigFile = await loadRig(rigName);
    if (!rigFile.twin) throw new UsageError(`--rig: ${rigFile.name} is a bench rig, and a bench sweep is not built yet: hil sweep runs on twin rigs (on the bench, use hil cut or a suite)`);
    // The power-loss mode is the sweep's own (each mode sets it per point): only the variant is taken.
    const overrides = twinOverridesFrom({ variant: values.variant }, rigFile);
    const config = withTwinOverrides(rigFile, overrides, '--variant');
    const seed = numberOption(values, 'seed', config.twin!.seed ?? 1, { integer: true, min: 0, max: limits.MAX_SEED });
    const bootLoopCycles = numberOption(values, 'boot-loop-cycles', 0, { integer: true, min: 0, max: limits.MAX_BOOT_LOOP_CYCLES });
    const scheme = await schemeAdapter(config.scheme);
    const setup = setupOption(scheme, values);
    // Loaded here so a bad image is a usage error before any recording or worker starts.
    const from = await loadUpdateImage(resolve(fromArg), config.scheme);
    const to = await loadUpdateImage(resolve(toArg), config.scheme);
    const previous = values.previous ? await loadUpdateImage(resolve(values.previous as string), config.scheme) : undefined;
    const request: SweepRequest = {
      rig: config.file,
      ...(overrides.variant !== undefined && { twin: { variant: overrides.variant } }),
      images: { from: from.file, to: to.file, ...(previous && { previous: previous.file }) },
      setup,
      seed,
      ...(bootLoopCycles > 0 && { bootLoopCycles }),
    };

    const started = Date.now();
    out.info(`rig ${config.name}: recording the update (${from.version} -> ${to.version}) and its op log`);
    const session = await SweepSession.open(request, { ...(signal && { signal }) });
    let rec: Recording;
    let points: SweepCutPoint[];
    let results: PointResult[];
    let open = true;
    const close = async () => {
      if (open) await session.close();
      open = false;
    };
    try {
      rec = session.recording;
      points = session.everyOp(modes);
      out.info(`${rec.ops.length} ops, ${points.length} points on ${workers || 'no'} worker thread(s)`);
      const onProgress = progressLine(out, Date.now());
      if (workers === 0) results = await inThread(session, points, (done) => onProgress(done, points.length), signal);
      else {
        // The workers record their own (once each); this thread's twin is not needed while they run.
        await close();
        results = (await runSweep(request, { points, workers, onProgress, ...(signal && { signal }) })).results;
      }
    } finally {
      await close();
    }
    out.endProgress();
    const seconds = (Date.now() - started) / 1000;
    const context = { rig: config.file, twin: config.twin, from: from.file, to: to.file, ...(previous && { previous: previous.file }), setup, offMs: config.power.offMs, bootLoopCycles };
    const report = buildReport({ rig: config.name, scheme: config.scheme, variant: rec.variant, setup, seed, mode: 'every-op', modes }, rec, results, (r) => pointRepro(context, rec, r.point));
    if (out.json) out.printJson(report);
    else out.data(formatReport(report));
    out.info(`${results.length} points in ${seconds.toFixed(1)} s (${Math.round(results.length / Math.max(seconds, 1e-3))}/s, recording included)`);
    return report.failing.length ? ExitCode.testFailures : ExitCode.ok;
  },
};
