import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { formatTrigger, loadRig, parseSuite, parseTrigger, suiteCutPoints, withTwinOverrides, type SuiteConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { linesOf, yaml } from './helpers.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const FILE = path.join(FIXTURES, 'suites', 'inline.yaml');
const SHOWN = path.relative(process.cwd(), FILE);
const IMAGES = ['images:', '  from: ../firmware/app-v1.page2bin', '  to: ../firmware/app-v2.page2bin'];
const suite = (...lines: string[]): SuiteConfig => parseSuite(yaml(...lines), FILE);

describe('marker triggers, second cuts, setups and twin overrides', () => {
  it('parses and prints the marker trigger both ways', () => {
    expect(parseTrigger('marker:120+82ms')).toEqual({ kind: 'marker', edge: 120, delayMs: 82 });
    expect(parseTrigger('marker:7')).toEqual({ kind: 'marker', edge: 7, delayMs: 0 });
    for (const t of ['marker:120+82ms', 'marker:7', 'marker:3+0.03ms']) expect(formatTrigger(parseTrigger(t))).toBe(t);
    expect(() => parseTrigger('marker:0')).toThrow(/edge must be an integer >= 1/);
    expect(() => parseTrigger('marker:x')).toThrow(/marker:<edge>\[\+delay\]/);
  });

  it('expands a marker sweep to whole edges, once each, and carries second cuts from points and sweeps', () => {
    const parsed = suite(
      ...IMAGES,
      'setup: from-bank2',
      'cuts:',
      '  points:',
      '    - { trigger: progress:30%, second: 600ms }',
      '  sweeps:',
      '    - { trigger: marker, from: 10, to: 12, delay: 0.03ms, count: 5 }',
      '    - { trigger: after, from: 1s, to: 2s, count: 2, second: 1.5s }',
    );
    expect(parsed.setup).toBe('from-bank2');
    expect(suiteCutPoints(parsed)).toEqual([
      { trigger: { kind: 'progress', percent: 30 }, second: 600 },
      { trigger: { kind: 'marker', edge: 10, delayMs: 0.03 } },
      { trigger: { kind: 'marker', edge: 11, delayMs: 0.03 } },
      { trigger: { kind: 'marker', edge: 12, delayMs: 0.03 } },
      { trigger: { kind: 'after', ms: 1000 }, second: 1500 },
      { trigger: { kind: 'after', ms: 2000 }, second: 1500 },
    ]);
  });

  it('rejects a backwards marker sweep and a bad second cut, with their locations', () => {
    const lines = linesOf(() => suite(...IMAGES, 'cuts:', '  points:', '    - { trigger: after:1s, second: soon }', '  sweeps:', '    - { trigger: marker, from: 20, to: 10, count: 2 }'));
    expect(lines).toContain(`${SHOWN}:6:36: cuts.points[0].second: expected a time such as 1500ms, 1.5s or 1500, at most 1 h (3600000 ms), got "soon"`);
    expect(lines.join('\n')).toMatch(/cuts\.sweeps\[0\]\.to: expected at least from \(edge 20\), got 10/);
  });

  it('keeps twin overrides per listed rig and applies them to a twin rig only', async () => {
    const parsed = suite(...IMAGES, 'rigs:', '  - { rig: twin-rp2040-sfu, variant: erase-running-slot, powerLoss: torn, expect: caught }', 'cuts: { points: [after:1s] }');
    expect(parsed.rigs[0]).toMatchObject({ expect: 'caught', twin: { variant: 'erase-running-slot', powerLoss: 'torn' } });
    const rig = await loadRig('rigs/twin-rp2040-sfu.yaml');
    const over = withTwinOverrides(rig, parsed.rigs[0]!.twin, 'suite.yaml');
    expect(over.twin).toMatchObject({ variant: 'erase-running-slot', powerLoss: 'torn' });
    expect(over.name).toBe('twin-rp2040-sfu[erase-running-slot,torn-loss]');
    expect(() => withTwinOverrides(rig, { variant: 'no-such-bug' }, 'suite.yaml')).toThrow(ConfigError);
    expect(() => withTwinOverrides(rig, { variant: 'no-such-bug' }, 'suite.yaml')).toThrow(/variants: correct, sign-before-flush/);
    expect(linesOf(() => suite(...IMAGES, 'rigs:', '  - { rig: twin-rp2040-sfu, powerLoss: sometimes }', 'cuts: { points: [after:1s] }'))).toEqual([
      `${SHOWN}:5:40: rigs[0].powerLoss: expected one of skip, complete, torn, random, got "sometimes"`,
    ]);
  });
});
