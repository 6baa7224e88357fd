/**
 * One retry of an update, the rig's half: the same image again over the rig's update path (power
 * left alone), then the boot that follows, read from the retry's start. Devices that restart
 * themselves at the end of an update (the Loader boots the new app) show it on the console; the
 * running app hands over to its updater without a banner, and one that resets back to the old app
 * after a refused update prints the old banner, which is then the result. A device that starts
 * nothing by itself (it waits for a reset, or stays in its bootloader) gets a plain power cycle,
 * and what it boots then is the result, as after a cut. Judging it is the caller's (a cut's
 * retrying state, a sweep point's recovery).
 */
import { RigError } from '../../core/errors.js';
import type { Rig } from '../../rig/rig.js';
import { observeBoot, type BootObservation } from '../observe-boot.js';
import type { UpdateImage } from '../update-image.js';

export interface RetriedUpdate {
  update: { finished: boolean; committed: boolean; acked: number; total: number };
  /** The device refused the update (rejected, reset, timed out): the device is judged as it is. */
  error?: string;
  observation: BootObservation;
}

/** Resolves with the retry's update and boot, or `{ rigError }` when the update path failed on the rig's side. */
export async function retryUpdate(
  rig: Rig,
  to: UpdateImage,
  opts: { attempt: number; of: number; offMs: number; setup?: string; signal?: AbortSignal; writes?: () => number },
): Promise<RetriedUpdate | { rigError: string }> {
  const { console, clock, timeline } = rig;
  const { signal } = opts;
  timeline.add('scenario', 'retry', `${opts.attempt} of ${opts.of}: ${to.name} (${to.stream.length} bytes) again`, { attempt: opts.attempt });
  console.flushPartial();
  const fromLine = console.lines.length;
  const update = { finished: false, committed: false, acked: 0, total: to.stream.length };
  let error: string | undefined;
  try {
    const result = await rig.updater.update(to.stream, {
      ...(signal && { signal }),
      ...(opts.setup !== undefined && { setup: opts.setup }),
      onProgress: (p) => {
        update.acked = p.acked;
        update.total = p.total;
      },
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
  const timeoutMs = rig.config.boot.timeoutMs;
  const watch = { timeoutMs, ...(signal && { signal }), ...(opts.writes && { writes: opts.writes }) };
  let observation = await observeBoot(console, clock, { fromLine, ...watch });
  if (!observation.banner) {
    timeline.add('scenario', 'retry-power-cycle', `no app started within ${timeoutMs} ms of the retry`);
    await rig.power.off();
    await clock.sleep(opts.offMs, signal);
    console.flushPartial();
    const line = console.lines.length;
    await rig.power.on();
    observation = await observeBoot(console, clock, { fromLine: line, ...watch });
  }
  return { update, ...(error !== undefined && { error }), observation };
}
