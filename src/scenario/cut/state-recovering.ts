/**
 * recovering: power is back and the device recovers (a resumed swap, a repair, a rollback or the
 * new image's first boot). The spec's second cut lands here, `second` ms after power returned.
 * Then the device is watched on the console until it settles, the flash is read through the probe
 * where there is one, and both are judged. A device left reachable but not updated is retried
 * when the spec asks for it (./state-retrying.ts).
 */
import { observeBoot } from '../observe-boot.js';
import { lastPhaseBefore, type CutContext } from './context.js';
import { acceptedBeforeCut, judgeDevice } from './judge-device.js';
import { shouldRetry } from './retry-policy.js';
import type { StateHandler } from './states.js';

export class RecoveringState implements StateHandler {
  readonly state = 'recovering' as const;

  constructor(private readonly ctx: CutContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { rig, spec, signal } = ctx;
    const { clock, console } = rig;
    if (spec.second !== undefined && ctx.cuts === 1) {
      await clock.sleep(spec.second, signal);
      ctx.enter('cut');
      return;
    }
    // The updater stopped at the cut; it must have let go of the console before the boot is read.
    await ctx.updateEnded;
    signal?.throwIfAborted();
    ctx.devicePhase = lastPhaseBefore(rig, ctx.fired!.t);
    const observation = await observeBoot(console, clock, { fromLine: ctx.fromLine, timeoutMs: rig.config.boot.timeoutMs, ...(signal && { signal }) });
    const judged = await judgeDevice(ctx, observation, ctx.update.committed, acceptedBeforeCut(ctx));
    ctx.observation = observation;
    ctx.flash = judged.flash;
    ctx.verdict = judged.verdict;
    ctx.outcome = judged.verdict.outcome;
    if (shouldRetry(ctx)) ctx.enter('retrying');
    else afterJudgement(ctx);
  }
}

/** The boot-loop check when asked for (and the app runs), else the result. */
export function afterJudgement(ctx: CutContext): void {
  if ((ctx.spec.bootLoopCycles ?? 0) > 0 && ctx.observation?.banner) ctx.enter('loop-check');
  else judgedResult(ctx);
}

/** The device result: the verdict with the fire point, the second cut, the boot and the flash. */
export function judgedResult(ctx: CutContext): void {
  const { fired, devicePhase, secondCut, verdict, observation, flash, retried } = ctx;
  ctx.judged(ctx.outcome!, {
    fired: { ...fired!, ...(devicePhase && { devicePhase }) },
    ...(secondCut && { secondCut }),
    ...(retried && { firstOutcome: retried.firstOutcome, firstVerdict: retried.firstVerdict, retries: retried.retries }),
    verdict: verdict!,
    observation: observation!,
    ...(flash && { flash }),
  });
}
