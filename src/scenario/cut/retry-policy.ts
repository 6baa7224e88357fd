/**
 * When the host retries an update (a suite's `retry: N`): the device recovered, can be reached over
 * the update path, and is not on the new image: waiting in its bootloader (DFU mode, an empty
 * slot) or back on the old image, or degraded (it answers through its bootloader's last resort, as
 * seed 001's Updater does when the bootloader found no Loader: a field unit's OTA agent would send
 * again at once, and the first outcome stays in the result). A bricked, looping or wrong-image
 * device is a result as it is: retrying it would hide what a field unit would do.
 */
import type { Outcome } from '../../config/vocabulary.js';

export const RETRYABLE_OUTCOMES: readonly Outcome[] = ['waiting', 'rolled-back', 'degraded'];

export function retryable(outcome: Outcome): boolean {
  return RETRYABLE_OUTCOMES.includes(outcome);
}

/** Whether the scenario goes on to retry: outcome retryable, and retries left of `max`. */
export function shouldRetry(ctx: { spec: { retry?: number }; outcome?: Outcome; retried?: { retries: readonly unknown[] } }): boolean {
  const max = ctx.spec.retry ?? 0;
  return ctx.outcome !== undefined && retryable(ctx.outcome) && (ctx.retried?.retries.length ?? 0) < max;
}
