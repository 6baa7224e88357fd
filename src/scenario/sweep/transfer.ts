/**
 * A sweep's recording as one thread hands it to another (postMessage: structured clone). The
 * clone turns every Buffer into a plain Uint8Array; the twin's flash wants Buffers, and its caches
 * (sector digests, sameState) go by a sector buffer's identity, so each array becomes one Buffer
 * view on the same memory, the same view wherever the array was shared.
 */
import type { FlashSnapshot, RecordedStates } from '../../drivers/device/twin-sweep.js';
import type { Recording } from './recording.js';

/** What a sweep's worker threads open their sessions on instead of recording the update again. */
export interface SweepRecording {
  recording: Recording;
  states: RecordedStates;
}

/** The states as received from another thread, with Buffers again (see the file comment). */
export function reviveStates(states: RecordedStates): RecordedStates {
  const views = new Map<Uint8Array, Buffer>();
  const revive = (value: unknown): unknown => {
    if (value instanceof Uint8Array) {
      let view = views.get(value);
      if (!view) views.set(value, (view = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)));
      return view;
    }
    if (Array.isArray(value)) return value.map(revive);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
    return value;
  };
  return { ...states, states: states.states.map((s) => ({ id: s.id, snapshot: revive(s.snapshot) as FlashSnapshot })) };
}
