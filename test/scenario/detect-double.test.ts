// Which double cuts hil detect tries (src/scenario/detect/double-rule.ts, wantsDouble): a seeded,
// deterministic sample of first cuts on distinct ops, and double cuts only where a suite asks for
// second cuts and the sweep is a correct bootloader or a seeded bug no one-cut point caught.
import { describe, expect, it } from '@jest/globals';
import { DOUBLE_CANDIDATES, doubleCandidates } from '../../src/scenario/detect/double-rule.js';
import type { DetectPlan, DetectUse } from '../../src/scenario/detect/plan.js';
import { wantsDouble, type DetectSweepOutcome } from '../../src/scenario/detect/run-detect.js';
import { seedFor } from '../../src/scenario/sweep/points.js';

const op = (index: number, done = true) => ({
  index,
  edgesBefore: index,
  kind: 'program' as const,
  target: 'flash' as const,
  address: index * 4,
  length: 4,
  startMs: index,
  ...(done && { endMs: index + 0.5 }),
  durationMs: 0.5,
  stage: 'reboot',
});

describe('doubleCandidates', () => {
  it('is a seeded sample of distinct ops, each in one cut mode, seeded as every-op seeds its points', () => {
    const ops = Array.from({ length: 500 }, (_, i) => op(i, i !== 499));
    const a = doubleCandidates(ops, 1);
    expect(a).toEqual(doubleCandidates(ops, 1));
    expect(a).not.toEqual(doubleCandidates(ops, 2));
    expect(a).toHaveLength(DOUBLE_CANDIDATES);
    expect(new Set(a.map((p) => p.op)).size).toBe(DOUBLE_CANDIDATES);
    for (const p of a) expect(p.seed).toBe(seedFor(1, p.op, p.mode, p.fraction));
    // Not in op order: the first few taken are spread over the update.
    expect(a.map((p) => p.op)).not.toEqual([...a.map((p) => p.op)].sort((x, y) => x - y));
    const short = [op(0), op(1, false)];
    for (let seed = 1; seed < 40; seed++) expect(doubleCandidates(short, seed).filter((p) => p.op === 1 && p.mode === 'after')).toEqual([]);
  });
});

describe('wantsDouble', () => {
  const use = (variant: string, safe = ['updated', 'rolled-back'], secondCuts = [0]): DetectUse => ({
    suite: 's',
    suiteFile: '/s.yaml',
    entry: 0,
    scheme: 'mcuboot-swap',
    variant,
    buggy: variant !== 'correct',
    safe,
    sweep: 'k',
    repro: { rig: '/r.yaml', from: '/a', to: '/b', setup: 'test', offMs: 200 },
    secondCuts,
  });
  const out = (outcomes: string[], double = true): DetectSweepOutcome => ({
    sweep: { key: 'k', request: { rig: '/r.yaml', images: { from: '/a', to: '/b' }, seed: 1 }, scheme: 'mcuboot-swap', variant: 'v', label: 'k', ...(double && { double: true as const }) },
    results: outcomes.map((o, i) => ({ point: { op: i, mode: 'before', seed: 1 }, outcome: o as 'updated', reasons: [] })),
    decisionOps: [],
  });
  const plan = (...uses: DetectUse[]): DetectPlan => ({ sweeps: [], uses });

  it('a correct bootloader always (it must stay clean under second cuts too)', () => {
    expect(wantsDouble(plan(use('correct')), out(['updated', 'bricked']))).toBe(true);
  });
  it('a seeded bug only when no one-cut point caught it', () => {
    expect(wantsDouble(plan(use('resume-unjournaled')), out(['updated', 'rolled-back']))).toBe(true);
    expect(wantsDouble(plan(use('no-status-journal')), out(['updated', 'bricked']))).toBe(false);
  });
  it('never on a sweep no suite asks second cuts of', () => {
    expect(wantsDouble(plan(use('correct')), out(['updated'], false))).toBe(false);
  });
});
