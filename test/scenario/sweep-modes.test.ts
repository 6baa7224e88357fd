/**
 * Sweep modes (issue 10 item 1): the points each mode gives on a recording. A synthetic op log
 * (plain data, no twin) pins the mapping of host triggers onto ops; equivalence of those points
 * with full runCut replays is in sweep-equivalence.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { SweepOp } from '../../src/drivers/device/twin-sweep.js';
import { modeProblem, pointAtProgress, pointAtTime, pointsFor, rangeValues, sampleOps, type SweepMode } from '../../src/scenario/sweep/modes.js';
import { everyOpPoints, mulberry32, pointSeed, seedFor, tornFractions } from '../../src/scenario/sweep/points.js';
import type { Recording } from '../../src/scenario/sweep/recording.js';
import { committedAt } from '../../src/scenario/sweep/recover.js';
import { formatPoint } from '../../src/scenario/sweep/point-text.js';
import { secondPoints } from '../../src/scenario/sweep/double.js';
import { parsePoint } from '../../src/cli/commands/sweep-options.js';

/** Ops of 10 ms every 20 ms from t = 1000 (update start at 1000): op k runs 1000+20k .. 1010+20k. */
function recording(n = 10, extra: Partial<Recording> = {}): Recording {
  const ops: SweepOp[] = Array.from({ length: n }, (_, i) => ({
    index: i,
    marker: i + 1,
    edgesBefore: i,
    kind: 'program',
    target: 'flash',
    address: 0x1000 * i,
    length: 256,
    startMs: 1000 + 20 * i,
    endMs: 1010 + 20 * i,
    durationMs: 10,
    stage: i < n / 2 ? 'update' : 'reboot',
  }));
  return { rig: 'r', variant: 'correct', setup: 's', seed: 1, ops, updateStartMs: 1000, progress: [], committed: false, outcome: 'updated', ...extra };
}

/** The every-op points as sweeps made them before torn fractions per op (one seeded fraction). */
function historical(ops: readonly SweepOp[], seed: number) {
  return ops.flatMap((op) =>
    (['before', 'after', 'torn'] as const).map((mode) => {
      const s = pointSeed(seed, op.index, mode);
      return { op: op.index, mode, seed: s, ...(mode === 'torn' && { fraction: 0.05 + 0.9 * mulberry32(s)() }) };
    }),
  );
}

describe('every-op', () => {
  it('one torn fraction per op gives exactly the points (and seeds) sweeps always gave', () => {
    const rec = recording(40);
    expect(pointsFor({ mode: 'every-op' }, rec, 77)).toEqual(historical(rec.ops, 77));
    expect(pointsFor({ mode: 'every-op', torn: 1, cut: ['before', 'after', 'torn'] }, rec, 77)).toEqual(historical(rec.ops, 77));
  });

  it('torn: N gives N fractions per op, one per slice of the op, each with its own seed, rebuilt by seedFor', () => {
    const rec = recording(20);
    const points = pointsFor({ mode: 'every-op', cut: ['torn'], torn: 4 }, rec, 5);
    expect(points).toHaveLength(80);
    for (const op of rec.ops) {
      const mine = points.filter((p) => p.op === op.index);
      const fractions = mine.map((p) => p.fraction!);
      fractions.forEach((f, i) => {
        expect(f).toBeGreaterThanOrEqual(0.05 + (0.9 * i) / 4);
        expect(f).toBeLessThan(0.05 + (0.9 * (i + 1)) / 4);
      });
      expect(new Set(mine.map((p) => p.seed)).size).toBe(4);
      for (const p of mine) expect(seedFor(5, p.op, 'torn', p.fraction)).toBe(p.seed);
    }
    // Seeded: the same sweep seed gives the same fractions, another seed others.
    expect(tornFractions(5, 3, 4)).toEqual(tornFractions(5, 3, 4));
    expect(tornFractions(6, 3, 4)).not.toEqual(tornFractions(5, 3, 4));
  });

  it('an op that never completed has no after point', () => {
    const rec = recording(3);
    const ops = rec.ops.map((o, i) => (i === 2 ? { ...o, endMs: undefined } : o));
    expect(everyOpPoints(ops, ['after'], 1).map((p) => p.op)).toEqual([0, 1]);
  });
});

