/** `hil detect`: the detection table from the command line, as CI and a lab use it. */
import { describe, expect, it } from '@jest/globals';
import { hil } from './hil.js';

interface Row {
  scheme: string;
  variant: string;
  buggy: boolean;
  cuts: number;
  outcomes: Record<string, number>;
  caught: boolean;
}

// Detection runs CPU-bound sweeps (the `sweeps` Jest project): the cuts are placed in the twin's
// virtual time; the wall-time limit is only a hang guard, just under the project's test timeout.
const SWEEP = { timeoutMs: 1_500_000 };

describe('hil detect', () => {
  it('--json prints one row per variant of the scheme; every seeded bug caught, the correct one not (exit 0)', async () => {
    const r = await hil(['detect', '--scheme', 'sfu-ab', '--json'], SWEEP);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((x) => x.variant).sort()).toEqual(['boot-unsigned-target', 'correct', 'erase-running-slot', 'generation-not-incremented', 'sign-before-flush']);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['buggy', 'caught', 'cuts', 'outcomes', 'scheme', 'variant']);
      expect(row.caught).toBe(row.buggy);
      expect(Object.values(row.outcomes).reduce((a, b) => a + b, 0)).toBe(row.cuts);
    }
  });

  it('prints a table with a verdict column, and exits 1 when a bug goes uncaught', async () => {
    // A suite that cuts only long after the update: no SFU bug but the lost-commit one shows there.
    const r = await hil(['detect', 'test/cli/fixtures/detect-late-only.yaml'], SWEEP);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^scheme\s+variant\s+kind\s+cuts\s+outcomes\s+caught\s+verdict/m);
    expect(r.stdout).toMatch(/boot-unsigned-target\s+buggy\s+1\s+updated:1\s+no\s+MISSED/);
    expect(r.stdout).toMatch(/generation-not-incremented\s+buggy\s+1\s+wrong-image:1\s+yes\s+ok/);
  });

  it('an unknown scheme is a usage error', async () => {
    const r = await hil(['detect', '--scheme', 'esp-ota']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--scheme: expected one of sfu-ab, stm32-dualbank, mcuboot-swap/);
  });
});
