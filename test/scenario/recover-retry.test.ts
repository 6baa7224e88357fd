/**
 * A sweep point's recovery with retries (RecoverySpec.retry, issue 12 item 2), on the loader-app
 * twin's recorded application update: op states that leave the Loader in DFU mode (waiting) or on
 * the old app (rolled-back) are updated after one retry, as a replayed cut with `retry` is; without
 * retries they stay as they were; an uncut state is not retried.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SweepSession } from '../../src/scenario/sweep/session.js';
import { recoverPoint } from '../../src/scenario/sweep/recover.js';
import type { SweepCutPoint } from '../../src/scenario/sweep/points.js';

let session: SweepSession;
let points: SweepCutPoint[];

beforeAll(async () => {
  session = await SweepSession.open({
    rig: 'rigs/twin-stm32f429-loader-app.yaml',
    images: { from: 'firmware/fwup-app-v1.bin', to: 'firmware/fwup-app-v2.bin' },
    setup: 'factory',
    seed: 1,
    offMs: 200,
  });
  const all = session.everyOp(['before', 'after', 'torn']);
  // A sample across the update (every 25th op state) and the last state, where the update is done.
  points = [...all.filter((_, i) => i % 25 === 0), all.at(-1)!];
}, 60_000);
afterAll(async () => {
  await session?.close();
});

const recover = (p: SweepCutPoint, retry?: number) =>
  recoverPoint(session.rig, session.scheme, session.images, session.recording, p, { offMs: 200, setup: 'factory', ...(retry !== undefined && { retry }) });

describe('sweep recoveries with retries', () => {
  it('a waiting or rolled-back point is updated after one retry; the same point without retries is not', async () => {
    let retried = 0;
    for (const p of points) {
      const plain = await recover(p);
      const r = await recover(p, 2);
      expect(plain.retries).toBeUndefined();
      if (plain.outcome === 'waiting' || plain.outcome === 'rolled-back') {
        retried++;
        expect({ op: p.op, mode: p.mode, first: r.firstOutcome, retries: r.retries, outcome: r.outcome }).toEqual({
          op: p.op,
          mode: p.mode,
          first: plain.outcome,
          retries: [{ attempt: 1, outcome: 'updated' }],
          outcome: 'updated',
        });
        // The flash the outcome was judged on is the retried one.
        expect(r.stateHash).not.toBe(plain.stateHash);
      } else {
        expect(r.outcome).toBe(plain.outcome);
        expect(r.retries).toBeUndefined();
      }
    }
    expect(retried).toBeGreaterThan(points.length / 2);
  });
});
