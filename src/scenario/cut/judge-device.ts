/**
 * What the device does now, judged from both sources: after a cut's recovery and after each retry.
 * The boot seen on the console, the stable command when the rig wants one, the app's settle time,
 * the flash read through the probe where there is one, and the verdict over both.
 */
import type { FlashView } from '../../schemes/scheme.js';
import type { BootObservation } from '../observe-boot.js';
import { judge, judgeConsoleOnly, type Verdict } from '../verdict.js';
import type { CutContext } from './context.js';
import { confirmStable } from './stable-command.js';

export interface DeviceJudgement {
  observation: BootObservation;
  flash?: FlashView;
  verdict: Verdict;
}

/**
 * Whether a product's host accepted the update before the (first) cut: the fota updater's
 * `fota-accepted` on the timeline. After it, the host must finish the update or say it failed.
 */
export function acceptedBeforeCut(ctx: CutContext): boolean {
  const at = ctx.fired?.t;
  if (at === undefined) return false;
  return ctx.rig.timeline.events.some((e) => e.source === 'updater' && e.kind === 'fota-accepted' && e.t <= at);
}

export async function judgeDevice(ctx: CutContext, observation: BootObservation, committed: boolean, accepted = false): Promise<DeviceJudgement> {
  const { rig, scheme, images, signal } = ctx;
  await confirmStable(rig, observation);
  // Let the app finish what it does right after its banner (confirming itself) before reading the flash.
  if (rig.probe && observation.banner && scheme.settleMs > 0) await rig.clock.sleep(scheme.settleMs, signal);
  const { from, to, previous } = images;
  const flash = rig.probe ? await scheme.inspect(rig.probe, [from, to, ...(previous ? [previous] : [])]) : undefined;
  const judged = { committed, silence: scheme.silence, accepted, ...(ctx.spec.compatible && { compatible: ctx.spec.compatible }) };
  const verdict = flash ? judge(observation, flash, from, to, judged) : judgeConsoleOnly(observation, from, to, judged);
  return { observation, ...(flash && { flash }), verdict };
}
