/**
 * A multi-stage update (a suite's `images.via` before `to`): several whole transfers that are one
 * update for the scenario. The Updater capability takes one stream (drivers/capabilities.ts), and
 * every caller — the cut, the sweep's recording, a retry — hands it the `to` image's stream; so the
 * stages ride on that stream: whoever loads the images (src/scenario/update-image.ts) registers
 * them here, and the sfu-app updater looks them up. A stream without stages is a one-stage update.
 */
export interface UpdateStage {
  /** File name, for the timeline and messages. */
  name: string;
  stream: Buffer;
  /** The slot the image is for: only a program whose INFO names this slot may receive it. */
  slotBase: number;
  /** The version its program reports once it runs (its info block), when the image has one. */
  version?: string;
}

const registered = new WeakMap<Uint8Array, readonly UpdateStage[]>();

/** Registers `stages` (the last one is `to`, whose stream is the key) as one update. */
export function registerStages(stages: readonly UpdateStage[]): void {
  const last = stages.at(-1);
  if (!last) throw new RangeError('registerStages: no stages');
  registered.set(last.stream, stages);
}

/** The stages `stream` stands for, or undefined for a one-stage update. */
export function stagesOf(stream: Uint8Array): readonly UpdateStage[] | undefined {
  return registered.get(stream);
}

/** What the device said when asked: the slot its DFU program receives and, if it says, what runs. */
export interface DeviceAnswer {
  writesSlot: number;
  runs?: { version: string; base: number };
}

/**
 * The stage to send next, given who answers: after the last stage whose program is the one
 * running (that stage is done: its program runs), the first stage for the slot the device
 * offers. Without a running program we know, the first stage for that slot. -1: no stage fits.
 *
 *   Loader 1 in DFU (slot 2)      -> stage 1 (Updater)   the Loader update has not begun
 *   Updater (slot 1)              -> stage 2 (Loader)    the Updater is in, the Loader not yet
 *   Loader 2 in DFU (slot 2)      -> stage 3 (app)       only the application is missing
 */
export function resumeStage(stages: readonly UpdateStage[], answer: DeviceAnswer): number {
  const { runs } = answer;
  let done = -1;
  if (runs) stages.forEach((s, i) => s.version === runs.version && s.slotBase === runs.base && (done = i));
  for (let i = done + 1; i < stages.length; i++) if (stages[i]!.slotBase === answer.writesSlot) return i;
  return stages.findIndex((s) => s.slotBase === answer.writesSlot);
}
