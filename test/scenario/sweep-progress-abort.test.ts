/**
 * runSweep's progress and abort (issue 10): onProgress counts up to every point, on worker threads
 * and in this thread; an abort rejects with its reason before the sweep is done (worker threads
 * terminated, an in-thread run stopped between points). The SFU twin, `after` points only (the
 * smallest sweep); every wait is on an event, the Jest timeout is a hang guard.
 */
import { describe, expect, it } from '@jest/globals';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import type { SweepRequest } from '../../src/scenario/sweep/session.js';

const REQUEST: SweepRequest = { rig: 'twin-rp2040-sfu', images: { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin' }, seed: 1 };
const AFTER = ['after'] as const;

function recorder() {
  const calls: [number, number][] = [];
  return { calls, onProgress: (done: number, total: number) => void calls.push([done, total]) };
}

describe('runSweep progress and abort', () => {
  it.each([2, 0])('onProgress counts up to every point (%i worker threads)', async (workers) => {
    const { calls, onProgress } = recorder();
    const run = await runSweep(REQUEST, { modes: AFTER, workers, join: 'at-once', onProgress });
    expect(run.results.length).toBeGreaterThan(100);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.at(-1)).toEqual([run.results.length, run.results.length]);
    expect(calls.every(([, total]) => total === run.results.length)).toBe(true);
    expect(calls.every(([done], i) => i === 0 || done >= calls[i - 1]![0])).toBe(true);
  });

  it('an abort on worker threads rejects with its reason before the sweep is done', async () => {
    const abort = new AbortController();
    const reason = new Error('stop the sweep');
    const { calls, onProgress } = recorder();
    const run = runSweep(REQUEST, {
      modes: AFTER,
      workers: 2,
      join: 'at-once',
      signal: abort.signal,
      onProgress: (done, total) => {
        onProgress(done, total);
        if (!abort.signal.aborted) abort.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    const [done, total] = calls[0]!;
    expect(done).toBeLessThan(total);
    expect(calls.some(([d, t]) => d === t)).toBe(false);
  });

  it('an abort in this thread stops between points', async () => {
    const abort = new AbortController();
    const reason = new Error('stop the sweep');
    const { calls, onProgress } = recorder();
    const run = runSweep(REQUEST, {
      modes: AFTER,
      workers: 0,
      signal: abort.signal,
      onProgress: (done, total) => {
        onProgress(done, total);
        abort.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(calls).toHaveLength(1);
  });

  it('an already-aborted signal rejects before any point', async () => {
    const reason = new Error('never started');
    const { calls, onProgress } = recorder();
    await expect(runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once', signal: AbortSignal.abort(reason), onProgress })).rejects.toBe(reason);
    expect(calls).toEqual([]);
  });

  it('worker threads serve the next sweep of the process; the threads of an aborted sweep are ended, not reused', async () => {
    const first = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once' });
    const again = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once' });
    const ids = (run: typeof first) => new Set(run.timing!.map((t) => t.threadId));
    // This thread (threadId 0) takes a share too, beside one worker thread.
    expect([...ids(first)].sort()).toEqual([0, expect.any(Number)]);
    // The same worker thread (idle between the sweeps), and the same answer.
    expect(ids(again)).toEqual(ids(first));
    expect(again.results.map((r) => `${r.point.op}:${r.outcome}:${r.stateHash}`)).toEqual(first.results.map((r) => `${r.point.op}:${r.outcome}:${r.stateHash}`));
    const abort = new AbortController();
    await expect(runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once', signal: abort.signal, onProgress: () => abort.abort(new Error('stop')) })).rejects.toThrow('stop');
    const after = await runSweep(REQUEST, { modes: AFTER, workers: 2, join: 'at-once' });
    // The aborted sweep took the idle thread and ended it: the next sweep starts a new one.
    for (const id of ids(after)) if (id !== 0) expect(ids(first).has(id)).toBe(false);
  });
});
