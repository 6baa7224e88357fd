import { ConfigError } from '../../core/errors.js';
import type { SweepOp, TwinSweep } from '../../drivers/device/twin-sweep.js';
import type { Rig } from '../../rig/rig.js';
import type { SchemeAdapter } from '../../schemes/scheme.js';
import { runCut, type CutResult } from '../cut.js';
import { SETTLED } from '../observe-boot.js';
import type { UpdateImage } from '../update-image.js';

/**
 * How long after the update starts the recording run keeps going: long past the update, the reset
 * that follows it and the bootloader's work (MCUboot's swap takes ~18 s of device time), and the
 * new app's first seconds. Virtual time: an idle device costs a few clock events a minute.
 */
export const RECORD_HORIZON_MS = 600_000;

export interface SweepImages {
  from: UpdateImage;
  to: UpdateImage;
  previous?: UpdateImage;
}

/**
 * The host's own phases of a transfer (the SFU driver's `phase:*` events) as op stages: `update`
 * while it sends an image, `verify` once it has sent all of it (START with its CRC) and waits for
 * the device's check and commit. So a known weakness can accept what a device writes once it holds
 * a whole image and not the same write made while the image still arrives (seed 001's Updater).
 * A multi-stage update's next transfer starts `update` again; other updaters send no such events.
 */
const HOST_PHASE_STAGE: Readonly<Record<string, string>> = {
  'phase:info': 'update',
  'phase:erase': 'update',
  'phase:write': 'update',
  'phase:start': 'verify',
  'phase:sign': 'verify',
  'phase:done': 'verify',
};

/** A product's settled line (`fota: complete ... host=…`), on a merged console (`host| …`) or the host's own. */
function settledLine(text: string): boolean {
  return SETTLED.test(text.trim().replace(/^[a-z][a-z0-9-]*\| ?/, ''));
}

/** One uncut run of an update with its flash op log: what every cut point of a sweep is built from. */
export interface Recording {
  rig: string;
  variant: string;
  setup: string;
  seed: number;
  ops: readonly SweepOp[];
  /** Virtual-clock ms when the update (and the op log) started. */
  updateStartMs: number;
  /** Ops started before the host saw the update finish (a cut at a later op comes after it). */
  opsBeforeUpdateDone?: number;
  /** The host saw the update finish before this virtual-clock time (ms). */
  updateDoneMs?: number;
  /** Ops started before a product's host said it accepted the update (`fota: accepted`; a cut at a later op comes after it). */
  opsBeforeAccepted?: number;
  /** The update's progress reports, in order: where a progress trigger lands among the ops. */
  progress: readonly ProgressMark[];
  /** The device announced the new image as its boot choice (a later rollback is a lost update). */
  committed: boolean;
  /** What the uncut run ended as (normally `updated`). */
  outcome: CutResult['outcome'];
}

/** One progress report of the recorded update, with the ops the device had started by then. */
export interface ProgressMark {
  /** ms after the update started. */
  ms: number;
  acked: number;
  total: number;
  /** Ops started before this report. */
  opsStarted: number;
  /** The op in flight at this report, if any (started and not complete). */
  inFlight?: number;
}

/** A bound on the reports kept (an update reports once per chunk it sends: thousands at most). */
const MAX_PROGRESS_MARKS = 100_000;

export function sweepOf(rig: Rig): TwinSweep {
  if (!rig.twin) throw new ConfigError(`${rig.config.file}: an op sweep needs a twin rig (the op log and cut states are the twin's)`);
  return rig.twin.sweep;
}

/**
 * Runs the update once, uncut, exactly as a cut scenario runs it (runCut itself, with a time
 * trigger far past everything), logging the flash ops from the update's start, through the
 * reset that follows it and the bootloader's work, to the new app's settling. Ops are logged
 * from the same instant a marker trigger starts counting edges, so op k's marker edge is the
 * edge a `marker:` cut at it names.
 */
