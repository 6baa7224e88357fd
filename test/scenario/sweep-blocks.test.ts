/**
 * How a sweep's points are grouped for its worker threads: blocks of consecutive ops, in op
 * order, each point once, a block's points in list order (an op's points stay together, so a
 * double sweep's second cuts follow their first cut in one worker).
 */
import { describe, expect, it } from '@jest/globals';
import { blocksOf } from '../../src/scenario/sweep/worker.js';
import type { SweepCutPoint } from '../../src/scenario/sweep/points.js';

const point = (op: number, mode: SweepCutPoint['mode'] = 'before'): SweepCutPoint => ({ op, mode, seed: op });

describe('sweep worker blocks', () => {
  it('covers every point once, by block of 16 ops in op order, list order within a block', () => {
    const points = [point(40), point(0), point(17, 'torn'), point(1, 'after'), point(15), point(16), point(40, 'torn'), point(100)];
    const blocks = blocksOf(points);
    expect(blocks).toEqual([[1, 3, 4], [2, 5], [0, 6], [7]]);
    expect(blocks.flat().sort((a, b) => a - b)).toEqual(points.map((_, i) => i));
  });

  it('no points, no blocks', () => {
    expect(blocksOf([])).toEqual([]);
  });
});
