/**
 * updating: the update to B through the rig's update path, with the trigger armed. The trigger's
 * callback moves the machine to cut the moment it fires; otherwise the update's end decides:
 * armed (the trigger may still come), or rig-error (the update path failed on the rig's side).
 */
import { ConfigError, RigError } from '../../core/errors.js';
import { TriggerWatch } from '../trigger-watch.js';
import { CutFired, type CutContext } from './context.js';
import type { StateHandler } from './states.js';

export class UpdatingState implements StateHandler {
  readonly state = 'updating' as const;

  constructor(private readonly ctx: CutContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { rig, spec, base } = ctx;
    const { clock, console, timeline } = rig;
    const { to } = ctx.images;
    timeline.add('scenario', 'update-start', `${to.name} (${to.stream.length} bytes), trigger ${base.trigger}`);
    // Aborted during the baseline: the update is stopped before it starts.
    ctx.linkAbort();
    const marker = rig.marker;
    const unsupported = TriggerWatch.unsupported(spec.trigger, { ...(marker && { marker }) });
    if (unsupported) throw new ConfigError(`${rig.config.file}: trigger ${base.trigger}: ${unsupported}`);
    const watch = new TriggerWatch(spec.trigger, { clock, console, progress: ctx.progress, ...(marker && { marker }) }, (point) => ctx.fire(point));
    ctx.watch = watch;
    ctx.updateEnded = runUpdate(ctx, watch);
    await Promise.race([ctx.updateEnded, ctx.armedWake]);
    // The trigger fired: the cut has taken over (recovering waits for the updater to let go).
    if (ctx.state !== 'updating') return;
    ctx.signal?.throwIfAborted();
    if (ctx.updateRigError) return ctx.rigError(`update: ${ctx.updateRigError}`);
    ctx.enter('armed');
  }
}

/** Runs the update and records how it ended; never rejects (a cut or an abort ends it on purpose). */
async function runUpdate(ctx: CutContext, watch: TriggerWatch): Promise<void> {
  const { rig, spec, update, progress } = ctx;
  try {
    const result = await rig.updater.update(ctx.images.to.stream, {
      signal: ctx.updateAbort.signal,
      ...(spec.setup !== undefined && { setup: spec.setup }),
      onProgress: (p) => {
        Object.assign(progress, p);
        watch.onProgress();
      },
    });
    update.finished = true;
    // Only a commit the device announced before the cut binds it.
    update.committed = result.committed && !ctx.fired;
    rig.timeline.add('scenario', 'update-done', result.committed ? 'committed' : undefined);
  } catch (err) {
    if (!(err instanceof CutFired) && !ctx.updateAbort.signal.aborted) {
      update.error = (err as Error).message;
      rig.timeline.add('scenario', 'update-failed', update.error);
      if (err instanceof RigError) ctx.updateRigError = err.message;
    }
  }
}
