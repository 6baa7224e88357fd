/**
 * The brownout scenario (runCut) as an explicit state machine, in the shape of the SFU upload's
 * phases (drivers/updater/sfu/phases.ts): named states, one handler per state (state-*.ts), every
 * transition checked against CUT_TRANSITIONS and put on the rig's timeline as `scenario step:<state>`.
 *
 *   baseline   --image A runs on the device-->                   updating
 *   baseline   --the rig could not provision it-->               rig-error
 *   updating   --the trigger fired (the update is cut short)-->  cut
 *   updating   --update over, the trigger not met yet-->         armed
 *   updating   --the update path failed on the rig's side-->     rig-error
 *   armed      --the trigger fired, or was forced (refused)-->   cut
 *   armed      --the trigger can no longer fire-->               rig-error
 *   cut        --power is back-->                                recovering
 *   recovering --`second` ms later (the spec's second cut)-->    cut
 *   recovering --judged waiting/rolled-back, retries asked for--> retrying
 *   recovering --judged, extra power cycles asked for-->         loop-check
 *   recovering --judged-->                                       judged
 *   retrying   --retried, extra power cycles asked for-->       loop-check
 *   retrying   --retried until updated, or N times-->           judged
 *   retrying   --the retry's update failed on the rig's side-->  rig-error
 *   loop-check --cycles done, or another image came up-->        judged
 *
 * The states follow the rig, not the code: the trigger's callback makes the transition into cut at
 * the moment it fires (power goes off then, while the updater is still being stopped), and cut
 * hands over to recovering the moment power returns.
 *
 * retrying is what an OTA agent does after a failed update (the spec's `retry: N`): a device that
 * recovered reachable but not on the new image (waiting in its bootloader, or back on the old
 * image) gets the same update again over the same path, with power left alone, and is judged
 * again; up to N times within the one state (each attempt on the timeline as `scenario retry`),
 * stopping once the outcome is no longer waiting/rolled-back. The boot-loop check, when asked for, runs
 * on the state the last retry left.
 *
 * judged and rig-error are final: each carries the CutResult. An abort (Ctrl-C) is not a state: it
 * ends the scenario from whichever state it reaches, leaving the rig in its safe state.
 */
export type CutState = 'baseline' | 'updating' | 'armed' | 'cut' | 'recovering' | 'retrying' | 'loop-check' | 'judged' | 'rig-error';

/** The states in the order a cut that uses all of them goes through them. */
export const CUT_STATES: readonly CutState[] = ['baseline', 'updating', 'armed', 'cut', 'recovering', 'retrying', 'loop-check', 'judged', 'rig-error'];

/** Where each state may go next; a state with nowhere to go is final. */
export const CUT_TRANSITIONS: Readonly<Record<CutState, readonly CutState[]>> = {
  baseline: ['updating', 'rig-error'],
  updating: ['cut', 'armed', 'rig-error'],
  armed: ['cut', 'rig-error'],
  cut: ['recovering'],
  recovering: ['cut', 'retrying', 'loop-check', 'judged'],
  retrying: ['loop-check', 'judged', 'rig-error'],
  'loop-check': ['judged'],
  judged: [],
  'rig-error': [],
};

export function isFinal(state: CutState): boolean {
  return CUT_TRANSITIONS[state].length === 0;
}

/** Thrown for a transition the table does not have: a programming error, never a device result. */
export class CutTransitionError extends Error {
  constructor(from: CutState, to: CutState) {
    super(`cut scenario: no transition from the ${from} state to ${to} (allowed: ${CUT_TRANSITIONS[from].join(', ') || 'none, it is final'})`);
    this.name = 'CutTransitionError';
  }
}

export interface StateHandler {
  readonly state: CutState;
  /**
   * Runs at the transition into the state, synchronously with it: the cut's power-off happens at
   * the trigger's own moment, not when the update's flow gets round to it.
   */
  enter?(): void;
  /** The state's flow: waits, acts, and ends with a transition (unless an event already made one). */
  run(): Promise<void>;
}
