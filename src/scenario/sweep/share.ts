/**
 * One session's share of a sweep's points, in a worker thread (./worker.ts) or in the engine's own
 * thread (./engine.ts). Its own module: worker.ts listens on its parent port as soon as it is
 * loaded, so nothing but a sweep worker thread may import it (a hil detect thread that did got
 * every task twice).
 */
import type { SweepCutMode, SweepCutPoint } from './points.js';
import type { PointResult } from './recover.js';
import type { SweepSession } from './session-core.js';
import { SweepPace } from './pace.js';

const SHARE_BLOCK_OPS = 16;
/** Points between progress messages: often enough for a live line, rare enough to cost nothing. */
const PROGRESS_EVERY = 16;

export interface Share {
  modes: readonly SweepCutMode[];
  /** The points to share out; absent: every op in `modes`. */
  points?: SweepCutPoint[];
  share: { index: number; of: number };
  /**
   * The next block to take, in a SweepPace's buffer all sessions see (./pace.ts): blocks are
   * claimed one at a time. Absent: this session takes every `of`-th block from `index`.
   */
  claim?: SharedArrayBuffer;
  /**
   * With `claim`: blocks hold every mode, each session claims stretches of consecutive blocks
   * (SweepPace.claimStretch: the engine's thread from the first block, share i of n from block
   * i/n of the way, then the middle of the longest run nobody has), and every session records the
   * update itself (a torn state reruns its op). For a board of several processors, whose
   * recoveries share played-back tails only within one session (src/twin/board-tail.ts): a stretch
   * of consecutive ops per session keeps each run of recoveries that converge on one tail together,
   * where splitting by mode made both sessions simulate most of those runs' first recoveries (a
   * product sweep: 267 whole simulations instead of 202, ~2.6 s of ~4).
   */
  stretches?: boolean;
}

/** Points done so far by this share, out of every point of the sweep (all shares). */
export interface ShareProgress {
  progress: { done: number; total: number };
}

/**
 * One share of a sweep's points on an open session: blocks claimed from the shared counters (or
 * every `of`-th block), each point's result with its index in the sweep's point list. With shared
 * counters, torn cuts go in blocks of their own, taken only by sessions that recorded the update
 * (`session.tears`: a torn state reruns its op); such a session takes them first, leaving the
 * other blocks to sessions opened on its recording. The engine's own thread runs a share this way
 * too, and publishes its pace (`lead`: how long its session took to open, ./pace.ts). With
 * `stretches` (a product), blocks hold every mode and are claimed by stretches instead. Stops
 * between points once `stop` says so. `doneBefore`: points this thread did in an earlier share of
 * the same sweep (progress counts on from there).
 */
export async function recoverShare(
  session: SweepSession,
  task: Share,
  report: (p: ShareProgress) => void,
  opts: { stop?: () => void; lead?: { openMs: number }; doneBefore?: number } = {},
): Promise<{ order: number; result: PointResult }[]> {
  const { stop, lead, doneBefore = 0 } = opts;
  const points = task.points ?? session.everyOp(task.modes);
  const results: { order: number; result: PointResult }[] = [];
  let reported = 0;
  const run = async (block: readonly number[]) => {
    for (const i of block) {
      stop?.();
      results.push({ order: i, result: await session.recover(points[i]!) });
      if (results.length - reported >= PROGRESS_EVERY) {
        reported = results.length;
        report({ progress: { done: doneBefore + reported, total: points.length } });
      }
    }
  };
  if (!task.claim) {
    const blocks = blocksOf(points);
    for (let b = task.share.index; b < blocks.length; b += task.share.of) await run(blocks[b]!);
  } else if (task.stretches) {
    const blocks = blocksOf(points);
    const pace = new SweepPace(task.claim);
    if (lead) pace.opened(lead.openMs, blocks.length, 0);
    const home = Math.floor((task.share.index * blocks.length) / task.share.of);
    let b: number | undefined;
    for (;;) {
      const t0 = performance.now();
      b = pace.claimStretch(b, blocks.length, home);
      if (b < 0) break;
      await run(blocks[b]!);
      if (lead) pace.blockDone(performance.now() - t0);
    }
  } else {
    const { blocks, torn } = splitTorn(points, blocksOf(points));
    const pace = new SweepPace(task.claim);
    if (lead) pace.opened(lead.openMs, blocks.length, torn.length);
    for (;;) {
      const t0 = performance.now();
      const t = session.tears ? pace.claimTorn() : torn.length;
      if (t < torn.length) await run(torn[t]!);
      else {
        const b = pace.claim();
        if (b >= blocks.length) break;
        await run(blocks[b]!);
      }
      if (lead) pace.blockDone(performance.now() - t0);
    }
  }
  // Always one, so the engine learns the total even from a share that is empty.
  report({ progress: { done: doneBefore + results.length, total: points.length } });
  return results;
}

/** Each block's torn first cuts apart (blocks of their own), the rest as they were; empty blocks dropped. */
export function splitTorn(points: readonly SweepCutPoint[], blocks: readonly number[][]): { blocks: number[][]; torn: number[][] } {
  const torn = blocks.map((b) => b.filter((i) => points[i]!.mode === 'torn')).filter((b) => b.length);
  const rest = blocks.map((b) => b.filter((i) => points[i]!.mode !== 'torn')).filter((b) => b.length);
  return { blocks: rest, torn };
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
