/** `hil detect`: the detection table from the command line, as CI and a lab use it. */
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { join } from 'node:path';
import { hil, ROOT } from './hil.js';

/** Runs a printed `hil cut …` line as a user pastes it into a shell (its quoting included), with --json. */
async function replay(line: string) {
  expect(line).toMatch(/^hil cut /);
  const command = `"${process.execPath}" "${join(ROOT, 'bin/hil.js')}" ${line.slice('hil '.length)} --json`;
  return execa('sh', ['-c', command], { cwd: ROOT, reject: false, stdin: 'ignore', env: { NO_COLOR: '1' }, timeout: SWEEP.timeoutMs });
}

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

  // Issue 10 item 6: the repro lines of the detection suites dropped the rig entry's variant and
  // power-loss mode, so two catching cuts replayed as updated / rolled-back with exit 0.
  it('-v prints, per seeded bug, the hil cut line of its catching cut; each line replays to the same outcome', async () => {
    const r = await hil(['detect', '-v'], SWEEP);
    expect(r.exitCode).toBe(0);
    const caught = [...r.stderr.matchAll(/^(\S+)\/(\S+): caught by (\S+) \((.*) -> ([\w-]+)\); replay it with:\n {2}(hil cut .*)$/gm)].map((m) => ({
      variant: `${m[1]}/${m[2]}`,
      outcome: m[5]!,
      line: m[6]!,
    }));
    // One line per seeded bug: the table's buggy rows, every one caught.
    const buggy = r.stdout
      .split('\n')
      .filter((l) => /\sbuggy\s/.test(l))
      .map((l) => l.split(/\s+/).slice(0, 2).join('/'));
    expect(caught.map((c) => c.variant).sort()).toEqual(buggy.sort());
    expect(buggy.length).toBeGreaterThanOrEqual(13);
    for (const c of caught) {
      const again = await replay(c.line);
      const doc = JSON.parse(again.stdout) as { outcome: string; variant: string };
      expect({ variant: c.variant, outcome: doc.outcome, bugRuns: doc.variant }).toEqual({ variant: c.variant, outcome: c.outcome, bugRuns: c.variant.split('/')[1] });
      // Caught means outside updated / rolled-back here (or console and flash disagreeing): hil cut fails it too.
      expect({ variant: c.variant, exitCode: again.exitCode }).toEqual({ variant: c.variant, exitCode: 1 });
    }
  });

  it('an unknown scheme is a usage error', async () => {
    const r = await hil(['detect', '--scheme', 'esp-ota']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--scheme: expected one of sfu-ab, stm32-dualbank, mcuboot-swap/);
  });
});
