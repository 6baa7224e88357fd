/**
 * Sign-off files: what a lab engineer gets for a mistake is the file, line, column and field, as
 * for rigs and suites; and what a good file plans (the matrix, n/a cells, defaults, seeds). The
 * file is placed at the repository top (not written), so rig names and images resolve as
 * signoff.yaml's do; rigs and images are real files.
 */
import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { ConfigFileError } from '../../src/config/index.js';
import { parseSignoff, loadSignoff } from '../../src/signoff/load.js';
import { ROOT } from '../cli/hil.js';

const FILE = join(ROOT, 'signoff-test.yaml');

async function problems(text: string): Promise<string[]> {
  try {
    await parseSignoff(text, FILE);
  } catch (err) {
    if (!(err instanceof ConfigFileError)) throw err;
    return err.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
  }
  throw new Error('the file was accepted');
}

const GOOD = `name: t
rigs:
  - twin-rp2040-sfu
  - { rig: twin-stm32f429-dualbank, run: replay }
paths:
  - { name: sfu, scheme: sfu-ab, from: firmware/app-v1.page2bin, to: firmware/app-v2.page2bin }
  - { name: stm32, scheme: stm32-dualbank, from: firmware/stm32-app-v1.bin, to: firmware/stm32-app-v2.bin }
cuts:
  - { mode: every-op }
  - { mode: random, count: 50, seed: 9 }
  - { mode: range, trigger: after, from: 0ms, to: 1s, step: 100ms }
`;

