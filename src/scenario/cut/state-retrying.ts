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
import { RigError } from '../../core/errors.js';
import type { RetryResult } from '../cut.js';
import { observeBoot, type BootObservation } from '../observe-boot.js';
import type { CutContext } from './context.js';
import { judgeDevice } from './judge-device.js';
import { shouldRetry } from './retry-policy.js';
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
  const { console, clock, timeline } = rig;
  const { to } = images;
  timeline.add('scenario', 'retry', `${attempt} of ${spec.retry}: ${to.name} (${to.stream.length} bytes) again`, { attempt });
  console.flushPartial();
  const startLine = console.lines.length;
  const update = { finished: false, committed: false, acked: 0, total: to.stream.length };
  let error: string | undefined;
  try {
    const result = await rig.updater.update(to.stream, {
      ...(signal && { signal }),
      ...(spec.setup !== undefined && { setup: spec.setup }),
      onProgress: (p) => (update.acked = p.acked),
    });
    update.finished = true;
    update.committed = result.committed;
    if (!result.ok) error = 'the update path reported failure';
    timeline.add('scenario', 'retry-done', result.committed ? 'committed' : error);
  } catch (err) {
    signal?.throwIfAborted();
    if (err instanceof RigError) return { rigError: err.message };
    error = (err as Error).message;
    timeline.add('scenario', 'retry-failed', error);
  }
  const observation = await bootAfterRetry(ctx, startLine);
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
    atMs: clock.now() - ctx.t0,
  };
}

/**
 * The boot that follows a retry, read from the retry's start. Devices that restart themselves at
 * the end of an update (the Loader boots the new app) show it on the console; the running app hands
 * over to its updater without a banner, and one that resets back to the old app after a refused
 * update prints the old banner, which is then the result. A device that starts nothing by itself
 * (it waits for a reset, or stays in its bootloader) gets a plain power cycle, and what it boots
 * then is the result, as after the cut.
 */
async function bootAfterRetry(ctx: CutContext, fromLine: number): Promise<BootObservation> {
  const { rig, spec, signal } = ctx;
  const { console, clock, timeline } = rig;
  const timeoutMs = rig.config.boot.timeoutMs;
  const seen = await observeBoot(console, clock, { fromLine, timeoutMs, ...(signal && { signal }) });
  if (seen.banner) return seen;
  timeline.add('scenario', 'retry-power-cycle', `no app started within ${timeoutMs} ms of the retry`);
  await rig.power.off();
  await clock.sleep(spec.offMs, signal);
  console.flushPartial();
  const line = console.lines.length;
  await rig.power.on();
  return observeBoot(console, clock, { fromLine: line, timeoutMs, ...(signal && { signal }) });
}
