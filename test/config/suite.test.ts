import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { checkRigForSuite, formatTrigger, loadRig, loadSuite, parseSuite, suiteCutPoints, type SuiteConfig } from '../../src/config/index.js';
import { asyncConfigErrorOf, configErrorOf, linesOf, yaml } from './helpers.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
/** Inline suites are parsed as if they lived beside the fixture suite. */
const FILE = path.join(FIXTURES, 'suites', 'inline.yaml');
const SHOWN = path.relative(process.cwd(), FILE);

const IMAGES = ['images:', '  from: ../firmware/app-v1.page2bin', '  to: ../firmware/app-v2.page2bin'];

function suite(...lines: string[]): SuiteConfig {
  return parseSuite(yaml(...lines), FILE);
}

describe('a valid suite', () => {
  it('loads the fixture: paths resolved, defaults applied, triggers parsed', async () => {
    const loaded = await loadSuite(path.join(FIXTURES, 'suites/brownout-sfu.yaml'));
    expect(loaded).toEqual({
      file: path.join(FIXTURES, 'suites/brownout-sfu.yaml'),
      name: 'brownout-sfu',
      description: 'Cut power during an SFU update',
      scheme: 'sfu-ab',
      images: { from: path.join(FIXTURES, 'firmware/app-v1.page2bin'), to: path.join(FIXTURES, 'firmware/app-v2.page2bin') },
      rigs: [
        { rig: 'twin-rp2040-sfu', path: path.join(FIXTURES, 'rigs/twin-rp2040-sfu.yaml'), expect: 'recovers' },
        { rig: '../rigs/pi-stm32-relay.yaml', path: path.join(FIXTURES, 'rigs/pi-stm32-relay.yaml'), expect: 'caught' },
      ],
      cuts: {
        offMs: 100,
        points: [{ trigger: { kind: 'progress', percent: 37 } }, { trigger: { kind: 'after', ms: 1500 }, offMs: 50, seed: 7 }],
        sweeps: [
          { kind: 'progress', unit: 'percent', from: 5, to: 95, count: 8 },
          { kind: 'after', fromMs: 0, toMs: 400, count: 4 },
          { kind: 'console', pattern: 'CRC OK', flags: '', nth: 1, fromMs: 0, toMs: 60, count: 6 },
        ],
        opSweeps: [],
      },
      retry: 0,
      expect: { safe: ['updated', 'rolled-back'], caughtWhen: ['bricked', 'wrong-image', 'version-mismatch'], bootLoopCycles: 0 },
    });
  });

  it('lists points then expanded sweeps, with the suite off time where a point has none', async () => {
    const loaded = await loadSuite(path.join(FIXTURES, 'suites/brownout-sfu.yaml'));
    const cuts = suiteCutPoints(loaded);
    expect(cuts).toHaveLength(2 + 8 + 4 + 6);
    expect(cuts.slice(0, 3)).toEqual([
      { trigger: { kind: 'progress', percent: 37 }, offMs: 100 },
      { trigger: { kind: 'after', ms: 1500 }, offMs: 50, seed: 7 },
      { trigger: { kind: 'progress', percent: 5 }, offMs: 100 },
    ]);
    expect(cuts.slice(10, 14).map((cut) => formatTrigger(cut.trigger))).toEqual(['after:0ms', 'after:133.333ms', 'after:266.667ms', 'after:400ms']);
    expect(cuts.at(-1)).toEqual({ trigger: { kind: 'console', pattern: 'CRC OK', flags: '', nth: 1, delayMs: 60 }, offMs: 100 });
  });

  it('leaves the off time to the rig when the suite sets none; accepts bytes and plain numbers', () => {
    const parsed = suite(
      ...IMAGES,
      'cuts:',
      '  sweeps:',
      '    - { trigger: progress, from: 0, to: 64KiB, count: 3 }',
      '    - { trigger: after, from: 0.5s, to: 1500, count: 2 }',
      '    - { trigger: console, pattern: "^Boot", flags: i, nth: 2, from: 0, to: 10ms, count: 1 }',
    );
    expect(parsed.name).toBe('inline');
    expect(parsed.rigs).toEqual([]);
    expect(suiteCutPoints(parsed).map((cut) => cut)).toEqual([
      { trigger: { kind: 'progress', bytes: 0 } },
      { trigger: { kind: 'progress', bytes: 32768 } },
      { trigger: { kind: 'progress', bytes: 65536 } },
      { trigger: { kind: 'after', ms: 500 } },
      { trigger: { kind: 'after', ms: 1500 } },
      { trigger: { kind: 'console', pattern: '^Boot', flags: 'i', nth: 2, delayMs: 0 } },
    ]);
  });
});

