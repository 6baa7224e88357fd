/**
 * A cut that the rig, not the device, made impossible: its CutResult (outcome `rig-error`, with the
 * reason) travels with the error, so a caller that records every cut (the YAML suite runner) can
 * record this one too, while a plain test just sees a RigError (Allure `broken`, exit code 3).
 */
import { RigError } from '../core/errors.js';
import type { CutResult } from '../scenario/cut.js';

/** What rig.cut() returns: runCut's result and the one-line command that replays it. */
export type RigCutResult = CutResult & { repro: string };

export class RigCutError extends RigError {
  constructor(
    message: string,
    readonly result: RigCutResult,
  ) {
    super(message);
  }
}
