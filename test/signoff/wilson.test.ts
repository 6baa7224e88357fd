/**
 * The sign-off's statistics against values worked by hand (and against the textbook's tables):
 * z of a confidence, the Wilson interval including n = 0, all recovered and none recovered, the
 * number of cuts a threshold needs, and the cell verdict rules (a brick fails whatever the rate,
 * rig errors make a cell incomplete only when they could have changed the answer).
 */
import { describe, expect, test } from '@jest/globals';
import { judgeCell, percent, recoveredCutsToPass, share } from '../../src/signoff/judge.js';
import { normalCdf, pointsNeeded, wilson, wilsonLower, zFor } from '../../src/signoff/wilson.js';

const Z95 = 1.959963984540054;

describe('z of a confidence (two-sided)', () => {
  test('95 % -> 1.95996, 99 % -> 2.57583, 90 % -> 1.64485 (standard normal quantiles)', () => {
    expect(zFor(0.95)).toBeCloseTo(Z95, 9);
    expect(zFor(0.99)).toBeCloseTo(2.5758293035489, 9);
    expect(zFor(0.9)).toBeCloseTo(1.6448536269515, 9);
  });

  test('the normal CDF it inverts: Φ(0) = 0.5, Φ(1.96) = 0.975, Φ(-1) = 0.158655', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(Z95)).toBeCloseTo(0.975, 12);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393146, 12);
  });
});

describe('Wilson score interval', () => {
  test('95 of 100 at z = 1.96: [0.8883, 0.9785] (worked by hand: centre 0.93335, half-width 0.04510)', () => {
    // p = 0.95, z² = 3.84146, z²/n = 0.0384146; centre = (0.95 + 0.0192073) / 1.0384146 = 0.933353;
    // half = 1.95996 / 1.0384146 · sqrt(0.000475 + 0.0000960365) = 1.887455 · 0.0238964 = 0.045104.
    const { lower, upper } = wilson(95, 100, Z95);
    expect(lower).toBeCloseTo(0.888249, 5);
    expect(upper).toBeCloseTo(0.978457, 5);
  });

  test('n = 0 says nothing: [0, 1]', () => {
    expect(wilson(0, 0, Z95)).toEqual({ lower: 0, upper: 1 });
  });

  test('all recovered: the lower bound is n / (n + z²), the upper exactly 1', () => {
    for (const n of [1, 10, 380, 381, 1935]) {
      const { lower, upper } = wilson(n, n, Z95);
      expect(lower).toBeCloseTo(n / (n + Z95 * Z95), 12);
      expect(upper).toBe(1);
    }
    // 10 of 10 at 95 %: 10 / 13.841459 = 0.722467 (a perfect small sample proves little).
    expect(wilsonLower(10, 10, Z95)).toBeCloseTo(0.722467, 5);
  });

  test('none recovered: the lower bound is exactly 0, the upper z² / (n + z²)', () => {
    const { lower, upper } = wilson(0, 50, Z95);
    expect(lower).toBe(0);
    expect(upper).toBeCloseTo((Z95 * Z95) / (50 + Z95 * Z95), 12);
  });

  test('1 of 1, 0 of 1 and refusals of impossible counts', () => {
    expect(wilson(1, 1, Z95).lower).toBeCloseTo(1 / (1 + Z95 * Z95), 12);
    expect(wilson(0, 1, Z95).upper).toBeCloseTo((Z95 * Z95) / (1 + Z95 * Z95), 12);
    expect(() => wilson(3, 2, Z95)).toThrow(RangeError);
    expect(() => wilson(-1, 2, Z95)).toThrow(RangeError);
    expect(() => wilson(1.5, 2, Z95)).toThrow(RangeError);
  });
});

