import { ConfigError } from '../core/errors.js';
import type { Trigger } from '../config/trigger.js';
import type { Outcome } from '../config/vocabulary.js';
import type { Rig } from '../rig/rig.js';
import type { BootObservation } from './observe-boot.js';
import type { FlashView, SchemeAdapter } from '../schemes/scheme.js';
import type { FirePoint } from './trigger-watch.js';
import type { UpdateImage } from './update-image.js';
import type { Verdict } from './verdict.js';
import type { CompatibleSet } from '../config/version-pattern.js';
import { CutContext } from './cut/context.js';
import { runCutMachine } from './cut/machine.js';

export { CUT_STATES, CUT_TRANSITIONS, type CutState } from './cut/states.js';

export interface CutSpec {
  trigger: Trigger;
  offMs: number;
  seed: number;
  /** Extra plain power cycles after recovery that must keep the same image running. */
  bootLoopCycles?: number;
  /** A second cut this many ms after power returns (during the recovery itself). */
  second?: number;
  /** The scheme's baseline setup (suite `setup:`); default: the scheme's first. */
  setup?: string;
  /**
   * Retries of the same update after the recovery, while the device is reachable but not updated
   * (waiting or rolled-back): a suite's `retry: N`. Default 0.
   */
  retry?: number;
  /** A product's supported version sets (a suite's `compatible:`); absent: only the from and to sets. */
  compatible?: readonly CompatibleSet[];
}

/** One retry of the update after the recovery (cut/state-retrying.ts), and what the device did then. */
export interface RetryResult {
  /** 1 for the first retry. */
  attempt: number;
  /** Judged after this retry. */
  outcome: Outcome;
  update: { finished: boolean; committed: boolean; acked: number; total: number };
  /**
   * Why the retry's update did not finish, when the device refused it (rejected, reset, timed
   * out): the device is judged as it is afterwards. A rig failure ends the cut as a rig error.
   */
  error?: string;
  verdict?: Verdict;
  observation?: BootObservation;
  /** Clock ms from the scenario's start to this retry's judgement. */
  atMs: number;
}

export interface CutResult {
  rig: string;
  variant?: string;
  trigger: string;
  offMs: number;
  seed: number;
  fired?: FirePoint & { devicePhase?: string };
  /** The second cut, when the spec asked for one: ms after power returned, and the device phase then. */
  secondCut?: { afterMs: number; devicePhase?: string };
  /** The final outcome: after the last retry, when there were retries. */
  outcome: Outcome;
  /** The outcome judged right after the cut's recovery, when retries followed it. */
  firstOutcome?: Outcome;
  /** The recovery's own verdict, when retries followed it (`verdict` is then the last retry's). */
  firstVerdict?: Verdict;
  /** Each retry of the update, in order (only when the spec asked for retries and one was made). */
  retries?: RetryResult[];
  /** The final verdict, observation and flash: the last retry's when there were retries. */
  verdict?: Verdict;
  observation?: BootObservation;
  flash?: FlashView;
  update: { finished: boolean; committed: boolean; error?: string; acked: number; total: number };
  /** What went wrong with the rig, when the outcome is rig-error. */
  rigError?: string;
  transcript: string;
  timeline: string;
  /** Clock ms the whole scenario took (virtual on an in-process twin). */
  clockMs: number;
}

/**
 * One brownout scenario: baseline (image A running), update to B, cut when the trigger fires,
 * power back after offMs, wait for the device, judge from console and flash. The steps are the
 * states of an explicit machine (cut/states.ts), each on the rig's timeline as `scenario step:<state>`.
 * An abort (opts.signal) stops it in any state, a probe baseline included (a running openocd is
 * killed): the rig is left in its safe state and the promise rejects with the abort's reason.
 */
export async function runCut(
  rig: Rig,
  scheme: SchemeAdapter,
  images: { from: UpdateImage; to: UpdateImage; previous?: UpdateImage },
  spec: CutSpec,
  opts: { signal?: AbortSignal } = {},
): Promise<CutResult> {
  const { from, to } = images;
  if (!from.version || !to.version) throw new ConfigError(`${(from.version ? to : from).file}: image carries no app info block, so its banner cannot be recognised`);
  if (from.version === to.version) throw new ConfigError(`${from.file} and ${to.file} have the same version ${from.version}: an update could not be told from a rollback`);
  rig.timeline.clear();
  return runCutMachine(new CutContext(rig, scheme, images, spec, opts.signal));
}
