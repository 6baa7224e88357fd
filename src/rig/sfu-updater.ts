import type { Clock } from '../core/clock.js';
import type { Timeline } from '../core/timeline.js';
import type { UpdateResult, Updater } from '../drivers/capabilities.js';
import type { Console } from '../drivers/console/console.js';
import { SfuUploader, stagesOf, uploadStages } from '../drivers/updater/sfu/index.js';

/**
 * The `sfu` update path: reset the device into its bootloader (SFU has no in-band way in,
 * reference §2.9), then run the SFU uploader on the console's UART within the boot window.
 * A stream that stands for several stages (a suite's `images.via`) is sent stage by stage,
 * from the stage the device is at (staged-upload.ts), which it asks the device.
 */
export function sfuUpdater(console: Console, clock: Clock, timeline: Timeline, enterBootloader: () => Promise<void>): Updater {
  return {
    async update(image, opts): Promise<UpdateResult> {
      const stages = stagesOf(image);
      if (stages && stages.length > 1) {
        await enterBootloader();
        const r = await uploadStages({ channel: console, clock, timeline }, stages, { ...(opts.signal && { signal: opts.signal }), ...(opts.onProgress && { onProgress: opts.onProgress }) });
        return { ok: r.ok, slotBase: r.slotBase, bytes: r.bytes, seconds: r.seconds, bytesPerSecond: r.bytesPerSecond, committed: r.committed };
      }
      opts.onProgress?.({ phase: 'reset', acked: 0, total: image.length });
      timeline.add('updater', 'reset', 'into the bootloader');
      await enterBootloader();
      opts.signal?.throwIfAborted();
      const uploader = new SfuUploader({ channel: console, clock, timeline });
      const r = await uploader.upload(image, opts);
      return { ok: r.ok, slotBase: r.slotBase, bytes: r.bytes, seconds: r.seconds, bytesPerSecond: r.bytesPerSecond, committed: r.ok && r.signed };
    },
  };
}
