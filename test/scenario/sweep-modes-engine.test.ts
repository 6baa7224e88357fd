/**
 * A sweep mode through the engine (issue 10 item 1): the mode travels in the request, and each
 * worker thread computes the mode's points from its own recording: the points and outcomes equal
 * those of this thread's session (points from the mode on its recording, recovered in turn).
 */
import { describe, expect, it } from '@jest/globals';
// CPU-bound sweeps: the sweeps project's hang guard (this file belongs in jest.config.js's SWEEPS list).
import '../helpers/sweep-timeout.js';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import type { SweepMode } from '../../src/scenario/sweep/modes.js';
import type { PointResult } from '../../src/scenario/sweep/recover.js';
import { SweepSession, withMode, type SweepRequest } from '../../src/scenario/sweep/session.js';

const REQUEST: SweepRequest = { rig: 'twin-rp2040-sfu', twin: { variant: 'sign-before-flush' }, images: { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin' }, seed: 9 };
const line = (r: PointResult) => `${r.point.op} ${r.point.mode} ${r.point.fraction ?? ''} ${r.point.seed}: ${r.outcome} ${r.stateHash.slice(0, 16)}`;

describe('sweep modes on the engine', () => {
  it.each<[string, SweepMode]>([
    ['random', { mode: 'random', count: 60 }],
    ['range after', { mode: 'range', trigger: 'after', from: 0, to: 3000, step: 100 }],
    ['marker, torn, late ops', { mode: 'range', trigger: 'marker', from: 600, to: 645, step: 1, cut: ['torn'] }],
    ['every-op, 2 torn fractions', { mode: 'every-op', cut: ['torn'], torn: 2 }],
  ])('%s: worker threads compute the points from the mode and give the in-thread results', async (_name, mode) => {
    const session = await SweepSession.open(REQUEST);
    const here: string[] = [];
    try {
      for (const p of session.pointsFor(mode)) here.push(line(await session.recover(p)));
    } finally {
      await session.close();
    }
    const run = await runSweep(withMode(REQUEST, mode), { workers: 2, join: 'at-once' });
    expect(run.results.map(line)).toEqual(here);
    expect(here.length).toBeGreaterThan(20);
  });

  it('runSweep(request, {mode}) gives the points of withMode(request, mode)', async () => {
    const mode: SweepMode = { mode: 'random', count: 12 };
    const viaOption = await runSweep(REQUEST, { mode, workers: 0 });
    const viaRequest = await runSweep(withMode(REQUEST, mode), { workers: 0 });
    expect(viaOption.results.map(line)).toEqual(viaRequest.results.map(line));
    // Not every op: the option was taken (an every-op sweep of this update has hundreds of points).
    expect(viaOption.results).toHaveLength(12);
  });
});
