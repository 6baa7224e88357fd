/**
 * Replaying a repro record: a cut goes through `hil cut`'s own path (cut-once.ts) on the recorded
 * rig with the recorded twin settings; a sweep point goes through the sweep engine on that single
 * point. Each replay returns the same small shape, so `hil repro` can count and print them alike.
 */
import { existsSync } from 'node:fs';
import { parseCompatibleText, type CompatibleSet } from '../../config/version-pattern.js';
import { resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { displayFile } from '../../config/errors.js';
import { loadRig, parseTrigger, withTwinOverrides, type RigConfig, type TwinOverrides } from '../../config/index.js';
import type { ReproRecord, ReproSweepPoint } from '../../report/repro-record.js';
import type { CutSpec } from '../../scenario/cut.js';
import { runSweep } from '../../scenario/sweep/engine.js';
import type { SweepCutPoint } from '../../scenario/sweep/points.js';
import type { SweepRequest } from '../../scenario/sweep/session.js';
import { loadUpdateImage } from '../../scenario/update-image.js';
import { schemeAdapter, schemeSetup, type SchemeAdapter } from '../../schemes/registry.js';
import type { Output } from '../output.js';
import { consoleTail } from '../../report/cut-summary.js';
import { cutOnce, type OneCut } from './cut-once.js';
import { POWER_LOSS_MODES } from './cut-twin.js';
import { baseDirs, type ResolvedImages } from './repro-images.js';

export interface ReplayRun {
  outcome: string;
  agree?: boolean;
  reasons: string[];
  /** The last console lines (none for a sweep point: the engine judges from flash). */
  console: string[];
  rigError?: string;
}

export interface Replayer {
  /** What runs, for the header line. */
  describe: string;
  /** The full `hil cut` line (cuts only). */
  cutLine?: string;
  run(ctx: { out: Output; signal?: AbortSignal }): Promise<ReplayRun>;
}

/** The recorded rig file, from the working directory or the results' project; else the rig of that name in rigs/. */
async function recordRig(record: ReproRecord, where: string, resultFile: string | undefined): Promise<RigConfig> {
  for (const base of baseDirs(resultFile)) {
    const file = resolve(base, record.rig.file);
    if (existsSync(file)) return loadRig(file);
  }
  const name = record.rig.name.replace(/\[.*\]$/, '');
  if (existsSync(resolve('rigs', `${name}.yaml`))) return loadRig(name);
  throw new ConfigError(`${where}: the rig file ${record.rig.file} is gone (and there is no rigs/${name}.yaml)`);
}

/** The rig as it was: the recorded variant, power-loss mode and time factor over whatever the rig file says today. */
function asRecorded(rig: RigConfig, record: ReproRecord, where: string): RigConfig {
  if (!record.twin) {
    if (rig.twin) throw new ConfigError(`${where}: the result was made on a bench rig, and ${displayFile(rig.file)} is now a twin rig`);
    return rig;
  }
  if (!rig.twin) throw new ConfigError(`${where}: the result was made on a twin, and ${displayFile(rig.file)} is now a bench rig`);
  const { variant, powerLoss, timeFactor } = record.twin;
  if (!(POWER_LOSS_MODES as readonly string[]).includes(powerLoss)) throw new ConfigError(`${where}: twin.powerLoss ${JSON.stringify(powerLoss)} is not one of ${POWER_LOSS_MODES.join(', ')}`);
  const overrides: TwinOverrides = {
    ...(variant !== rig.twin.variant && { variant }),
    ...(powerLoss !== rig.twin.powerLoss && { powerLoss: powerLoss as NonNullable<TwinOverrides['powerLoss']> }),
  };
  const config = withTwinOverrides(rig, overrides, where);
  return { ...config, twin: { ...config.twin!, timeFactor } };
}

async function loadImages(images: ResolvedImages, scheme: string): Promise<OneCut['images']> {
  const from = await loadUpdateImage(images.from.file, scheme);
  const to = await loadUpdateImage(
    images.to.file,
    scheme,
    images.via?.map((i) => i.file),
  );
  const previous = images.previous ? await loadUpdateImage(images.previous.file, scheme) : undefined;
  return { from, to, ...(previous && { previous }) };
}

function setupOf(scheme: SchemeAdapter, record: ReproRecord, where: string): string {
  return schemeSetup(scheme, record.setup, where);
}

export async function cutReplayer(record: ReproRecord, images: ResolvedImages, where: string, resultFile?: string): Promise<Replayer> {
  const rigFile = await recordRig(record, where, resultFile);
  const config = asRecorded(rigFile, record, where);
  const scheme = await schemeAdapter(config.scheme);
  let trigger;
  try {
    trigger = parseTrigger(record.trigger as string);
  } catch (err) {
    throw new ConfigError(`${where}: trigger: ${(err as Error).message}`);
  }
  const spec: CutSpec = {
    trigger,
    offMs: record.offMs,
    seed: record.seed,
    bootLoopCycles: record.bootLoopCycles ?? 0,
    setup: setupOf(scheme, record, where),
    ...(record.secondMs !== undefined && { second: record.secondMs }),
    ...(record.retry ? { retry: record.retry } : {}),
    ...(record.compatible !== undefined && { compatible: recordCompatible(record.compatible, where) }),
  };
  const loaded = await loadImages(images, config.scheme);
  let cutLine: string | undefined;
  return {
    describe: `cut ${record.trigger}${record.secondMs !== undefined ? ` + ${record.secondMs} ms into recovery` : ''} on ${config.name}, off ${record.offMs} ms, seed ${record.seed}${record.retry ? `, retry ${record.retry}` : ''}`,
    get cutLine() {
      return cutLine;
    },
    async run(ctx) {
      const { result, repro } = await cutOnce({ config, scheme, images: loaded, spec, ...(rigFile.twin && { fileTwin: rigFile.twin }) }, ctx);
      cutLine = repro;
      return {
        outcome: result.outcome,
        ...(result.verdict && { agree: result.verdict.agree }),
        reasons: result.verdict?.reasons ?? [],
        console: consoleTail(result.transcript),
        ...(result.rigError && { rigError: result.rigError }),
      };
    },
  };
}

/** A record's version sets, read back as `hil cut --compatible` reads them. */
function recordCompatible(text: string, where: string): CompatibleSet[] {
  try {
    return parseCompatibleText(text);
  } catch (err) {
    throw new ConfigError(`${where}: compatible: ${(err as Error).message}`);
  }
}

/** The point as the engine takes it (MODES' `second` and `atMs` carried when the record has them). */
function enginePoint(p: ReproSweepPoint): SweepCutPoint {
  return { ...p } as unknown as SweepCutPoint;
}

export async function sweepPointReplayer(record: ReproRecord, images: ResolvedImages, where: string, resultFile?: string): Promise<Replayer> {
  const rig = await recordRig(record, where, resultFile);
  if (!rig.twin) throw new ConfigError(`${where}: a sweep point replays on a twin rig, and ${displayFile(rig.file)} is a bench rig`);
  const scheme = await schemeAdapter(rig.scheme);
  const point = record.trigger as ReproSweepPoint;
  // The sweep sets the power-loss mode per point (before: skip, after: complete, torn: torn): only the variant is the record's.
  const variant = record.twin?.variant;
  const request: SweepRequest = {
    rig: rig.file,
    ...(variant !== undefined && variant !== rig.twin.variant && { twin: { variant } }),
    images: { from: images.from.file, to: images.to.file, ...(images.previous && { previous: images.previous.file }), ...(images.via && { via: images.via.map((i) => i.file) }) },
    setup: setupOf(scheme, record, where),
    seed: record.seed,
    offMs: record.offMs,
    ...(record.bootLoopCycles ? { bootLoopCycles: record.bootLoopCycles } : {}),
    ...(record.retry ? { retry: record.retry } : {}),
    ...(record.compatible !== undefined && { compatible: recordCompatible(record.compatible, where) }),
  };
  const fraction = point.fraction !== undefined ? ` ${point.fraction.toFixed(3)}` : '';
  const second = point.second ? `, then op ${point.second.op} ${point.second.mode}${point.second.fraction !== undefined ? ` ${point.second.fraction.toFixed(3)}` : ''} of its recovery` : '';
  return {
    describe: `sweep point: op ${point.op} ${point.mode}${fraction}${second} on ${rig.name}${variant && variant !== 'correct' ? ` (variant ${variant})` : ''}, sweep seed ${record.seed}`,
    async run(ctx) {
      // Workers 0: one point does not pay for a thread; the session is opened afresh each time, so
      // no recovery is shared with an earlier replay.
      let run;
      try {
        run = await runSweep(request, { points: [enginePoint(point)], workers: 0, ...(ctx.signal && { signal: ctx.signal }) });
      } catch (err) {
        // The recording of these images has no such op: the record belongs to another update (or hilrig's op log changed).
        if (err instanceof RangeError) throw new ConfigError(`${where}: the sweep point does not exist in this update's recording: ${err.message}`);
        throw err;
      }
      const r = run.results[0];
      if (!r) throw new ConfigError(`${where}: the sweep engine returned no result for op ${point.op} (the update has ${run.ops.length} ops)`);
      return { outcome: r.outcome, reasons: r.reasons, console: [] };
    },
  };
}
