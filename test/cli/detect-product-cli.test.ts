/**
 * `hil detect --scheme multi-mcu-dfu` (issue 13's "done when"): the product's detection suites
 * (suites/product/, left out of the default set, which says so: test/cli/detect-cli.test.ts) catch
 * every seeded bug, and the correct product is clean over every op state of its update (a `sweeps`
 * project file: tens of CPU-s).
 */
import { describe, expect, it } from '@jest/globals';
import type { DetectRow as Row } from './detect-row.js';
import { hil } from './hil.js';

// Only a hang guard, just under the sweeps project's test timeout.
const SWEEP = { timeoutMs: 1_500_000 };

describe('hil detect and the two-processor product', () => {
  it('--scheme multi-mcu-dfu: every seeded bug of the product caught, the correct product clean over every op state (exit 0)', async () => {
    const r = await hil(['detect', '--scheme', 'multi-mcu-dfu', '--json'], SWEEP);
    expect(r.exitCode).toBe(0);
    const rows = (JSON.parse(r.stdout) as Row[]).filter((x) => x.scheme === 'multi-mcu-dfu');
    expect([...new Set(rows.map((x) => x.variant))].sort()).toEqual(['correct', 'host-confirms-early', 'lock-not-taken', 'no-resume', 'ready-early', 'unchecked-apply']);
    for (const row of rows) {
      expect(row.rigErrors).toBe(0);
      expect(row.caught).toBe(row.buggy);
      expect(Object.values(row.outcomes).reduce((a, b) => a + b, 0)).toBe(row.points);
    }
    const correct = rows.filter((x) => x.variant === 'correct');
    // Every op of the 805-op product update, before, after and torn (and more: double cuts, decision ops).
    for (const row of correct) expect(row.catching).toBe(0);
    expect(correct.reduce((a, x) => a + x.points, 0)).toBeGreaterThanOrEqual(3 * 805);
    // host-confirms-early is the bug whose product ends on a pair of versions it does not support.
    const early = rows.find((x) => x.variant === 'host-confirms-early')!;
    expect(early.outcomes['version-mismatch']).toBeGreaterThan(0);
    for (const row of rows.filter((x) => x.buggy)) expect(row.first?.repro).toMatch(/^hil sweep .*--point /);
  });
});