describe('cuts a threshold needs (all recovered): n >= z²·p / (1 - p)', () => {
  test('99 % at 95 %: 381 (380 gives 98.99 %), 99.9 %: 3,838, 95 % at 90 %: 52, 80 % at 95 %: 16', () => {
    expect(pointsNeeded(0.99, Z95)).toBe(381);
    expect(wilsonLower(380, 380, Z95)).toBeLessThan(0.99);
    expect(wilsonLower(381, 381, Z95)).toBeGreaterThanOrEqual(0.99);
    expect(pointsNeeded(0.999, Z95)).toBe(3838);
    expect(pointsNeeded(0.95, zFor(0.9))).toBe(52);
    expect(pointsNeeded(0.8, Z95)).toBe(16);
  });
});

describe('a cell verdict', () => {
  const threshold = { recovery: 0.99, z: Z95 };
  const safe = ['updated', 'rolled-back'];
  const never = ['bricked', 'wrong-image'];

  test('400 recovered cuts pass; one brick among 4,000 fails whatever the rate', () => {
    expect(judgeCell({ outcomes: { updated: 100, 'rolled-back': 300 }, rigErrors: 0, notRun: 0 }, threshold, safe, never).status).toBe('pass');
    const brick = judgeCell({ outcomes: { updated: 3999, bricked: 1 }, rigErrors: 0, notRun: 0 }, threshold, safe, never);
    expect(brick.rate).toBeCloseTo(0.99975, 6);
    expect(brick.bound.lower).toBeGreaterThan(0.99);
    expect(brick.status).toBe('fail');
    expect(brick.reasons[0]).toMatch(/1 bricked: never acceptable/);
  });

  test('too few cuts fail, and say how many are needed', () => {
    const j = judgeCell({ outcomes: { updated: 100 }, rigErrors: 0, notRun: 0 }, threshold, safe, never);
    expect(j.status).toBe('fail');
    expect(j.reasons.join(' ')).toMatch(/at least 381/);
  });

  test('rig errors: incomplete when the missing cuts could have passed it, fail when even they could not, listed apart on a pass', () => {
    expect(judgeCell({ outcomes: { updated: 300 }, rigErrors: 100, notRun: 0 }, threshold, safe, never).status).toBe('incomplete');
    expect(judgeCell({ outcomes: { updated: 290, waiting: 10 }, rigErrors: 100, notRun: 0 }, threshold, safe, never).status).toBe('fail');
    const pass = judgeCell({ outcomes: { updated: 1000 }, rigErrors: 3, notRun: 0 }, threshold, safe, never);
    expect(pass.status).toBe('pass');
    expect(pass.deviceResults).toBe(1000);
    expect(pass.reasons.join(' ')).toMatch(/3 rig errors \(not device results\)/);
  });

  test('a cell with failing cuts says how many more recovered cuts would reach the threshold', () => {
    // 3 of 400 lost: bound 0.9781; the smallest m with wilson(397 + m, 400 + m) >= 0.99 is the answer.
    const m = recoveredCutsToPass(397, 400, threshold)!;
    expect(wilsonLower(397 + m, 400 + m, Z95)).toBeGreaterThanOrEqual(0.99);
    expect(wilsonLower(397 + m - 1, 400 + m - 1, Z95)).toBeLessThan(0.99);
    const j = judgeCell({ outcomes: { updated: 397, waiting: 3 }, rigErrors: 0, notRun: 0 }, threshold, safe, never);
    expect(j.status).toBe('fail');
    expect(j.reasons[1]).toBe(`with 3 cuts not recovered, ${m} more recovered cuts (${400 + m} in all) would reach 99 %`);
    expect(recoveredCutsToPass(381, 381, threshold)).toBe(0);
  });

  test('waiting and boot-loop count against the rate but do not fail on their own', () => {
    const j = judgeCell({ outcomes: { updated: 2000, waiting: 1 }, rigErrors: 0, notRun: 0 }, threshold, safe, never);
    expect(j.status).toBe('pass');
    expect(j.recovered).toBe(2000);
  });

  test('percentages are floored (98.995 % never prints as 99.00 %) and thresholds print as written', () => {
    expect(percent(0.98995)).toBe('98.99 %');
    expect(share(0.99)).toBe('99 %');
    expect(share(0.999)).toBe('99.9 %');
  });
});