describe('suite errors', () => {
  it('reports a missing image at its value, with the resolved path', () => {
    const lines = linesOf(() => suite('images:', '  from: ../firmware/app-v0.page2bin', '  to: ../firmware/app-v2.page2bin', 'cuts:', '  points: [progress:50%]'));
    expect(lines).toEqual([`${SHOWN}:2:9: images.from: image not found: test/config/fixtures/firmware/app-v0.page2bin`]);
  });

  it('requires at least one cut', () => {
    expect(linesOf(() => suite(...IMAGES, 'cuts:', '  offMs: 100'))).toEqual([`${SHOWN}:5:3: cuts: expected at least one cut: add cuts.points or cuts.sweeps`]);
    expect(linesOf(() => suite(...IMAGES, 'cuts: { points: [], sweeps: [] }'))).toEqual([`${SHOWN}:4:7: cuts: expected at least one cut: add cuts.points or cuts.sweeps`]);
    expect(linesOf(() => suite(...IMAGES))).toEqual([`${SHOWN}:1:1: cuts: required`]);
  });

  it('reports bad triggers, sweeps and expectations all at once', () => {
    const error = configErrorOf(() =>
      suite(
        ...IMAGES,
        'rigs:',
        '  - rig: lab/bench-3',
        '  - { rig: twin-rp2040-sfu, expect: maybe }',
        'cuts:',
        '  points:',
        '    - progress:120%',
        '    - console:/CRC (OK/',
        '    - { trigger: "after:1s", ofMs: 3 }',
        '  sweeps:',
        '    - { trigger: progress, from: 5%, to: 95%, count: 0 }',
        '    - { trigger: after, from: 2s, to: 1s, count: 2 }',
        '    - { trigger: progress, from: 5%, to: 64KiB, count: 2 }',
        '    - { trigger: console, pattern: "a[", from: 0, to: 1, count: 2 }',
        '    - { trigger: pause, count: 2 }',
        'expect:',
        '  safe: [updated, rig-error]',
        '  caughtWhen: [bricked, updated]',
        '  bootLoopCycles: -3',
      ),
    );
    expect(error.message.split('\n')).toEqual([
      `${SHOWN}:5:10: rigs[0].rig: expected a rig name (no slash) or a path ending in .yaml`,
      `${SHOWN}:6:37: rigs[1].expect: expected one of recovers, caught, got "maybe"`,
      `${SHOWN}:9:7: cuts.points[0]: invalid trigger "progress:120%": a percentage must be between 0% and 100%, got 120%`,
      `${SHOWN}:10:7: cuts.points[1]: invalid trigger "console:/CRC (OK/": invalid regular expression: /CRC (OK/: Unterminated group`,
      `${SHOWN}:11:30: cuts.points[2].ofMs: unknown key (did you mean "offMs"?)`,
      `${SHOWN}:13:54: cuts.sweeps[0].count: expected an integer >= 1 and <= 100000, got 0`,
      `${SHOWN}:14:39: cuts.sweeps[1].to: expected at least from (2000ms), got 1000ms`,
      `${SHOWN}:15:42: cuts.sweeps[2].to: from is a percentage, so to must be one too, got 65536 bytes`,
      `${SHOWN}:16:36: cuts.sweeps[3].pattern: invalid regular expression: /a[/: Unterminated character class`,
      `${SHOWN}:17:18: cuts.sweeps[4].trigger: expected one of progress, after, marker, console, got "pause"`,
      `${SHOWN}:19:19: expect.safe[1]: expected one of updated, rolled-back, waiting, degraded, bricked, wrong-image, version-mismatch, boot-loop, got "rig-error"`,
      `${SHOWN}:20:25: expect.caughtWhen[1]: updated is also in expect.safe: an outcome cannot be both`,
      `${SHOWN}:21:19: expect.bootLoopCycles: expected an integer >= 0 and <= 1000, got -3`,
    ]);
    expect(error.issues).toHaveLength(13);
  });

  it('reports a missing suite file', async () => {
    const error = await asyncConfigErrorOf(() => loadSuite('suites/no-such-suite.yaml'));
    expect(error.message).toBe('suites/no-such-suite.yaml: cannot read: no such file');
  });

  it('rejects an empty suite file', () => {
    expect(linesOf(() => parseSuite('', 'suites/x.yaml'))).toEqual(['suites/x.yaml:1:1: empty file: expected a suite as a YAML mapping']);
  });
});

describe('checkRigForSuite', () => {
  it('accepts a rig of the suite scheme, and any rig when the suite names none', async () => {
    const rig = await loadRig(path.join(FIXTURES, 'rigs/twin-rp2040-sfu.yaml'));
    const loaded = await loadSuite(path.join(FIXTURES, 'suites/brownout-sfu.yaml'));
    expect(() => checkRigForSuite(rig, loaded)).not.toThrow();
    const relay = await loadRig(path.join(FIXTURES, 'rigs/pi-stm32-relay.yaml'));
    const stm32Images = ['images:', '  from: ../../../../firmware/stm32-app-v1.bin', '  to: ../../../../firmware/stm32-app-v2.bin'];
    expect(() => checkRigForSuite(relay, suite(...stm32Images, 'cuts: { points: [after:0ms] }'))).not.toThrow();
  });

  it('reads the images as the rig scheme does, before any run: SFU streams are no STM32 images', async () => {
    const relay = await loadRig(path.join(FIXTURES, 'rigs/pi-stm32-relay.yaml'));
    expect(linesOf(() => checkRigForSuite(relay, suite(...IMAGES, 'cuts: { points: [after:0ms] }')))).toEqual([
      `${SHOWN}:2:9: images.from: image test/config/fixtures/firmware/app-v1.page2bin carries no app info block, so its banner cannot be recognised (read as stm32-dualbank, the scheme of rig bench-3)`,
      `${SHOWN}:3:7: images.to: image test/config/fixtures/firmware/app-v2.page2bin carries no app info block, so its banner cannot be recognised (read as stm32-dualbank, the scheme of rig bench-3)`,
    ]);
  });

  it('names both files when the schemes differ', async () => {
    const relay = await loadRig(path.join(FIXTURES, 'rigs/pi-stm32-relay.yaml'));
    const loaded = await loadSuite(path.join(FIXTURES, 'suites/brownout-sfu.yaml'));
    expect(linesOf(() => checkRigForSuite(relay, loaded))).toEqual([
      'test/config/fixtures/suites/brownout-sfu.yaml:2:9: scheme: the suite is for scheme sfu-ab, but rig bench-3 (test/config/fixtures/rigs/pi-stm32-relay.yaml:3:9) has scheme stm32-dualbank',
    ]);
  });
});
