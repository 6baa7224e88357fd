/**
 * A sweep worker thread: opens its own session (rig, images, recording) from the request and
 * recovers its share of the points, then replies once. Shares are blocks of consecutive ops dealt
 * round robin: cost varies along an update (an early cut in a swap recovers the longest), and
 * within a block op k's after point and op k+1's before point share one recovery.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SweepOp } from '../../drivers/device/twin-sweep.js';
import type { SweepCutMode, SweepCutPoint } from './points.js';
import type { PointResult } from './recover.js';
import { SweepSession, type SweepRequest } from './session.js';

const SHARE_BLOCK_OPS = 16;

export interface WorkerTask {
  request: SweepRequest;
  modes: readonly SweepCutMode[];
  /** The points to share out; absent: every op in `modes`. */
  points?: SweepCutPoint[];
  share: { index: number; of: number };
}

export type WorkerReply = { ok: true; ops: readonly SweepOp[]; results: { order: number; result: PointResult }[] } | { ok: false; error: string };

async function main(task: WorkerTask): Promise<WorkerReply> {
  const session = await SweepSession.open(task.request);
  try {
    const points = task.points ?? session.everyOp(task.modes);
    const results: { order: number; result: PointResult }[] = [];
    for (let i = 0; i < points.length; i++) {
      if (Math.floor(points[i]!.op / SHARE_BLOCK_OPS) % task.share.of !== task.share.index) continue;
      results.push({ order: i, result: await session.recover(points[i]!) });
    }
    return { ok: true, ops: session.recording.ops, results };
  } finally {
    await session.close();
  }
}

if (parentPort && workerData) {
  const port = parentPort;
  main(workerData as WorkerTask).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
}
