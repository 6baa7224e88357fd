/**
 * baseline: image A running on the device, as a factory would leave it (the scheme's setup through
 * the probe, or the update path on a bench without one), seen booting on the console. On a twin
 * the first baseline of a setup and images is kept as a flash snapshot on the rig's twin handle,
 * and every later cut restores it.
 */
import { RigError } from '../../core/errors.js';
import { observeBoot } from '../observe-boot.js';
import { confirmStable } from './stable-command.js';
import type { CutContext } from './context.js';
import type { StateHandler } from './states.js';

export class BaselineState implements StateHandler {
  readonly state = 'baseline' as const;

  constructor(private readonly ctx: CutContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    try {
      ctx.signal?.throwIfAborted();
      await installBaseline(ctx);
    } catch (err) {
      // A probe or an update stopped by Ctrl-C says nothing about the rig: the abort goes on up.
      if (err instanceof RigError && !ctx.signal?.aborted) return ctx.rigError(`baseline: ${err.message}`);
      throw err;
    }
    ctx.enter('updating');
  }
}

async function installBaseline(ctx: CutContext): Promise<void> {
  const { rig, scheme, images, spec, signal } = ctx;
  const { from } = images;
  const setup = spec.setup ?? scheme.setups[0]!;
  const { clock, console, timeline } = rig;
  const cache = rig.twin?.baselines;
  await rig.power.off();
  rig.twin?.reseed(spec.seed);
  const key = `${setup}/${from.sha256}/${images.previous?.sha256 ?? '-'}`;
  const snap = cache?.get(key);
  if (snap) rig.twin!.restore(snap);
  else if (!rig.probe) {
    // No probe (a bench without SWD): the update path itself installs the baseline. The slot it
    // does not write keeps whatever it held, so the baseline is less exact than a probe's.
    if (setup !== scheme.setups[0]) throw new RigError(`${rig.config.file}: setup ${setup} needs a probe to provision the board`);
    timeline.add('scenario', 'baseline-by-update', from.name);
    const r = await rig.updater.update(from.stream, { ...(signal && { signal }) });
    if (!r.ok) throw new RigError(`${rig.config.file}: installing the baseline ${from.name} over the update path failed`);
  } else {
    // A real probe needs a powered target; the twin's debug port works on an unpowered model.
    if (!rig.twin) await rig.power.on();
    await scheme.baseline(rig.probe, { from, ...(images.previous && { previous: images.previous }) }, setup, { ...(signal && { signal }) });
  }
  if (!snap && !rig.twin) {
    // Off long enough for a real power-on reset before the baseline boot is observed.
    await rig.power.off();
    await clock.sleep(Math.max(rig.config.power.offMs, rig.config.power.minOffMs ?? 0), signal);
  }
  timeline.add('scenario', 'baseline', from.name);
  console.flushPartial();
  const fromLine = console.lines.length;
  await rig.power.on();
  const obs = await observeBoot(console, clock, { fromLine, timeoutMs: rig.config.boot.timeoutMs, ...(signal && { signal }) });
  if (obs.banner?.version !== from.version) {
    throw new RigError(`device did not come up running ${from.name} ${from.version} (${obs.banner ? `runs ${obs.banner.version}` : obs.state}); last line: ${console.lines.at(-1)?.text ?? '(none)'}`);
  }
  // A rig whose app is stable only when told so: told now, so the baseline boot does not count as a failed attempt.
  await confirmStable(rig, obs);
  // Only a baseline seen running is kept: one stopped half-way (an abort, a failed write) is never restored.
  if (rig.twin && cache && !snap) cache.set(key, rig.twin.snapshot());
}
