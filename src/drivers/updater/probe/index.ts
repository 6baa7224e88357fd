/**
 * The `probe` update path: the new image goes into the inactive slot through the debug probe,
 * the scheme's "boot this next" marker is written the same way, and the board is reset. What
 * follows (an MCUboot swap, a ROM bank switch) happens inside the device, which is exactly where
 * the cuts land. Which bytes go where is the scheme's knowledge (its `stageThroughProbe`); this
 * driver only writes them in order and resets.
 */
import type { Timeline } from '../../../core/timeline.js';
import type { Probe, UpdateResult, Updater } from '../../capabilities.js';

/** The writes that stage an update, in order, and the timeline note that says what they did. */
export interface ProbeStaging {
  writes: { address: number; bytes: Buffer }[];
  note: { kind: string; text: string };
}

export interface ProbeUpdaterOptions {
  /** The scheme's staging: throws a RigError when the image or setup cannot be staged. */
  stage: (image: Buffer, setup: string | undefined) => ProbeStaging;
  probe: Probe;
  timeline: Timeline;
  /** Resets the board (a short power cycle when it has no reset line). */
  reset: () => Promise<void>;
}

export function probeUpdater(opts: ProbeUpdaterOptions): Updater {
  const { probe, timeline } = opts;
  return {
    async update(image, { onProgress, signal, setup }): Promise<UpdateResult> {
      const started = performance.now();
      const staging = opts.stage(image, setup);
      onProgress?.({ phase: 'program', acked: 0, total: image.length });
      for (const w of staging.writes) await probe.program(w.address, w.bytes);
      timeline.add('updater', staging.note.kind, staging.note.text);
      signal?.throwIfAborted();
      onProgress?.({ phase: 'reset', acked: image.length, total: image.length });
      await opts.reset();
      const seconds = (performance.now() - started) / 1000;
      // Nothing is committed yet: the device decides at its next boot (and MCUboot at the app's confirm).
      return { ok: true, slotBase: 0, bytes: image.length, seconds, bytesPerSecond: seconds > 0 ? image.length / seconds : 0, committed: false };
    },
  };
}
