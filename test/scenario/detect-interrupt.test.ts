/**
 * Ctrl-C during `hil detect` in its own thread (--workers 0) on the two-processor product: the
 * abort comes from a signal handler, a macrotask, and must reach the sweep within a few points. A
 * twin's batched clock runs its events in process ticks, so the event loop turned only when a
 * whole task (a sweep's ~2,500 points) was done: the interrupt waited for it, and a product's
 * device left running after its last point kept the thread busy forever (seed 000, issue 13).
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadSuite } from '../../src/config/index.js';
import { detectPlan } from '../../src/scenario/detect/plan.js';
import { runDetect } from '../../src/scenario/detect/run-detect.js';
import { ROOT } from '../cli/hil.js';

const SUITE = join(ROOT, 'suites/product/detect-product-double.yaml');

describe('hil detect on the product, in this thread', () => {
  it('an abort from a macrotask (as a signal handler is) stops it within a few points of the first sweep', async () => {
    const plan = await detectPlan([await loadSuite(SUITE)]);
    const abort = new AbortController();
    const reason = new Error('Ctrl-C');
    let at: number | undefined;
    let last = 0;
    const run = runDetect(plan, {
      workers: 0,
      signal: abort.signal,
      onProgress: (p) => {
        last = p.points;
        // A timer, not a direct call: what a signal handler gets is a turn of the event loop.
        if (at === undefined && p.points >= 10) {
          at = p.points;
          setTimeout(() => abort.abort(reason), 0);
        }
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(at).toBeDefined();
    // The first sweep alone is ~2,500 points: the abort was seen long before its end.
    expect(last - at!).toBeLessThan(100);
  });
});
