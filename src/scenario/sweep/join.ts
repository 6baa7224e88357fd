/**
 * When a sweep's worker threads join the engine's thread. A new thread is not free: its isolate
 * imports the twins (a few tenths of a second) and compiles the hot code all over again, and V8's
 * background compiler and GC threads of two isolates share the same cores. Measured on the
 * 2-vCPU reference box (cold process, every-op sweep, all three modes): a thread from the start
 * made every single-processor sweep slower (mcuboot-swap 0.74 → 1.0 s, sfu-ab 1.2 → 1.46 s,
 * stm32-dualbank 1.65 → 1.8 s, loader-app 0.33 → 0.48 s) and only the product's long one faster
 * (10.1 → 7.6 s). So a new thread starts only once this thread's own pace says the points left
 * would keep it busy for longer than a thread costs; a thread this process has already started
 * (idle since an earlier sweep, its code compiled) joins at once.
 */

/** Single-thread ms of points left above which a new thread pays for itself (measured break-even: 1.5–2 s). */
export const NEW_THREAD_PAYS_MS = 2000;
/** This thread's points before its pace is trusted (its first points run cold code: the pace only improves). */
export const PACE_SAMPLE_POINTS = 32;

export interface JoinPace {
  /** Points this thread has recovered, and the ms they took (after its session opened). */
  doneHere: number;
  msHere: number;
  /** Points of the sweep nobody has done yet. */
  left: number;
}

/** Whether starting new worker threads now is worth it (see the module's comment). */
export function worthNewThreads(pace: JoinPace): boolean {
  if (pace.doneHere < PACE_SAMPLE_POINTS || pace.msHere <= 0) return false;
  return (pace.left * pace.msHere) / pace.doneHere > NEW_THREAD_PAYS_MS;
}
