/**
 * runSweep on a session the caller opened (`hil sweep` opens one to count and print the points):
 * this thread's share runs on it, the update is not recorded again in this thread, the session
 * is left open for the caller, and the results are the in-thread ones. The SFU twin, `after`
 * points only (the smallest sweep).
 */
import { describe, expect, it, jest } from '@jest/globals';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import { SweepSession, type SweepRequest } from '../../src/scenario/sweep/session.js';

const REQUEST: SweepRequest = { rig: 'twin-rp2040-sfu', images: { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin' }, seed: 1 };
const AFTER = ['after'] as const;
const line = (r: { point: { op: number; mode: string }; outcome: string; stateHash: string }) => `${r.point.op} ${r.point.mode}: ${r.outcome} ${r.stateHash}`;

describe('runSweep with a given session', () => {
  it.each([
    ['this thread alone', 0],
    ['with a worker thread', 2],
  ])('%s: no second recording here, the session left open, the in-thread results', async (_name, workers) => {
    const here = await runSweep(REQUEST, { modes: AFTER, workers: 0 });
    const session = await SweepSession.open(REQUEST);
    try {
      const opens = jest.spyOn(SweepSession, 'openWith');
      const run = await runSweep(REQUEST, { modes: AFTER, workers, join: 'at-once', session });
      expect(opens).not.toHaveBeenCalled();
      opens.mockRestore();
      expect(run.results.map(line)).toEqual(here.results.map(line));
      expect(run.ops).toBe(session.recording.ops);
      // Still open: it recovers a point as before.
      const again = await session.recover(run.results[3]!.point);
      expect(line(again)).toBe(line(run.results[3]!));
    } finally {
      await session.close();
    }
  });
});
