/**
 * armed: the update is over and the trigger has not fired yet. A time trigger always fires (it
 * may be far off: Ctrl-C ends the wait); a progress trigger cannot advance any more; a console or
 * marker trigger gets until the boot timeout. An update the device refused is cut now all the same
 * (what it does at the next power cycle is still the question); otherwise the trigger never fired,
 * which is the rig's problem, not a device result.
 */
import { untilAborted } from './until-aborted.js';
import type { CutContext } from './context.js';
import type { StateHandler } from './states.js';

export class ArmedState implements StateHandler {
  readonly state = 'armed' as const;

  constructor(private readonly ctx: CutContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { rig, spec, update, progress } = ctx;
    const grace = spec.trigger.kind === 'after' ? Number.POSITIVE_INFINITY : spec.trigger.kind === 'progress' ? 0 : rig.config.boot.timeoutMs;
    const timer = Number.isFinite(grace) ? rig.clock.setTimer(grace, () => ctx.giveUpWaiting()) : undefined;
    try {
      await untilAborted(ctx.armedWake, ctx.signal);
    } finally {
      timer?.cancel();
    }
    if (ctx.state !== 'armed') return;
    if (update.error) {
      rig.timeline.add('cut', 'forced', 'the update failed before the trigger was met');
      ctx.watch!.forceFire();
      return;
    }
    ctx.rigError(`trigger ${ctx.base.trigger} never fired (update ${update.finished ? 'finished' : 'stopped'} at ${progress.acked} of ${progress.total} bytes)`);
  }
}
