/**
 * recovering: power is back and the device recovers (a resumed swap, a repair, a rollback or the
 * new image's first boot). The spec's second cut lands here, `second` ms after power returned.
 * Then the device is watched on the console until it settles, the flash is read through the probe
 * where there is one, and both are judged.
 */
import { observeBoot } from '../observe-boot.js';
import { judge, judgeConsoleOnly } from '../verdict.js';
import { lastPhaseBefore, type CutContext } from './context.js';
import type { StateHandler } from './states.js';

export class RecoveringState implements StateHandler {
  readonly state = 'recovering' as const;

  constructor(private readonly ctx: CutContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { rig, scheme, spec, images, signal } = ctx;
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
    // Let the app finish what it does right after its banner (confirming itself) before reading the flash.
    if (rig.probe && observation.banner && scheme.settleMs > 0) await clock.sleep(scheme.settleMs, signal);
    const { from, to, previous } = images;
    const flash = rig.probe ? await scheme.inspect(rig.probe, [from, to, ...(previous ? [previous] : [])]) : undefined;
    const judged = { committed: ctx.update.committed, silence: scheme.silence };
    ctx.observation = observation;
    ctx.flash = flash;
    ctx.verdict = flash ? judge(observation, flash, from, to, judged) : judgeConsoleOnly(observation, from, to, judged);
    ctx.outcome = ctx.verdict.outcome;
    if ((spec.bootLoopCycles ?? 0) > 0 && observation.banner) ctx.enter('loop-check');
    else judgedResult(ctx);
  }
}

/** The device result: the verdict with the fire point, the second cut, the boot and the flash. */
export function judgedResult(ctx: CutContext): void {
  const { fired, devicePhase, secondCut, verdict, observation, flash } = ctx;
  ctx.judged(ctx.outcome!, {
    fired: { ...fired!, ...(devicePhase && { devicePhase }) },
    ...(secondCut && { secondCut }),
    verdict: verdict!,
    observation: observation!,
    ...(flash && { flash }),
  });
}
