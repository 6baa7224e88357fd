/**
 * Runs one cut through the states of states.ts, one handler each, over one shared context: each
 * handler's run() ends with a transition (or an event made one: the trigger firing during the
 * update); the machine stops at a final state and returns its result.
 */
import type { CutResult } from '../cut.js';
import type { CutContext } from './context.js';
import { FinalState } from './final-states.js';
import { ArmedState } from './state-armed.js';
import { BaselineState } from './state-baseline.js';
import { PowerCutState } from './state-cut.js';
import { LoopCheckState } from './state-loop-check.js';
import { RecoveringState } from './state-recovering.js';
import { RetryingState } from './state-retrying.js';
import { UpdatingState } from './state-updating.js';
import type { CutState, StateHandler } from './states.js';

/** One handler per state, over one shared context. */
export function cutStateHandlers(ctx: CutContext): Readonly<Record<CutState, StateHandler>> {
  return {
    baseline: new BaselineState(ctx),
    updating: new UpdatingState(ctx),
    armed: new ArmedState(ctx),
    cut: new PowerCutState(ctx),
    recovering: new RecoveringState(ctx),
    retrying: new RetryingState(ctx),
    'loop-check': new LoopCheckState(ctx),
    judged: new FinalState('judged'),
    'rig-error': new FinalState('rig-error'),
  };
}

export async function runCutMachine(ctx: CutContext): Promise<CutResult> {
  ctx.bind(cutStateHandlers(ctx));
  try {
    ctx.begin();
    while (!ctx.final) {
      const state = ctx.state;
      // A transition that fails in the trigger's callback (outside any flow) ends the machine too.
      await Promise.race([ctx.handler.run(), ctx.broken]);
      if (ctx.state === state) throw new Error(`cut scenario: the ${state} state ended without a transition`);
    }
    if (!ctx.result) throw new Error(`cut scenario: the ${ctx.state} state was entered without a result`);
    return ctx.result;
  } catch (err) {
    if (ctx.signal?.aborted) {
      // Ctrl-C: whatever the state (power off mid-cut, a target powered for the probe), leave the rig safe.
      ctx.rig.timeline.add('scenario', 'aborted', `in the ${ctx.state} state`);
      ctx.close();
      await ctx.rig.safe();
    }
    throw err;
  } finally {
    ctx.close();
  }
}
