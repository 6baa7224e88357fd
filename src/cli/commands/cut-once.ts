/**
 * One cut on a rig, as `hil cut` makes it: open the rig, run the scenario (its steps on stderr
 * with -v), put the rig back in its safe state, and the line that replays it. `hil repro` replays
 * a recorded cut through this same path, so a repro is exactly a `hil cut`.
 */
import type { RigConfig } from '../../config/index.js';
import { openRig } from '../../rig/open-rig.js';
import { runCut, type CutResult, type CutSpec } from '../../scenario/cut.js';
import type { SchemeAdapter } from '../../schemes/registry.js';
import { viaFiles, type UpdateImage } from '../../scenario/update-image.js';
import { reproCommand, reproTwin, type ReproTwin } from '../../report/cut-summary.js';
import { ExitCode } from '../../core/errors.js';
import type { Output } from '../output.js';

/** The outcomes `hil cut` accepts (a suite's default expect.safe). */
export const CUT_SAFE: readonly string[] = ['updated', 'rolled-back'];

export interface OneCut {
  config: RigConfig;
  scheme: SchemeAdapter;
  images: { from: UpdateImage; to: UpdateImage; previous?: UpdateImage };
  spec: CutSpec;
  /** The rig file's own twin section (before --variant / --power-loss): the repro line names what differs from it. */
  fileTwin?: ReproTwin;
}

export async function cutOnce(c: OneCut, ctx: { out: Output; signal?: AbortSignal }): Promise<{ result: CutResult; repro: string }> {
  const { config, scheme, images, spec } = c;
  const { out, signal } = ctx;
  const rig = await openRig(config);
  let result: CutResult;
  // -v: the scenario's steps as they happen (baseline, update start/done, the cut), so a person
  // or a script watching stderr knows where a long cut is.
  const unsubscribe =
    out.level >= 2 ? rig.timeline.subscribe((e) => (e.source === 'scenario' || e.source === 'cut' ? out.verbose(`${e.source} ${e.kind}${e.detail ? `: ${e.detail}` : ''}`) : undefined)) : undefined;
  try {
    result = await runCut(rig, scheme, images, spec, { ...(signal && { signal }) });
  } finally {
    unsubscribe?.();
    await rig.close();
  }
  const { from, to, previous } = images;
  const repro = reproCommand({
    rig: config.file,
    twin: reproTwin(config.twin, c.fileTwin),
    from: from.file,
    to: to.file,
    ...(previous && { previous: previous.file }),
    ...(viaFiles(to) && { via: viaFiles(to)! }),
    ...spec,
  });
  return { result, repro };
}

/** `hil cut`'s exit code for a result: 3 for a rig error, 1 for an unsafe outcome or disagreeing sources. */
export function cutExitCode(result: CutResult): number {
  if (result.outcome === 'rig-error') return ExitCode.rigUnavailable;
  return CUT_SAFE.includes(result.outcome) && result.verdict?.agree !== false ? ExitCode.ok : ExitCode.testFailures;
}
