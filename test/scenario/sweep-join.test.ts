/**
 * When a sweep's worker threads join (issue 10, ./src/scenario/sweep/join.ts): a new thread only
 * once this thread's pace says the points left are worth its start-up; a thread the process
 * already started joins at once; a thread that joins mid-sweep takes blocks and gives the
 * in-thread results. The SFU twin, `after` points only (the smallest sweep).
 */
import { describe, expect, it } from '@jest/globals';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import { NEW_THREAD_PAYS_MS, PACE_SAMPLE_POINTS, worthNewThreads } from '../../src/scenario/sweep/join.js';
import type { SweepRequest } from '../../src/scenario/sweep/session.js';

const REQUEST: SweepRequest = { rig: 'twin-rp2040-sfu', images: { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin' }, seed: 1 };
const AFTER = ['after'] as const;
const line = (r: { point: { op: number; mode: string }; outcome: string; stateHash: string }) => `${r.point.op} ${r.point.mode}: ${r.outcome} ${r.stateHash}`;

describe('worthNewThreads', () => {
  it('waits for a sample of points before trusting the pace', () => {
    expect(worthNewThreads({ doneHere: PACE_SAMPLE_POINTS - 1, msHere: 10_000, left: 10_000 })).toBe(false);
    expect(worthNewThreads({ doneHere: PACE_SAMPLE_POINTS, msHere: 0, left: 10_000 })).toBe(false);
  });

  it('starts threads when the points left at this pace outlast a thread start-up, not before', () => {
    // 1 ms per point so far.
    const pace = (left: number) => ({ doneHere: 100, msHere: 100, left });
    expect(worthNewThreads(pace(NEW_THREAD_PAYS_MS + 1))).toBe(true);
    expect(worthNewThreads(pace(NEW_THREAD_PAYS_MS))).toBe(false);
    expect(worthNewThreads(pace(300))).toBe(false);
  });
});

describe('runSweep: when worker threads join', () => {
  // First: no thread of this file's engine has started yet (a later test's would be idle, and join at once).
  it('not worth it: this thread alone does every point, no thread started', async () => {
    const run = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: () => false });
    expect(run.timing!.map((t) => t.threadId)).toEqual([0]);
    expect(run.workers).toBe(1);
    const here = await runSweep(REQUEST, { modes: AFTER, workers: 0 });
    expect(run.results.map(line)).toEqual(here.results.map(line));
  });

  it('a thread that joins mid-sweep takes blocks and gives the in-thread results', async () => {
    const here = await runSweep(REQUEST, { modes: AFTER, workers: 0 });
    const asked: number[] = [];
    const run = await runSweep(REQUEST, {
      modes: AFTER,
      workers: 2,
      join: (pace) => {
        asked.push(pace.doneHere);
        return pace.doneHere >= 16;
      },
    });
    // Asked after this thread's progress reports until the thread joined (once).
    expect(asked[0]).toBeGreaterThan(0);
    expect(asked.at(-1)).toBeGreaterThanOrEqual(16);
    expect(asked.filter((d) => d >= 16)).toHaveLength(1);
    expect(run.timing!.map((t) => t.threadId)).toEqual([0, expect.any(Number)]);
    expect(run.results.map(line)).toEqual(here.results.map(line));
  });

  it('a thread this process started before (idle, its code compiled) joins the next sweep at once', async () => {
    const first = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once' });
    const worker = first.timing!.find((t) => t.threadId !== 0)!.threadId;
    const next = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: () => false });
    expect(next.timing!.map((t) => t.threadId)).toEqual([0, worker]);
  });
});
