// The pure parts of a sweep's report (src/report/sweep-result.ts, sweep-summary.ts, sweep-command.ts):
// failing points folded into windows, the capped choice of points with results of their own, the
// listing, and the summary spreading a sweep record back into its points.
import { describe, expect, it } from '@jest/globals';
import { failingPointsText, failingWindows, MAX_LISTED_POINTS, pointArgument, pointsWithResults } from '../../src/report/sweep-result.js';
import { summaryRecords } from '../../src/report/sweep-summary.js';
import { sweepCommand } from '../../src/report/sweep-command.js';
import { summarizeRecords } from '../../src/report/summary.js';
import type { CutRecord } from '../../src/report/plan.js';
import type { PointResult } from '../../src/scenario/sweep/recover.js';
import type { Outcome } from '../../src/config/vocabulary.js';

const point = (op: number, mode: 'before' | 'after' | 'torn', outcome: Outcome): PointResult => ({
  point: { op, mode, seed: op, ...(mode === 'torn' && { fraction: 0.25 }) },
  outcome,
  reasons: [`reason ${op}`],
  stateHash: 'x',
});

describe('failing points', () => {
  const failing = [point(3, 'torn', 'bricked'), point(4, 'torn', 'bricked'), point(5, 'torn', 'wrong-image'), point(9, 'torn', 'bricked'), point(4, 'before', 'bricked')];

  it('fold into windows of consecutive ops with the same mode and outcome', () => {
    expect(failingWindows(failing).map((w) => [w.mode, w.first.point.op, w.last.point.op, w.points, w.outcome])).toEqual([
      ['before', 4, 4, 1, 'bricked'],
      ['torn', 3, 4, 2, 'bricked'],
      ['torn', 5, 5, 1, 'wrong-image'],
      ['torn', 9, 9, 1, 'bricked'],
    ]);
  });

  it('the first of each window gets a result first, capped', () => {
    expect(pointsWithResults(failing, 2).map((r) => `${r.point.op}:${r.point.mode}`)).toEqual(['3:torn', '4:before']);
    expect(pointsWithResults(failing, 10)).toHaveLength(5);
    expect(pointsWithResults(failing, 1)).toHaveLength(1);
  });

  it('lists counts, windows and points (capped, said so), and how to replay one', () => {
    const many = Array.from({ length: MAX_LISTED_POINTS + 5 }, (_, i) => point(i * 2, 'after', 'bricked'));
    const text = failingPointsText({ title: 't', ops: [], results: [...many, point(1, 'after', 'updated')], failing: many, expected: ['updated'], withResults: 10, pointCommand: 'hil sweep --rig r' });
    expect(text).toContain(`t: ${many.length + 1} points, ${many.length} failing (expected: updated)`);
    expect(text).toContain(`outcomes: bricked ${many.length}, updated 1`);
    expect(text).toContain('hil sweep --rig r --point OP:MODE[:FRACTION]');
    expect(text).toContain(`failing points (first ${MAX_LISTED_POINTS} of ${many.length})`);
    expect(text).toContain(`10 of the ${many.length} failing points have a result of their own`);
  });

  it('a point argument keeps the full fraction (the point seed depends on it)', () => {
    expect(pointArgument({ op: 7, mode: 'torn', fraction: 0.123456789012, seed: 1 })).toBe('7:torn:0.123456789012');
    expect(pointArgument({ op: 7, mode: 'after', seed: 1 })).toBe('7:after');
  });
});

describe('the CLI summary of sweep records', () => {
  const base = { suite: 's', rig: 'r', expect: 'recovers' as const, trigger: 'every-op/torn', repro: '' };
  const records: CutRecord[] = [
    { ...base, kind: 'cut', test: 'cut 01', outcome: 'updated', status: 'passed' },
    { ...base, kind: 'sweep', test: 'sweep every-op/torn: 5 points', outcome: 'failing', status: 'failed', points: 5, counts: { updated: 3, bricked: 2 }, failing: 2, failingCounts: { bricked: 2 } },
    { ...base, kind: 'sweep-point', test: 'sweep every-op/torn op 3', outcome: 'bricked', status: 'failed' },
  ];

  it('counts a sweep as its points and a failing point once', () => {
    const { rigs, totals } = summarizeRecords(summaryRecords(records));
    expect(rigs[0]).toMatchObject({ cuts: 6, outcomes: { updated: 4, bricked: 2 }, passed: 4, failed: 2 });
    expect(totals.failed).toBe(2);
  });
});

describe('the hil sweep line of a suite sweep', () => {
  const base = { rig: '/x/rigs/r.yaml', from: '/x/a.bin', to: '/x/b.bin', seed: 3, offMs: 200 };
  it('carries each mode its options, and the suite off time', () => {
    expect(sweepCommand({ ...base, sweep: { mode: 'every-op', cut: ['torn'], torn: 4 } })).toBe(
      'hil sweep --rig /x/rigs/r.yaml --from /x/a.bin --to /x/b.bin --mode every-op --modes torn --torn 4 --seed 3 --off-ms 200',
    );
    expect(sweepCommand({ ...base, sweep: { mode: 'range', trigger: 'after', from: 0, to: 1500, step: 250 } })).toContain('--mode range --trigger after:0ms..1500ms --step 250ms --seed 3');
    expect(sweepCommand({ ...base, sweep: { mode: 'range', trigger: 'progress', from: 5, to: 95, step: 10 } })).toContain('--trigger progress:5%..95% --step 10 ');
    expect(sweepCommand({ ...base, sweep: { mode: 'random', count: 50 } })).toContain('--mode random --count 50 ');
    expect(sweepCommand({ ...base, sweep: { mode: 'double', first: { sample: 3 }, second: {} } })).toContain('--mode double --sample 3 ');
    expect(sweepCommand({ ...base, sweep: { mode: 'double', first: {}, second: { sample: 5 } } })).toContain('--sample all/5 ');
  });

  it('a double point reads back as hil sweep --point takes it', () => {
    expect(pointArgument({ op: 4, mode: 'after', seed: 1, second: { op: 2, mode: 'torn', fraction: 0.5, seed: 1 } })).toBe('4:after/2:torn:0.5');
  });
});