describe('a good sign-off file', () => {
  test('plans rig × path of its scheme × mode, with n/a cells for op modes on a replay rig, and the default threshold', async () => {
    const plan = await parseSignoff(GOOD, FILE);
    expect(plan.threshold).toMatchObject({ recovery: 0.99, confidence: 0.95, pointsNeeded: 381 });
    expect(plan.threshold.z).toBeCloseTo(1.96, 2);
    expect(plan.expect.safe).toEqual(['updated', 'rolled-back']);
    expect(plan.cells.map((c) => `${c.rig.config.name}/${c.path.name}/${c.mode.mode.mode}/${c.rig.runner}${c.notApplicable ? '/n-a' : ''}`)).toEqual([
      'twin-rp2040-sfu/sfu/every-op/sweep',
      'twin-rp2040-sfu/sfu/random/sweep',
      'twin-rp2040-sfu/sfu/range/sweep',
      'twin-stm32f429-dualbank/stm32/every-op/replay/n-a',
      'twin-stm32f429-dualbank/stm32/random/replay/n-a',
      'twin-stm32f429-dualbank/stm32/range/replay',
    ]);
    const range = plan.cells[2]!;
    expect(range.plannedPoints).toBe(11);
    expect(plan.cells[1]!.seed).toBe(9);
    expect(range.seed).toBe(1); // the rig's twin.seed
    expect(plan.cells[3]!.notApplicable).toMatch(/every-op needs the twin's op log/);
  });

  test('the example signoff.yaml at the repository top loads: three twin rigs, 9 cells, all runnable', async () => {
    const plan = await loadSignoff(join(ROOT, 'signoff.yaml'));
    expect(plan.rigs.map((r) => r.config.name)).toEqual(['twin-rp2040-sfu', 'twin-stm32f429-dualbank', 'twin-nrf52840-mcuboot']);
    expect(plan.cells).toHaveLength(9);
    expect(plan.cells.every((c) => !c.notApplicable)).toBe(true);
    expect(plan.cells.find((c) => c.rig.config.scheme === 'mcuboot-swap')!.setup).toBe('test');
  });

  test('thresholds as percentages or fractions', async () => {
    const plan = await parseSignoff(GOOD + 'threshold: { recovery: 99.9%, confidence: 0.9 }\n', FILE);
    expect(plan.threshold.recovery).toBeCloseTo(0.999, 12);
    expect(plan.threshold.confidence).toBe(0.9);
  });
});

describe('sign-off file errors name file:line:col and the field', () => {
  test('an unknown key, a bad mode and an outcome that can never be safe, all at once', async () => {
    const text = `name: t
rigs: [twin-rp2040-sfu]
paths:
  - { from: firmware/app-v1.page2bin, to: firmware/app-v2.page2bin, setpu: x }
cuts:
  - { mode: every-other }
  - { mode: random, count: 0 }
expect:
  safe: [updated, bricked]
`;
    expect(await problems(text)).toEqual([
      '4:69 paths[0].setpu: unknown key (did you mean "setup"?)',
      '6:13 cuts[0].mode: expected one of every-op, random, range, got "every-other"',
      '7:28 cuts[1].count: expected an integer >= 1 and <= 100000, got 0',
      '9:19 expect.safe[1]: bricked can never count as recovered: one bricked fails a cell whatever its rate',
    ]);
  });

  test('thresholds: 100 % can never pass, 99 without % is ambiguous', async () => {
    const base = GOOD + 'threshold:\n';
    expect((await problems(base + '  recovery: 100%\n'))[0]).toMatch(/^13:13 threshold.recovery: expected/);
    expect((await problems(base + '  recovery: 99\n'))[0]).toMatch(/^13:13 threshold.recovery: expected/);
    expect((await problems(base + '  confidence: 40%\n'))[0]).toMatch(/^13:15 threshold.confidence: expected/);
  });

  test('a range with a time bound on trigger progress, and random with only one end of its window', async () => {
    const text = GOOD.replace('- { mode: every-op }', '- { mode: range, trigger: progress, from: 0ms, to: 50%, step: 5% }').replace('count: 50, seed: 9', 'count: 50, from: 1s');
    expect(await problems(text)).toEqual([
      '9:45 cuts[0].from: a time is a bound of trigger after, not progress: give a percentage such as 5%',
      '10:5 cuts[1].to: give both from and to (a window of times), or neither (random ops)',
    ]);
  });

  test('a missing rig, a variant the scheme does not have, run: sweep on a bench rig', async () => {
    const text = `rigs:
  - twin-no-such-rig
  - { rig: twin-rp2040-sfu, variant: no-such-bug }
  - { rig: pi-pico-sfu, run: sweep }
paths:
  - { from: firmware/app-v1.page2bin, to: firmware/app-v2.page2bin }
cuts:
  - { mode: range, trigger: after, from: 0ms, to: 1s, step: 100ms }
`;
    const found = await problems(text);
    expect(found[0]).toMatch(/^2:5 rigs\[0\]: rig rigs\/twin-no-such-rig\.yaml: cannot read: no such file/);
    expect(found[1]).toMatch(/^3:38 rigs\[1\]\.variant: variant "no-such-bug" does not exist for sfu-ab \(variants: correct, /);
    expect(found[2]).toBe('4:30 rigs[2].run: rig pi-pico-sfu is a bench rig (no twin: section): its cuts are made one by one (run: replay), the sweep engine needs the twin');
  });

  test("an image that is not of a rig's scheme, the same version twice, a setup the scheme lacks, a rig with no path", async () => {
    const text = `rigs:
  - twin-rp2040-sfu
  - twin-nrf52840-mcuboot
paths:
  - { from: firmware/app-v1.page2bin, to: firmware/app-v1.page2bin, scheme: sfu-ab, setup: test }
  - { scheme: stm32-dualbank, from: firmware/mcuboot-app-v1.signed.bin, to: firmware/stm32-app-v2.bin }
cuts:
  - { mode: every-op }
`;
    expect(await problems(text)).toEqual([
      '3:5 rigs[1]: no update path for rig twin-nrf52840-mcuboot (scheme mcuboot-swap): add a path with images for mcuboot-swap, or leave its scheme: out',
      '5:43 paths[0].to: has the same version 1.0.0 as from: an update could not be told from a rollback',
      '5:92 paths[0].setup: setup "test" does not exist for sfu-ab, the scheme of rig twin-rp2040-sfu (setups: default)',
      '6:15 paths[1].scheme: no rig of scheme stm32-dualbank in rigs: this path would never run',
    ]);
    const mismatch = `rigs: [twin-nrf52840-mcuboot]
paths:
  - { from: firmware/stm32-app-v1.bin, to: firmware/mcuboot-app-v2.signed.bin, setup: test }
cuts: [{ mode: every-op }]
`;
    expect((await problems(mismatch))[0]).toMatch(/^3:13 paths\[0\]\.from: image firmware\/stm32-app-v1\.bin .*\(read as mcuboot-swap, the scheme of rig twin-nrf52840-mcuboot\)$/);
  });

  test('a replay rig with no time-based mode cannot run at all', async () => {
    const text = `rigs:
  - { rig: twin-rp2040-sfu, run: replay }
paths:
  - { from: firmware/app-v1.page2bin, to: firmware/app-v2.page2bin }
cuts:
  - { mode: every-op }
  - { mode: random, count: 10 }
`;
    expect(await problems(text)).toEqual([
      "2:5 rigs[0]: no cut mode of cuts: can run on rig twin-rp2040-sfu (run: replay): every-op needs the twin's op log; a replay rig cuts by time (range after, random with from/to)",
    ]);
  });
});
