/**
 * rig.cut()'s options turned into what runCut takes (a CutSpec and loaded images) and the line that
 * replays the cut, with the rig's defaults filled in. Needs no open rig: a rig that could not open
 * still gets a recorded cut with its repro line (./unopened-session.ts).
 */
import { ConfigError } from '../core/errors.js';
import { parseTrigger, type RigConfig, type Trigger } from '../config/index.js';
import type { CutResult, CutSpec } from '../scenario/cut.js';
import { viaFiles, type UpdateImage } from '../scenario/update-image.js';
import { schemeSetup, type SchemeAdapter } from '../schemes/registry.js';
import { reproCommand, reproTwin } from '../report/cut-summary.js';
import type { CompatibleSet } from '../config/version-pattern.js';

export interface CutOptions {
  /** Image running before the update: a file (read as the rig's scheme reads it), or an image already loaded. */
  from: string | UpdateImage;
  /** Image sent by the update that gets cut. */
  to: string | UpdateImage;
  /** An older image for the other slot (MCUboot revert cases). */
  previous?: string | UpdateImage;
  /** Where to cut: `progress:37%`, `after:1.2s`, `console:/Erasing/`, ... or a parsed Trigger. */
  trigger: string | Trigger;
  /** How long power stays off (default: the rig's power.offMs). */
  offMs?: number;
  /** Twin randomness (power-loss choice, torn bits); default: the rig's twin.seed or 1. */
  seed?: number;
  /** The scheme's baseline setup; default its first. */
  setup?: string;
  /** Extra power cycles after recovery that must keep the same image running. */
  bootLoopCycles?: number;
  /** A second cut this many ms after power returns from the first (during the recovery itself). */
  second?: number;
  /** Retries of the same update after the recovery while the device is waiting or rolled-back (a suite's `retry:`). */
  retry?: number;
  /** A product's supported version sets (a suite's `compatible:`); default: only the from and the to set. */
  compatible?: readonly CompatibleSet[];
  /**
   * Whether this cut's result gets the console transcript and event timeline attachments (excerpts
   * around the cut: ./excerpt.ts). Default: always. The YAML runner keeps them for the cuts an
   * engineer opens (failed, broken, or catching a seeded bug): a report of thousands of passing cuts
   * stays small, and any cut's whole console is one repro line away.
   */
  details?: (result: CutResult) => boolean;
  /**
   * The outcomes the test expects, for the steps' colours: the console's, the flash's and the
   * verdict's step turn red (failed) when the cut does not end in one of these and the source
   * said something other than what it ended in. Default: updated, rolled-back. `false`: the steps
   * only report (a seeded-bug rig's cuts, which the suite judges as a whole).
   */
  expect?: readonly string[] | false;
}

export interface CutPlan {
  spec: CutSpec;
  images: { from: UpdateImage; to: UpdateImage; previous?: UpdateImage };
  /** `hil cut ...` that replays this cut. */
  repro: string;
}

/** A trigger as a test writes it; a bad one is a config error (exit code 2), like in a suite. */
function triggerOf(text: string, rigFile: string): Trigger {
  try {
    return parseTrigger(text);
  } catch (err) {
    throw new ConfigError(`rig.cut() on ${rigFile}: ${(err as Error).message}`);
  }
}

export async function planCut(config: RigConfig, scheme: SchemeAdapter, o: CutOptions, image: (f: string | UpdateImage) => Promise<UpdateImage>): Promise<CutPlan> {
  const trigger = typeof o.trigger === 'string' ? triggerOf(o.trigger, config.file) : o.trigger;
  const setup = schemeSetup(scheme, o.setup, `${config.file}: rig.cut()`);
  const spec: CutSpec = {
    trigger,
    offMs: o.offMs ?? config.power.offMs,
    seed: o.seed ?? config.twin?.seed ?? 1,
    setup,
    ...(o.bootLoopCycles !== undefined && { bootLoopCycles: o.bootLoopCycles }),
    ...(o.second !== undefined && { second: o.second }),
    ...(o.retry ? { retry: o.retry } : {}),
    ...(o.compatible && { compatible: o.compatible }),
  };
  const [from, to, previous] = await Promise.all([image(o.from), image(o.to), o.previous ? image(o.previous) : undefined]);
  const repro = reproCommand({
    rig: config.file,
    twin: reproTwin(config.twin),
    from: from.file,
    to: to.file,
    ...(previous && { previous: previous.file }),
    ...(viaFiles(to) && { via: viaFiles(to)! }),
    ...spec,
  });
  return { spec, images: { from, to, ...(previous && { previous }) }, repro };
}
