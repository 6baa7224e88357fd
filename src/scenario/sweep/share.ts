/**
 * One session's share of a sweep's points, in a worker thread (./worker.ts) or in the engine's own
 * thread (./engine.ts). Its own module: worker.ts listens on its parent port as soon as it is
 * loaded, so nothing but a sweep worker thread may import it (a hil detect thread that did got
 * every task twice).
 */
import type { SweepCutMode, SweepCutPoint } from './points.js';
import type { PointResult } from './recover.js';
import type { SweepSession } from './session-core.js';

const SHARE_BLOCK_OPS = 16;
/** Points between progress messages: often enough for a live line, rare enough to cost nothing. */
const PROGRESS_EVERY = 16;

export interface Share {
  modes: readonly SweepCutMode[];
  /** The points to share out; absent: every op in `modes`. */
  points?: SweepCutPoint[];
  share: { index: number; of: number };
  /**
   * The next block to take (an Int32Array of one over a SharedArrayBuffer all sessions see):
   * blocks are claimed one at a time. Absent: this session takes every `of`-th block from `index`.
   */
  claim?: SharedArrayBuffer;
}

/** Points done so far by this share, out of every point of the sweep (all shares). */
export interface ShareProgress {
  progress: { done: number; total: number };
}

/**
 * One share of a sweep's points on an open session: blocks claimed from the shared counter (or
 * every `of`-th block), each point's result with its index in the sweep's point list. The engine's
 * own thread runs a share this way too. Stops between points once `stop` says so.
 */
export async function recoverShare(session: SweepSession, task: Share, report: (p: ShareProgress) => void, stop?: () => void): Promise<{ order: number; result: PointResult }[]> {
  const points = task.points ?? session.everyOp(task.modes);
  const results: { order: number; result: PointResult }[] = [];
  let reported = 0;
  const blocks = blocksOf(points);
  const next = task.claim ? new Int32Array(task.claim) : undefined;
  for (let turn = 0; ; turn++) {
    const b = next ? Atomics.add(next, 0, 1) : task.share.index + turn * task.share.of;
    if (b >= blocks.length) break;
    for (const i of blocks[b]!) {
      stop?.();
      results.push({ order: i, result: await session.recover(points[i]!) });
      if (results.length - reported >= PROGRESS_EVERY) {
        reported = results.length;
        report({ progress: { done: reported, total: points.length } });
      }
    }
  }
  // Always one, so the engine learns the total even from a share that is empty.
  report({ progress: { done: results.length, total: points.length } });
  return results;
}

/** Point indices by block of SHARE_BLOCK_OPS consecutive ops, blocks in op order, points in list order. */
export function blocksOf(points: readonly SweepCutPoint[]): number[][] {
  const byBlock = new Map<number, number[]>();
  points.forEach((p, i) => {
    const b = Math.floor(p.op / SHARE_BLOCK_OPS);
    let list = byBlock.get(b);
    if (!list) byBlock.set(b, (list = []));
    list.push(i);
  });
  return [...byBlock.keys()].sort((a, b) => a - b).map((b) => byBlock.get(b)!);
}
