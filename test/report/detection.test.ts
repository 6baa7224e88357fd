/** The detection table from sweep results: windows, the first catch, shared sweeps, replays, rig errors (no twin: hand-made results). */
import { describe, expect, it } from '@jest/globals';
import { detectionOk, detectionRows, formatDetectionTable, formatKnown, formatPercent, pointLabel, unseenKnown, type DetectionRepros } from '../../src/report/detection.js';
import type { KnownWeakness } from '../../src/config/suite-schema.js';
import type { DetectPlan, DetectUse } from '../../src/scenario/detect/plan.js';
import { pointOrder, type DetectRunResult, type DetectSweepOutcome } from '../../src/scenario/detect/run-detect.js';
import type { DetectPointOutcome } from '../../src/scenario/detect/tasks.js';
import type { Recording } from '../../src/scenario/sweep/recording.js';
import type { SweepRequest } from '../../src/scenario/sweep/session.js';

const request: SweepRequest = { rig: '/r.yaml', images: { from: '/a', to: '/b' }, seed: 1 };

function use(over: Partial<DetectUse> & Pick<DetectUse, 'variant' | 'sweep'>): DetectUse {
  return {
    suite: 's',
    suiteFile: '/s.yaml',
    entry: 0,
    scheme: 'sfu-ab',
    buggy: over.variant !== 'correct',
    safe: ['updated', 'rolled-back'],
    repro: { rig: '/r.yaml', twin: { variant: over.variant }, from: '/a', to: '/b', setup: 'default', offMs: 200 },
    secondCuts: [],
    ...over,
  };
}

const op = (index: number) => ({
  index,
  marker: index + 1,
  edgesBefore: index,
  kind: 'program' as const,
  target: 'flash' as const,
  address: 0x1000 + 16 * index,
  length: 16,
  startMs: index,
  endMs: index + 0.1,
  durationMs: 0.1,
  stage: 'update',
  phase: 'write B',
});
const recording: Recording = { rig: 'r', variant: 'v', setup: 'default', seed: 1, ops: [op(0), op(1), op(2)], updateStartMs: 0, progress: [], committed: true, outcome: 'updated' };

function sweep(key: string, results: DetectPointOutcome[], decisionOps: number[] = []): DetectSweepOutcome {
  return { sweep: { key, request, scheme: 'sfu-ab', variant: 'v', label: key }, recording, results, decisionOps };
}

const pt = (o: number, mode: 'before' | 'after' | 'torn', outcome: DetectPointOutcome['outcome'], extra: Partial<DetectPointOutcome> = {}): DetectPointOutcome => ({
  point: { op: o, mode, seed: 7, ...(mode === 'torn' && { fraction: 0.375 }) },
  outcome,
  reasons: outcome === 'updated' || outcome === 'rolled-back' ? [] : [`why ${o}`],
  ...extra,
});

const repros: DetectionRepros = { point: (_u, _s, r) => ({ repro: `hil sweep --point ${pointLabel(r)}`, cut: `hil cut ${r.point.op}` }), replay: (_u, r) => `replay cut ${r.index}` };