export async function recordUpdate(rig: Rig, scheme: SchemeAdapter, images: SweepImages, opts: { setup?: string; seed: number; offMs: number; signal?: AbortSignal }): Promise<Recording> {
  const sweep = sweepOf(rig);
  let ops: readonly SweepOp[] | undefined;
  let updateStartMs = 0;
  let opsBeforeUpdateDone: number | undefined;
  let updateDoneMs: number | undefined;
  let opsBeforeAccepted: number | undefined;
  let committed = false;
  const progress: ProgressMark[] = [];
  // The rig's updater, watched: each report the trigger watch would see, placed among the ops.
  const watched: Rig = {
    ...rig,
    updater: {
      update: (image, o) =>
        rig.updater.update(image, {
          ...o,
          onProgress: (p) => {
            const last = progress.at(-1);
            if (progress.length < MAX_PROGRESS_MARKS && (!last || last.acked !== p.acked || last.total !== p.total)) {
              const inFlight = sweep.inFlight();
              progress.push({ ms: rig.clock.now() - updateStartMs, acked: p.acked, total: p.total, opsStarted: sweep.opsStarted(), ...(inFlight !== undefined && { inFlight }) });
            }
            o.onProgress?.(p);
          },
        }),
    },
  };
  // A product's host says when it has settled (nothing pending: the update applied on every member
  // and confirmed, or given up). Its apps keep writing flash after that (the co-processor's log
  // appends), for as long as the recording runs: the op log ends at that line, where the update's
  // work ends. Devices that print no such line are logged to the horizon, as before.
  let started = false;
  let settledInUpdate = false;
  const offLine = rig.console.onLine((line) => {
    if (!started || ops || !settledLine(line.text)) return;
    if (updateDoneMs === undefined) settledInUpdate = true;
    else ops = sweep.stopRecording();
  });
  const off = rig.timeline.subscribe((e) => {
    if (e.source === 'scenario' && e.kind === 'update-start') {
      updateStartMs = e.t;
      started = true;
      sweep.startRecording('update');
    } else if (e.source === 'scenario' && e.kind === 'update-done') {
      opsBeforeUpdateDone = sweep.opsStarted();
      updateDoneMs = e.t;
      committed = e.detail === 'committed';
      sweep.stage('reboot');
      // The updater finished at the settled line (`fota: complete`): nothing of the update's is left.
      if (settledInUpdate && !ops) ops = sweep.stopRecording();
    } else if (e.source === 'updater' && e.kind === 'fota-accepted' && opsBeforeAccepted === undefined) {
      opsBeforeAccepted = sweep.opsStarted();
    } else if (e.source === 'updater' && updateDoneMs === undefined && HOST_PHASE_STAGE[e.kind] !== undefined) {
      sweep.stage(HOST_PHASE_STAGE[e.kind]!);
    } else if (e.source === 'cut' && e.kind === 'fire' && !ops) ops = sweep.stopRecording();
  });
  let result: CutResult;
  try {
    result = await runCut(
      watched,
      scheme,
      images,
      { trigger: { kind: 'after', ms: RECORD_HORIZON_MS }, offMs: opts.offMs, seed: opts.seed, ...(opts.setup !== undefined && { setup: opts.setup }) },
      { ...(opts.signal && { signal: opts.signal }) },
    );
  } finally {
    off();
    offLine();
    if (!ops) ops = sweep.stopRecording();
  }
  if (result.outcome === 'rig-error') throw new Error(`recording the update on ${rig.name} failed: ${result.rigError}`);
  return {
    rig: rig.name,
    variant: rig.twin!.variant,
    setup: opts.setup ?? scheme.setups[0]!,
    seed: opts.seed,
    ops,
    updateStartMs,
    progress,
    ...(opsBeforeUpdateDone !== undefined && { opsBeforeUpdateDone }),
    ...(updateDoneMs !== undefined && { updateDoneMs }),
    ...(opsBeforeAccepted !== undefined && { opsBeforeAccepted }),
    committed,
    outcome: result.outcome,
  };
}
