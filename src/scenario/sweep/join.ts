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
/**
 * This thread's ms of points before its pace is trusted, and the pace is taken over the later half
 * of them only: the first points run cold code (interpreted, then compiled), several times slower
 * than the rest, and a pace that counted them started threads on sweeps a second long.
 */
export const PACE_SAMPLE_MS = 300;

export interface JoinPace {
  /** ms since this thread's first point (after its session opened). */
  msHere: number;
  /** This thread's pace lately: points over ms (the later half of msHere, see PACE_SAMPLE_MS). */
  recent: { points: number; ms: number };
  /** Points of the sweep nobody has done yet. */
  left: number;
}

/** Single-thread ms the points left would take at the recent pace (undefined: no pace yet). */
export function leftMs(pace: JoinPace): number | undefined {
  if (pace.msHere < PACE_SAMPLE_MS || pace.recent.points <= 0 || pace.recent.ms <= 0) return undefined;
  return (pace.left * pace.recent.ms) / pace.recent.points;
}

/**
 * A board's sweep (several processors: each session takes stretches and records the update itself,
 * ./share.ts) pays for a new thread much later: the thread records the update too, and its board
 * learns its recoveries' tails anew (src/twin/board-tail.ts), so its first points are whole
 * simulations the engine's thread had already done. Measured on the 2-vCPU box, alternating, the
 * product's every-op sweep: correct 2.9 s alone vs 3.3-3.4 s with a thread (4 runs each, every one
 * the same way round); its lock-not-taken variant 10.8-11.5 s alone vs 9.1-9.2 s. Its pace is
 * trusted later, too: a board's first points learn (whole recoveries), and at 0.3 s the estimate
 * was 3-10 times the time the points then took (1,000 ms in: 1.2-2 times for those two).
 */
export const NEW_BOARD_THREAD_PAYS_MS = 8000;
export const BOARD_PACE_SAMPLE_MS = 1000;

/** Whether starting new worker threads now is worth it (see the module's comment); `board`: a board's sweep (NEW_BOARD_THREAD_PAYS_MS). */
export function worthNewThreads(pace: JoinPace, board = false): boolean {
  if (board) return pace.msHere >= BOARD_PACE_SAMPLE_MS && (leftMs(pace) ?? 0) > NEW_BOARD_THREAD_PAYS_MS;
  return (leftMs(pace) ?? 0) > NEW_THREAD_PAYS_MS;
}

/**
 * This thread's progress reports (points done, at what time), for its recent pace: the points and
 * ms since the last report at or before the middle of its time so far (its first point if none).
 */
export class PaceWindow {
  private readonly reports: { done: number; at: number }[] = [];

  constructor(private readonly from: number) {}

  add(done: number, at: number): Pick<JoinPace, 'recent' | 'msHere'> {
    const mid = (this.from + at) / 2;
    let start = { done: 0, at: this.from };
    for (const r of this.reports) if (r.at <= mid) start = r;
    this.reports.push({ done, at });
    return { msHere: at - this.from, recent: { points: done - start.done, ms: at - start.at } };
  }
}
