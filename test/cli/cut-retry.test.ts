// `hil cut --retry N` and `--time-factor X` through the real CLI on the loader-app twin: a cut in the
// transfer is waiting (exit 1) without retries and updated after one (exit 0, the chain in the text
// and --json, --retry on the repro line); bad values are usage errors (exit 2) naming the option.
import { describe, expect, it } from '@jest/globals';
import { hil } from './hil.js';

const CUT = ['cut', '--rig', 'twin-stm32f429-loader-app', '--from', 'firmware/fwup-app-v1.bin', '--to', 'firmware/fwup-app-v2.bin', '--setup', 'factory', '--trigger', 'progress:50%'];

describe('hil cut --retry', () => {
  it('without it the cut stays waiting and fails; with --retry 2 it is updated after one retry', async () => {
    const plain = await hil(CUT);
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout).toMatch(/^outcome: waiting$/m);
    expect(plain.stdout).not.toContain('retried:');

    const retried = await hil([...CUT, '--retry', '2']);
    expect(retried.exitCode).toBe(0);
    expect(retried.stdout).toMatch(/^outcome: updated$/m);
    expect(retried.stdout).toMatch(/^retried: waiting → retry 1 → updated$/m);
    expect(retried.stdout).toContain('flash slots, read through the probe after the last retry:');
    expect(retried.stderr).toMatch(/repro: hil cut .* --retry 2$/m);
  });

  it('--json carries the first outcome and each retry', async () => {
    const r = await hil([...CUT, '--retry', '1', '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { outcome: string; firstOutcome: string; retries: { attempt: number; outcome: string; update: { finished: boolean } }[]; repro: string };
    expect(doc).toMatchObject({ outcome: 'updated', firstOutcome: 'waiting' });
    expect(doc.retries.map((x) => [x.attempt, x.outcome, x.update.finished])).toEqual([[1, 'updated', true]]);
    expect(doc.repro).toMatch(/ --retry 1$/);
  });

  it('a multi-stage update (--via) cut in its first stage is retried from the stage the device is at, and the repro line carries --via', async () => {
    const r = await hil([...CUT.slice(0, -1), 'progress:7%', '--via', 'firmware/fwup-updater-v1.bin,firmware/fwup-loader-v2.bin', '--retry', '2']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^retried: waiting → retry 1 → updated$/m);
    expect(r.stderr).toMatch(/repro: hil cut .* --via firmware\/fwup-updater-v1\.bin,firmware\/fwup-loader-v2\.bin .* --retry 2$/m);
    const bad = await hil([...CUT, '--via', 'a.bin,,b.bin']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--via: expected image files separated by commas, got "a.bin,,b.bin"');
  });

  it('a bad --retry is a usage error naming the option', async () => {
    for (const bad of ['-1', '1.5', 'two', '11']) {
      const r = await hil([...CUT, `--retry=${bad}`]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`--retry: expected an integer >= 0 and <= 10, got ${JSON.stringify(bad)}`);
    }
  });
});

describe('hil cut --time-factor', () => {
  it('paces the twin (the outcome virtual time gives), and is refused on a bench rig and for a bad value', async () => {
    const paced = await hil([...CUT.slice(0, -1), 'progress:5%', '--time-factor', '0.1']);
    expect(paced.exitCode).toBe(1);
    expect(paced.stdout).toMatch(/^outcome: waiting$/m);
    // The outcome does not depend on the pace: the repro line leaves it out.
    expect(paced.stderr).not.toContain('--time-factor');

    const bad = await hil([...CUT, '--time-factor', 'fast']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--time-factor: expected a number >= 0 and <= 1000, got "fast"');

    const bench = await hil(['cut', '--rig', 'pi-stm32f429-disco', '--from', 'firmware/stm32-app-v1.bin', '--to', 'firmware/stm32-app-v2.bin', '--trigger', 'progress:50%', '--time-factor', '1']);
    expect(bench.exitCode).toBe(2);
    expect(bench.stderr).toContain('--time-factor only applies to twin rigs, and pi-stm32f429-disco is a bench rig');
  });
});

describe('hil sweep --retry', () => {
  const SWEEP = ['sweep', '--rig', 'twin-stm32f429-loader-app', '--from', 'firmware/fwup-app-v1.bin', '--setup', 'factory', '--mode', 'random', '--count', '3', '--workers', '0'];

  it('judges each point after its retries; a point still failing after them replays with --retry', async () => {
    const plain = await hil([...SWEEP, '--to', 'firmware/fwup-app-v2.bin', '--json']);
    expect(plain.exitCode).toBe(1);
    const retried = await hil([...SWEEP, '--to', 'firmware/fwup-app-v2.bin', '--retry', '1', '--json']);
    expect(retried.exitCode).toBe(0);
    expect((JSON.parse(retried.stdout) as { failing: unknown[] }).failing).toEqual([]);
    // An update to an app that crashes at start: the Loader ends in DFU mode after every retry too.
    const crashing = await hil([...SWEEP, '--to', 'firmware/fwup-app-v2-crashes.bin', '--retry', '1']);
    expect(crashing.exitCode).toBe(1);
    expect(crashing.stdout).toMatch(/hil sweep .* --point \S+ --seed 1 --off-ms 200 --retry 1$/m);
  });
});
