/**
 * When a sweep's worker threads join (issue 10, ./src/scenario/sweep/join.ts): a new thread only
 * once this thread's pace says the points left are worth its start-up; a thread the process
 * already started joins at once; a thread that joins mid-sweep takes blocks and gives the
 * in-thread results. The SFU twin, `after` points only (the smallest sweep).
 */
import { describe, expect, it } from '@jest/globals';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import { BOARD_PACE_SAMPLE_MS, leftMs, NEW_BOARD_THREAD_PAYS_MS, NEW_THREAD_PAYS_MS, PACE_SAMPLE_MS, PaceWindow, worthNewThreads } from '../../src/scenario/sweep/join.js';
import type { SweepRequest } from '../../src/scenario/sweep/session.js';

const REQUEST: SweepRequest = { rig: 'twin-rp2040-sfu', images: { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin' }, seed: 1 };
const AFTER = ['after'] as const;
const line = (r: { point: { op: number; mode: string }; outcome: string; stateHash: string }) => `${r.point.op} ${r.point.mode}: ${r.outcome} ${r.stateHash}`;

describe('worthNewThreads', () => {
  const pace = (msHere: number, points: number, ms: number, left: number) => ({ msHere, recent: { points, ms }, left });

  it('waits for PACE_SAMPLE_MS of points before trusting the pace', () => {
    expect(worthNewThreads(pace(PACE_SAMPLE_MS - 1, 10, 100, 1_000_000))).toBe(false);
    expect(leftMs(pace(PACE_SAMPLE_MS - 1, 10, 100, 1_000_000))).toBeUndefined();
    expect(worthNewThreads(pace(PACE_SAMPLE_MS, 10, 100, 1_000_000))).toBe(true);
  });

  it('starts threads when the points left at the recent pace outlast a thread start-up, not before', () => {
    // 1 ms per point lately.
    expect(worthNewThreads(pace(1000, 100, 100, NEW_THREAD_PAYS_MS + 1))).toBe(true);
    expect(worthNewThreads(pace(1000, 100, 100, NEW_THREAD_PAYS_MS))).toBe(false);
    expect(leftMs(pace(1000, 100, 100, 300))).toBe(300);
    expect(worthNewThreads(pace(1000, 0, 0, 10_000))).toBe(false);
  });

  it("for a board's sweep, waits for BOARD_PACE_SAMPLE_MS of points and NEW_BOARD_THREAD_PAYS_MS left", () => {
    // 1 ms per point lately: what pays for a single processor's thread does not for a board's.
    expect(worthNewThreads(pace(BOARD_PACE_SAMPLE_MS, 100, 100, NEW_THREAD_PAYS_MS + 1), true)).toBe(false);
    expect(worthNewThreads(pace(BOARD_PACE_SAMPLE_MS, 100, 100, NEW_BOARD_THREAD_PAYS_MS), true)).toBe(false);
    expect(worthNewThreads(pace(BOARD_PACE_SAMPLE_MS, 100, 100, NEW_BOARD_THREAD_PAYS_MS + 1), true)).toBe(true);
    expect(worthNewThreads(pace(BOARD_PACE_SAMPLE_MS - 1, 100, 100, 1_000_000), true)).toBe(false);
  });
});

describe('PaceWindow', () => {
  it('takes the pace over the later half of the time so far (the cold first points left out)', () => {
    const w = new PaceWindow(1000);
    // Cold: 16 points in 200 ms, then 16 points every 20 ms.
    expect(w.add(16, 1200)).toEqual({ msHere: 200, recent: { points: 16, ms: 200 } });
    let last = w.add(32, 1220);
    for (let i = 3; i <= 20; i++) last = w.add(16 * i, 1200 + 20 * (i - 1));
    // 580 ms in: the window starts at the last report at or before 1290 (t=1280, 80 points).
    expect(last).toEqual({ msHere: 580, recent: { points: 320 - 80, ms: 1580 - 1280 } });
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
    let asked = 0;
    const run = await runSweep(REQUEST, {
      modes: AFTER,
      workers: 2,
      // Yes at the second report (this thread's 32nd point).
      join: () => ++asked === 2,
    });
    // Asked after each of this thread's progress reports until the thread joined (once).
    expect(asked).toBe(2);
    expect(run.timing!.map((t) => t.threadId)).toEqual([0, expect.any(Number)]);
    expect(run.results.map(line)).toEqual(here.results.map(line));
  });

  it('a thread this process started before (idle, its code compiled) joins the next sweep at once', async () => {
    const first = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once' });
    const worker = first.timing!.find((t) => t.threadId !== 0)!.threadId;
    const next = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: () => false });
    expect(next.timing!.map((t) => t.threadId)).toEqual([0, worker]);
  });

  it('an idle thread ends once unused for keepThreadsMs: a later sweep does not find it', async () => {
    // Takes the thread the test above left idle (if any) and gives it back for 1 ms only.
    const first = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once', keepThreadsMs: 1 });
    expect(first.timing!.map((t) => t.threadId)).toEqual([0, expect.any(Number)]);
    // Due after the idle thread's end, so it fires after it (Node runs timers in the order they are due).
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: () => false });
    expect(next.timing!.map((t) => t.threadId)).toEqual([0]);
  });
});
