/**
 * cut: power is interrupted, from the moment the trigger fires (or the second cut is due) until it
 * is back. The first cut stops the update; the interruption itself is off for the spec's off time
 * (or the supply's sag), then on.
 */
import { CutFired, lastPhaseBefore, type CutContext } from './context.js';
import type { StateHandler } from './states.js';

export class PowerCutState implements StateHandler {
  readonly state = 'cut' as const;
  private interrupted: Promise<number> = Promise.resolve(0);

  constructor(private readonly ctx: CutContext) {}

  enter(): void {
    const ctx = this.ctx;
    const { timeline, clock } = ctx.rig;
    ctx.cuts++;
    if (ctx.cuts === 1) {
      const point = ctx.fired!;
      timeline.add('cut', 'fire', `${point.offsetMs.toFixed(3)} ms after update start, ${point.acked} bytes acked, phase ${point.phase}`);
      ctx.updateAbort.abort(new CutFired());
    } else {
      // Cut the recovery itself: the resumed swap, the repair, the first boot's housekeeping.
      const at = clock.now();
      timeline.add('cut', 'second', `${ctx.spec.second} ms after power returned`);
      const devicePhase = lastPhaseBefore(ctx.rig, at);
      ctx.secondCut = { afterMs: ctx.spec.second!, ...(devicePhase && { devicePhase }) };
    }
    this.interrupted = ctx.interrupt();
    // Awaited by run(); if Ctrl-C ends the off time first, nobody may be awaiting it yet.
    this.interrupted.catch(() => {});
  }

  async run(): Promise<void> {
    this.ctx.fromLine = await this.interrupted;
    this.ctx.enter('recovering');
  }
}
