/** judged and rig-error: final states. The transition into them carries the CutResult; there is nothing left to run. */
import type { CutState, StateHandler } from './states.js';

export class FinalState implements StateHandler {
  constructor(readonly state: Extract<CutState, 'judged' | 'rig-error'>) {}

  async run(): Promise<void> {
    throw new Error(`cut scenario: the ${this.state} state is final; nothing runs in it`);
  }
}
