/**
 * A multi-stage update over the SFU uploader (stages.ts): one whole upload per stage, in order,
 * from the stage the device is at. Like a real OTA agent it first asks which program answers, so
 * a retry after a cut does not start over: a board whose Updater already runs gets the Loader
 * next, one whose new Loader waits gets the application. Between stages it waits until the
 * program for the next stage answers (the last one commits and resets into it). Progress counts
 * the bytes of every stage still to send; the result is committed when the last stage is.
 */
import type { Clock } from '../../../core/clock.js';
import type { Timeline } from '../../../core/timeline.js';
import { hex32 } from '../../../core/hex.js';
import { askDevice } from './ask-device.js';
import type { SfuChannel } from './channel.js';
import { SfuDeviceError } from './errors.js';
import { DEFAULT_INFO_TIMEOUT_MS } from './options.js';
import type { SfuProgress } from './result.js';
import { resumeStage, type UpdateStage } from './stages.js';
import { SfuUploader } from './uploader.js';

/** From a stage's commit to its next program answering: the reset and the boot chain, with room. */
const NEXT_STAGE_MS = 10_000;

export interface StagedResult {
  ok: boolean;
  committed: boolean;
  slotBase: number;
  bytes: number;
  seconds: number;
  bytesPerSecond: number;
  /** Index of the first stage sent (0 unless the device was already part-way). */
  from: number;
}

export async function uploadStages(
  deps: { channel: SfuChannel; clock: Clock; timeline: Timeline },
  stages: readonly UpdateStage[],
  opts: { signal?: AbortSignal; onProgress?: (p: SfuProgress) => void },
): Promise<StagedResult> {
  const { channel, clock, timeline } = deps;
  const signal = opts.signal;
  const first = await askDevice(channel, clock, { timeoutMs: DEFAULT_INFO_TIMEOUT_MS, ...(signal && { signal }) });
  const from = resumeStage(stages, first);
  if (from < 0) {
    throw new SfuDeviceError(`the device's DFU program receives slot ${hex32(first.writesSlot)}, and no stage of this update (${stages.map((s) => s.name).join(', ')}) is for it`, 'info');
  }
  const runs = first.runs ? `${first.runs.version} runs at ${hex32(first.runs.base)}` : 'running program not said';
  timeline.add('updater', 'stages', `${stages.length - from} of ${stages.length} to send (${runs}, DFU receives ${hex32(first.writesSlot)})`);
  const todo = stages.slice(from);
  const padded = (s: UpdateStage) => Math.ceil(s.stream.length / 4) * 4;
  const total = todo.reduce((n, s) => n + padded(s), 0);
  const uploader = new SfuUploader({ channel, clock, timeline });
  const t0 = clock.now();
  let sent = 0;
  let last = { ok: false, committed: false, slotBase: 0, bytesPerSecond: 0 };
  for (const [k, stage] of todo.entries()) {
    if (k > 0) await askDevice(channel, clock, { timeoutMs: NEXT_STAGE_MS, wantSlot: stage.slotBase, ...(signal && { signal }) });
    timeline.add('updater', 'stage', `${from + k + 1}/${stages.length} ${stage.name} -> ${hex32(stage.slotBase)}`);
    const base = sent;
    const r = await uploader.upload(stage.stream, {
      ...(signal && { signal }),
      onProgress: (p) => opts.onProgress?.({ ...p, acked: base + p.acked, total }),
    });
    sent += r.bytes;
    last = { ok: r.ok, committed: r.ok && r.signed, slotBase: r.slotBase, bytesPerSecond: r.bytesPerSecond };
    if (!r.ok) break;
  }
  const seconds = (clock.now() - t0) / 1000;
  return { ok: last.ok && sent === total, committed: last.committed && sent === total, slotBase: last.slotBase, bytes: sent, seconds, bytesPerSecond: last.bytesPerSecond, from };
}