describe('range: host triggers mapped onto the op log', () => {
  const rec = recording(10);

  it('after: inside an op is that op torn at the matching fraction', () => {
    const p = pointAtTime(rec, 20 * 3 + 2.5, 9);
    expect(p).toEqual({ op: 3, mode: 'torn', fraction: 0.25, seed: seedFor(9, 3, 'torn', 0.25) });
    // An op ending exactly at the cut is still in flight (the trigger's timer comes first): torn at 1.
    expect(pointAtTime(rec, 20 * 3 + 10, 9)).toMatchObject({ op: 3, mode: 'torn', fraction: 1 });
  });

  it('after: between ops is the state after the last finished op; an op starting at the cut has not started', () => {
    expect(pointAtTime(rec, 20 * 3 + 15, 9)).toEqual({ op: 3, mode: 'after', seed: pointSeed(9, 3, 'after') });
    expect(pointAtTime(rec, 20 * 4, 9)).toEqual({ op: 3, mode: 'after', seed: pointSeed(9, 3, 'after') });
    expect(pointAtTime(rec, 0, 9)).toEqual({ op: 0, mode: 'before', seed: pointSeed(9, 0, 'before') });
    expect(pointAtTime(rec, 10_000, 9)).toEqual({ op: 9, mode: 'after', seed: pointSeed(9, 9, 'after') });
  });

  it('after: between ops once the host saw the update finish, the point is the next op not started (its op tells the commit)', () => {
    // The update finished (committed) at 1095, after op 4 started: ops 5.. come after it.
    const done = recording(10, { committed: true, updateDoneMs: 1095, opsBeforeUpdateDone: 5 });
    const early = pointAtTime(done, 92, 1);
    expect(early).toMatchObject({ op: 4, mode: 'after' });
    expect(committedAt(done, early)).toBe(false);
    const late = pointAtTime(done, 97, 1);
    expect(late).toMatchObject({ op: 5, mode: 'before' });
    expect(late.atMs).toBeUndefined();
    expect(committedAt(done, late)).toBe(true);
  });

  it('after: a cut before any op, once the host saw the update finish, carries its time (no op can tell)', () => {
    // MCUboot's probe update writes no op the log counts: every op comes after the update's end.
    const done = recording(4, { committed: true, updateDoneMs: 1000.5, opsBeforeUpdateDone: 0, updateStartMs: 990 });
    const before = pointAtTime(done, 5, 1);
    expect(before).toMatchObject({ op: 0, mode: 'before', atMs: 5 });
    expect(committedAt(done, before)).toBe(false);
    expect(committedAt(done, pointAtTime(done, 10.6, 1))).toBe(true);
  });

  it('progress: the first report at or past the amount, placed among the ops as recorded', () => {
    const withProgress = recording(10, {
      progress: [
        { ms: 1, acked: 0, total: 4096, opsStarted: 0 },
        { ms: 22, acked: 1024, total: 4096, opsStarted: 2, inFlight: 1 },
        { ms: 35, acked: 2048, total: 4096, opsStarted: 2 },
        { ms: 200, acked: 4096, total: 4096, opsStarted: 10 },
      ],
    });
    expect(pointAtProgress(withProgress, { percent: 0 }, 1)).toMatchObject({ op: 0, mode: 'before' });
    expect(pointAtProgress(withProgress, { percent: 10 }, 1)).toMatchObject({ op: 1, mode: 'torn', fraction: 0.2 });
    expect(pointAtProgress(withProgress, { bytes: 2000 }, 1)).toMatchObject({ op: 1, mode: 'after' });
    expect(pointAtProgress(withProgress, { percent: 100 }, 1)).toMatchObject({ op: 9, mode: 'after' });
    expect(pointAtProgress(withProgress, { bytes: 5000 }, 1)).toBeUndefined();
  });

  it('marker: edge e is the op it starts, in each requested mode; values computed without drift', () => {
    const points = pointsFor({ mode: 'range', trigger: 'marker', from: 2, to: 8, step: 3, cut: ['before', 'torn'] }, rec, 3);
    expect(points.map((p) => `${p.op} ${p.mode}`)).toEqual(['1 before', '1 torn', '4 before', '4 torn', '7 before', '7 torn']);
    expect(rangeValues(0, 1, 0.1)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(pointsFor({ mode: 'range', trigger: 'after', from: 0, to: 200, step: 5 }, rec, 3)).toHaveLength(41);
  });
});

describe('random and double first cuts', () => {
  it('random: count seeded points in op order, the same for the same seed', () => {
    const rec = recording(50);
    const a = pointsFor({ mode: 'random', count: 30 }, rec, 11);
    expect(a).toHaveLength(30);
    expect(pointsFor({ mode: 'random', count: 30 }, rec, 11)).toEqual(a);
    expect(pointsFor({ mode: 'random', count: 30 }, rec, 12)).not.toEqual(a);
    expect(a.map((p) => p.op)).toEqual([...a.map((p) => p.op)].sort((x, y) => x - y));
    for (const p of a) expect(p.seed).toBe(seedFor(11, p.op, p.mode, p.fraction));
    expect(new Set(a.map((p) => p.mode)).size).toBe(3);
  });

  it('double: first cuts are every-op points on a seeded sample of ops', () => {
    const rec = recording(30);
    const sample = sampleOps(rec.ops, 7, 4).map((o) => o.index);
    expect(new Set(sample).size).toBe(7);
    const firsts = pointsFor({ mode: 'double', first: { sample: 7 }, second: {} }, rec, 4);
    expect([...new Set(firsts.map((p) => p.op))]).toEqual(sample);
    expect(firsts).toHaveLength(21);
  });
});

describe('bad modes name the field', () => {
  const cases: [SweepMode, string][] = [
    [{ mode: 'range', trigger: 'after', from: 0, to: 10, step: 0 }, 'step'],
    [{ mode: 'range', trigger: 'after', from: 10, to: 0, step: 1 }, 'from'],
    [{ mode: 'range', trigger: 'progress', from: 0, to: 120, step: 1 }, 'to'],
    [{ mode: 'range', trigger: 'marker', from: 1, to: 10, step: 0.5 }, 'step'],
    [{ mode: 'range', trigger: 'after', from: 0, to: 1e9, step: 1 }, 'step'],
    [{ mode: 'random', count: 0 }, 'count'],
    [{ mode: 'every-op', torn: 0 }, 'torn'],
    [{ mode: 'every-op', cut: [] }, 'cut'],
    [{ mode: 'double', first: { sample: 0 }, second: {} }, 'first.sample'],
    [{ mode: 'sideways' } as unknown as SweepMode, 'mode'],
  ];
  it.each(cases)('%j: %s', (mode, field) => {
    expect(modeProblem(mode)?.field).toBe(field);
    expect(() => pointsFor(mode, recording(2), 1)).toThrow(RangeError);
  });
});

describe('--point text rebuilds the point, seed included', () => {
  it('every-op with several torn fractions, random, range (timed) and double points read back equal from their text and the sweep seed', () => {
    const rec = recording(30, { committed: true, updateDoneMs: 1000.5, opsBeforeUpdateDone: 0, updateStartMs: 990 });
    const points = [
      ...pointsFor({ mode: 'every-op', torn: 3 }, rec, 41),
      ...pointsFor({ mode: 'random', count: 50 }, rec, 41),
      pointAtTime(rec, 5, 41),
      ...pointsFor({ mode: 'range', trigger: 'after', from: 0, to: 700, step: 3.7 }, rec, 41),
      ...secondPoints(pointsFor({ mode: 'every-op', cut: ['torn'] }, rec, 41)[4]!, { ops: 6, unfinished: [5] }, { mode: 'double', first: {}, second: {}, torn: 2 }),
    ];
    expect(points.some((p) => p.atMs !== undefined)).toBe(true);
    for (const p of points) expect(parsePoint(formatPoint(p), 41)).toEqual(p);
    expect(formatPoint({ op: 3, mode: 'torn', fraction: 0.25, seed: 1, second: { op: 2, mode: 'after', seed: 1 } })).toBe('3:torn:0.25/2:after');
  });
});
