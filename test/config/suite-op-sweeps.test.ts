// Op sweeps in a suite's cuts.sweeps (`mode:` entries, issue 10 item 1): parsed beside the trigger
// sweeps (which keep expanding into replayed cuts), and every bad entry reported at its line:col
// with its field, as the rest of the schema does.
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { checkOpSweepRig } from '../../src/scenario/suite-run.js';
import { loadRig, parseSuite, suiteCutPoints, type SuiteConfig } from '../../src/config/index.js';
import { configErrorOf, yaml } from './helpers.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const FILE = path.join(FIXTURES, 'suites', 'inline.yaml');
const SHOWN = path.relative(process.cwd(), FILE);
const IMAGES = ['images:', '  from: ../firmware/app-v1.page2bin', '  to: ../firmware/app-v2.page2bin'];

function suite(...lines: string[]): SuiteConfig {
  return parseSuite(yaml(...lines), FILE);
}

describe('op sweeps in cuts.sweeps', () => {
  it('parses every mode beside a trigger sweep, which still expands into cuts', () => {
    const parsed = suite(
      ...IMAGES,
      'cuts:',
      '  sweeps:',
      '    - { trigger: after, from: 0ms, to: 100ms, count: 2 }',
      '    - { mode: every-op }',
      '    - { mode: every-op, cut: [torn, before], torn: 4, seed: 9 }',
      '    - { mode: range, trigger: after, from: 0ms, to: 1.5s, step: 250ms }',
      '    - { mode: range, trigger: marker, from: 2, to: 40, step: 2 }',
      '    - { mode: range, trigger: progress, from: 5%, to: 95%, step: 10 }',
      '    - { mode: random, count: 200 }',
      '    - { mode: double, first: { sample: 20 }, second: { sample: 5 } }',
      '    - { mode: double }',
    );
    expect(parsed.cuts.sweeps).toEqual([{ kind: 'after', fromMs: 0, toMs: 100, count: 2 }]);
    expect(suiteCutPoints(parsed)).toHaveLength(2);
    expect(parsed.cuts.opSweeps).toEqual([
      { index: 1, sweep: { mode: 'every-op', cut: ['before', 'after', 'torn'] } },
      // In the engine's order whatever the order typed.
      { index: 2, sweep: { mode: 'every-op', cut: ['before', 'torn'], torn: 4 }, seed: 9 },
      { index: 3, sweep: { mode: 'range', trigger: 'after', from: 0, to: 1500, step: 250 } },
      { index: 4, sweep: { mode: 'range', trigger: 'marker', from: 2, to: 40, step: 2 } },
      { index: 5, sweep: { mode: 'range', trigger: 'progress', from: 5, to: 95, step: 10 } },
      { index: 6, sweep: { mode: 'random', count: 200 } },
      { index: 7, sweep: { mode: 'double', first: { sample: 20 }, second: { sample: 5 } } },
      { index: 8, sweep: { mode: 'double', first: {}, second: {} } },
    ]);
  });

  it('an op sweep alone is a suite with cuts', () => {
    expect(suite(...IMAGES, 'cuts:', '  sweeps: [{ mode: every-op }]').cuts.opSweeps).toHaveLength(1);
  });

  it('names the file, line:col and field of each bad op sweep', () => {
    const error = configErrorOf(() =>
      suite(
        ...IMAGES,
        'cuts:',
        '  sweeps:',
        '    - { mode: every-other }',
        '    - { mode: range, trigger: after, from: 0ms, to: 1s, step: 0 }',
        '    - { mode: range, trigger: marker, from: 40, to: 2, step: 1 }',
        '    - { mode: random, count: -3 }',
        '    - { mode: every-op, cut: [torn, sideways], torn: 0 }',
        '    - { mode: random, count: 5, sed: 3 }',
        '    - { mode: range, trigger: marker, from: 1.5s, to: 2, step: 1 }',
        '    - { mode: range, trigger: progress, from: 0%, to: 100%, step: 0.0001 }',
        '    - { mode: double, first: { sample: 0 } }',
        '    - { trigger: after, from: 2s, to: 1s, count: 2 }',
      ),
    );
    expect(error.message.split('\n')).toEqual([
      `${SHOWN}:6:15: cuts.sweeps[0].mode: expected one of every-op, range, random, double, got "every-other"`,
      `${SHOWN}:7:63: cuts.sweeps[1].step: expected a step above 0, got 0`,
      `${SHOWN}:8:53: cuts.sweeps[2].to: expected at least from (40), got 2`,
      `${SHOWN}:9:30: cuts.sweeps[3].count: expected an integer >= 1 and <= 100000, got -3`,
      `${SHOWN}:10:37: cuts.sweeps[4].cut[1]: expected one of before, after, torn, got "sideways"`,
      `${SHOWN}:10:54: cuts.sweeps[4].torn: expected an integer >= 1 and <= 64, got 0`,
      `${SHOWN}:11:33: cuts.sweeps[5].sed: unknown key (did you mean "seed"?)`,
      `${SHOWN}:12:45: cuts.sweeps[6].from: a time is a bound of trigger after, not marker: give an op edge number`,
      `${SHOWN}:13:67: cuts.sweeps[7].step: 1000001 points from 0 to 100, more than 100000: take a larger step`,
      `${SHOWN}:14:40: cuts.sweeps[8].first.sample: expected an integer >= 1 and <= 100000, got 0`,
      `${SHOWN}:15:39: cuts.sweeps[9].to: expected at least from (2000ms), got 1000ms`,
    ]);
  });

  it('a key of another mode says which mode takes it', () => {
    const error = configErrorOf(() => suite(...IMAGES, 'cuts:', '  sweeps:', '    - { mode: random, count: 5, step: 2 }'));
    expect(error.message).toBe(`${SHOWN}:6:33: cuts.sweeps[0].step: not allowed with mode random (only with range)`);
  });

  it('an op sweep on a rig without a twin is a config error at the sweep', async () => {
    const parsed = suite(...IMAGES, 'cuts:', '  points: [after:1s]', '  sweeps:', '    - { mode: every-op }');
    const bench = await loadRig(path.join(FIXTURES, 'rigs/pi-stm32-relay.yaml'));
    const error = configErrorOf(() => checkOpSweepRig(bench, parsed));
    expect(error.message).toBe(
      `${SHOWN}:7:7: cuts.sweeps[0]: an op sweep (mode every-op) runs on the twin's sweep engine, and rig ${bench.name} (${path.relative(process.cwd(), bench.file)}) has no twin: section; run it on a twin rig or use a trigger sweep`,
    );
    const twin = await loadRig(path.join(FIXTURES, 'rigs/twin-rp2040-sfu.yaml'));
    expect(() => checkOpSweepRig(twin, parsed)).not.toThrow();
  });
});
