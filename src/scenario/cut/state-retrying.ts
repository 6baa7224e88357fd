/**
 * retrying: the recovery left the device reachable but not on the new image (waiting, rolled-back)
 * and the spec asks for retries: the host sends the same image again over the same update path,
 * power left alone, as an OTA agent does after a failed update, and judges the device again. Up to
 * `retry` times, until the outcome is no longer one a retry can change.
 *
 * A retry that fails on the device's side (refused, the device reset, it timed out) is a fact about
 * the device: recorded on the retry, and the device judged as it then is (a Loader that will not take
 * an update in its DFU mode stays `waiting`, and a suite that needs `updated` fails on it). A retry
 * that fails on the rig's side (the driver's RigError: the link or the port gone) ends the cut as a
 * rig error: whether the device can be updated is then unknown, and the cut's result would
 * otherwise depend on the rig; the recovery's outcome and the retries made so far stay in the result.
 */
import type { RetryResult } from '../cut.js';
import type { CutContext } from './context.js';
import { judgeDevice } from './judge-device.js';
import { shouldRetry } from './retry-policy.js';
import { retryUpdate } from './retry-update.js';
import { afterJudgement } from './state-recovering.js';
import type { StateHandler } from './states.js';

export class RetryingState implements StateHandler {
  readonly state = 'retrying' as const;

  constructor(private readonly ctx: CutContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const retried = (ctx.retried ??= { firstOutcome: ctx.outcome!, firstVerdict: ctx.verdict!, retries: [] });
    while (shouldRetry(ctx)) {
      const attempt = retried.retries.length + 1;
      const r = await retryOnce(ctx, attempt);
      if ('rigError' in r) {
        return ctx.rigError(`retry ${attempt}: ${r.rigError}`, { firstOutcome: retried.firstOutcome, firstVerdict: retried.firstVerdict, retries: retried.retries });
      }
      retried.retries.push(r);
    }
    afterJudgement(ctx);
  }
}

async function retryOnce(ctx: CutContext, attempt: number): Promise<RetryResult | { rigError: string }> {
  const { rig, images, spec, signal } = ctx;
  const retried = await retryUpdate(rig, images.to, {
    attempt,
    of: spec.retry ?? attempt,
    offMs: spec.offMs,
    ...(spec.setup !== undefined && { setup: spec.setup }),
    ...(signal && { signal }),
  });
  if ('rigError' in retried) return retried;
  const { update, error, observation } = retried;
  const judged = await judgeDevice(ctx, observation, update.committed);
  ctx.observation = observation;
  ctx.flash = judged.flash;
  ctx.verdict = judged.verdict;
  ctx.outcome = judged.verdict.outcome;
  return {
    attempt,
    outcome: judged.verdict.outcome,
    update,
    ...(error !== undefined && { error }),
    verdict: judged.verdict,
    observation,
    atMs: rig.clock.now() - ctx.t0,
  };
}