describe('detectionRows', () => {
  it('counts every op state, the catching ones and the window; the first catch is the earliest point in time order, with its repro', () => {
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'bug', sweep: 'k' })] };
    const results = [
      pt(0, 'before', 'rolled-back'),
      pt(0, 'torn', 'rolled-back'),
      pt(0, 'after', 'rolled-back'),
      pt(1, 'before', 'rolled-back'),
      pt(1, 'torn', 'wrong-image'),
      pt(1, 'after', 'bricked'),
      pt(1, 'torn', 'wrong-image', { decision: true }),
    ];
    const run: DetectRunResult = { sweeps: new Map([['k', sweep('k', results, [1])]]), replays: [], workers: 0 };
    const [row] = detectionRows(plan, run, repros);
    expect(row).toMatchObject({
      variant: 'bug',
      buggy: true,
      points: 7,
      catching: 3,
      caught: true,
      decision: { ops: 1, points: 1, catching: 1 },
      outcomes: { 'rolled-back': 4, 'wrong-image': 2, bricked: 1 },
    });
    expect(row!.windowPercent).toBeCloseTo((100 * 3) / 7);
    expect(row!.first).toEqual({
      suite: 's',
      point: '1:torn:0.375',
      where: 'program flash @0x1010+16, update/write B',
      outcome: 'wrong-image',
      reasons: ['why 1'],
      source: 'sweep',
      repro: 'hil sweep --point 1:torn:0.375',
      cut: 'hil cut 1',
    });
    expect(detectionOk([row!])).toBe(true);
  });

  it('a correct bootloader with one failing point is flagged (a finding, not hidden) and fails the run', () => {
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'correct', sweep: 'k' })] };
    const run: DetectRunResult = { sweeps: new Map([['k', sweep('k', [pt(0, 'before', 'updated'), pt(2, 'torn', 'boot-loop')])]]), replays: [], workers: 0 };
    const rows = detectionRows(plan, run, repros);
    expect(rows[0]).toMatchObject({ buggy: false, caught: true, catching: 1, first: { point: '2:torn:0.375', outcome: 'boot-loop' } });
    expect(detectionOk(rows)).toBe(false);
    expect(formatDetectionTable(rows)).toMatch(/sfu-ab\s+correct\s+correct\s+2\s+1\s+50\.0 %\s+0\/0 \(0 ops\)\s+-\s+-\s+-\s+updated:1 boot-loop:1\s+yes\s+FALSE ALARM \/ FAILS/);
  });

  // expect.known: an accepted weakness of a correct bootloader (op 2 is a program at 0x1020+16).
  const known = (over: Partial<KnownWeakness> = {}): KnownWeakness => ({
    index: 0,
    outcomes: ['boot-loop'],
    cuts: ['torn'],
    op: { kind: 'program', address: { from: 0x1024, to: 0x1024 } },
    reason: 'torn flag',
    ref: 'up#1',
    ...over,
  });

  it('a known weakness turns its points into known: counted apart, listed with reason and ref, the run passes', () => {
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'correct', sweep: 'k', known: [known()] })] };
    const run: DetectRunResult = { sweeps: new Map([['k', sweep('k', [pt(0, 'before', 'updated'), pt(2, 'torn', 'boot-loop')])]]), replays: [], workers: 0 };
    const rows = detectionRows(plan, run, repros);
    expect(rows[0]).toMatchObject({
      caught: false,
      catching: 0,
      points: 2,
      known: { points: 1, hits: [{ suite: 's', points: 1, first: { point: '2:torn:0.375', outcome: 'boot-loop', repro: 'hil sweep --point 2:torn:0.375' } }] },
    });
    expect(rows[0]!.first).toBeUndefined();
    expect(detectionOk(rows)).toBe(true);
    expect(unseenKnown(plan, rows)).toEqual([]);
    expect(formatDetectionTable(rows)).toMatch(/sfu-ab\s+correct\s+correct\s+2\s+0\s+0 %\s+0\/0 \(0 ops\)\s+-\s+-\s+1\s+updated:1 boot-loop:1\s+no\s+ok/);
    expect(formatKnown(rows[0]!).join('\n')).toBe(
      [
        'sfu-ab/correct: known weakness (s expect.known[0]): 1 point(s), first 2:torn:0.375 -> boot-loop (program flash @0x1020+16, update/write B)',
        '  reason: torn flag [up#1]',
        '  replay it with: hil sweep --point 2:torn:0.375',
      ].join('\n'),
    );
  });

  it.each([
    ['another address', { op: { kind: 'program' as const, address: { from: 0x2000, to: 0x2fff } } }],
    ['another outcome', { outcomes: ['bricked' as const] }],
    ['another cut mode', { cuts: ['after' as const] }],
    ['another op kind', { op: { kind: 'erase' as const, address: { from: 0x1024, to: 0x1024 } } }],
  ])('a known entry that does not match (%s) leaves the failure, and is reported as not seen', (_what, over) => {
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'correct', sweep: 'k', known: [known(over)] })] };
    const run: DetectRunResult = { sweeps: new Map([['k', sweep('k', [pt(0, 'before', 'updated'), pt(2, 'torn', 'boot-loop')])]]), replays: [], workers: 0 };
    const rows = detectionRows(plan, run, repros);
    expect(rows[0]).toMatchObject({ caught: true, catching: 1, known: { points: 0, hits: [] }, first: { point: '2:torn:0.375' } });
    expect(detectionOk(rows)).toBe(false);
    expect(unseenKnown(plan, rows)).toEqual([{ suite: 's', suiteFile: '/s.yaml', known: known(over) }]);
  });

  it('double points count in the window and apart; the first catch is the earliest by first cut, then second cut; its label carries the second cut', () => {
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'bug', sweep: 'k' })] };
    const second = (o: number, mode: 'before' | 'after', outcome: DetectPointOutcome['outcome'], op2: number): DetectPointOutcome => ({
      ...pt(o, mode, outcome),
      point: { op: o, mode, seed: 7, second: { op: op2, mode: 'torn', fraction: 0.25, seed: 7 } },
      double: true,
    });
    const results = [pt(0, 'before', 'updated'), pt(1, 'before', 'updated'), second(1, 'before', 'updated', 2), second(1, 'before', 'bricked', 5), second(1, 'before', 'bricked', 3)].sort(pointOrder);
    const run: DetectRunResult = { sweeps: new Map([['k', sweep('k', results)]]), replays: [], workers: 0 };
    const [row] = detectionRows(plan, run, repros);
    expect(row).toMatchObject({ points: 5, catching: 2, double: { points: 3, catching: 2 }, caught: true });
    expect(row!.first).toMatchObject({ point: '1:before/3:torn:0.25', where: 'program flash @0x1010+16, update/write B; then cut torn at op 3 of the recovery it starts' });
    expect(formatDetectionTable([row!])).toMatch(/\s2\/3\s+-\s+-\s+updated:3 bricked:2/);
  });

  it('a known point of a seeded bug is no catch: the bug must be caught elsewhere', () => {
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'bug', sweep: 'k', known: [known()] })] };
    const run: DetectRunResult = { sweeps: new Map([['k', sweep('k', [pt(0, 'before', 'updated'), pt(2, 'torn', 'boot-loop')])]]), replays: [], workers: 0 };
    const rows = detectionRows(plan, run, repros);
    expect(rows[0]).toMatchObject({ buggy: true, caught: false, known: { points: 1 } });
    expect(detectionOk(rows)).toBe(false);
  });

  it('entries sharing one sweep and safe set count it once; another safe set judges the same points again', () => {
    const results = [pt(0, 'before', 'updated'), pt(0, 'after', 'rolled-back')];
    const plan: DetectPlan = {
      sweeps: [],
      uses: [use({ variant: 'correct', sweep: 'k' }), use({ variant: 'correct', sweep: 'k', suite: 'other' }), use({ variant: 'correct', sweep: 'k', suite: 'strict', safe: ['rolled-back'] })],
    };
    const rows = detectionRows(plan, { sweeps: new Map([['k', sweep('k', results)]]), replays: [], workers: 0 }, repros);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ points: 4, catching: 1, caught: true, first: { suite: 'strict', point: '0:before', outcome: 'updated' } });
  });

  it('the settled point is named so; second-cut replays count apart from the window and catch when the sweep does not', () => {
    const settled = pt(2, 'after', 'wrong-image', { settled: true, point: { op: 2, mode: 'after', seed: 1, atMs: 3200 } });
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'lost', sweep: 'k' }), use({ variant: 'resume', sweep: 'k2', secondCuts: [1, 2] })] };
    const run: DetectRunResult = {
      sweeps: new Map([
        ['k', sweep('k', [pt(0, 'before', 'rolled-back'), settled])],
        ['k2', sweep('k2', [pt(0, 'before', 'updated')])],
      ]),
      replays: [
        {
          use: 1,
          results: [
            { index: 1, outcome: 'updated', agree: true, trigger: 'after:8000ms + second cut 8000ms', reasons: [] },
            { index: 2, outcome: 'bricked', agree: true, trigger: 'after:8000ms + second cut 9500ms', reasons: ['x'] },
          ],
        },
      ],
      workers: 0,
    };
    const [lost, resume] = detectionRows(plan, run, repros);
    expect(lost!.first).toMatchObject({ point: '2:after@3200', where: 'settled: after every op, the host having seen the update done', repro: 'hil sweep --point 2:after@3200' });
    expect(resume).toMatchObject({ points: 1, catching: 0, windowPercent: 0, secondCuts: { cuts: 2, catching: 1 }, caught: true });
    expect(resume!.first).toEqual({ suite: 's', point: 'after:8000ms + second cut 9500ms', outcome: 'bricked', reasons: ['x'], source: 'second-cut replay', repro: 'replay cut 2' });
  });

  it('a sweep that could not run is a rig error for every row using it, never a detection', () => {
    const plan: DetectPlan = { sweeps: [], uses: [use({ variant: 'bug', sweep: 'k' })] };
    const failed: DetectSweepOutcome = { ...sweep('k', []), error: 'recording the update on r failed: boom' };
    const rows = detectionRows(plan, { sweeps: new Map([['k', failed]]), replays: [], workers: 0 }, repros);
    expect(rows[0]).toMatchObject({ rigErrors: 1, caught: false, errors: ['s: recording the update on r failed: boom'] });
    expect(formatDetectionTable(rows)).toMatch(/RIG ERROR/);
    expect(detectionOk(rows)).toBe(false);
  });
});

describe('pointLabel', () => {
  it('writes a point as hil sweep --point reads it: fractions in full, the time of a settled point', () => {
    expect(pointLabel({ point: { op: 1122, mode: 'torn', fraction: 0.375, seed: 1 } })).toBe('1122:torn:0.375');
    expect(pointLabel({ point: { op: 3, mode: 'torn', fraction: 0.1 + 0.2, seed: 1 } })).toBe('3:torn:0.30000000000000004');
    expect(pointLabel({ point: { op: 644, mode: 'after', seed: 1, atMs: 3200 } })).toBe('644:after@3200');
  });
});

describe('formatPercent', () => {
  it('keeps a small window readable (tardigrade-style figures)', () => {
    expect([0, 100, 0.0889, 9.7, 33.33, 97.5].map(formatPercent)).toEqual(['0 %', '100 %', '0.089 %', '9.70 %', '33.3 %', '97.5 %']);
  });
});
