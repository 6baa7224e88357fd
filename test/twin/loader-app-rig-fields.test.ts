/**
 * The rig fields the loader-app twin reads: `boot.stable` (when the app clears its boot counter)
 * and `power.sag` on a twin power input (a cut becomes a brownout). Good values load, bad ones
 * are named by file, line and field.
 */
import { describe, expect, it } from '@jest/globals';
import { parseRig } from '../../src/config/index.js';
import { stableRule } from '../../src/config/rig-schema.js';
import { linesOf, yaml } from '../config/helpers.js';

function rig(...extra: string[]): string {
  return yaml('target: stm32f429', 'scheme: loader-app', 'twin:', '  seed: 1', 'power:', '  driver: twin', 'console: { driver: twin }', 'updater: { driver: sfu-app }', ...extra);
}

describe('boot.stable', () => {
  it('defaults to a delay when the rig says nothing', () => {
    const config = parseRig(rig(), 'rigs/x.yaml');
    expect(config.boot.stable).toBeUndefined();
    expect(stableRule(config.boot)).toEqual({ afterMs: 500 });
  });

  it('reads a delay or a console command', () => {
    expect(stableRule(parseRig(rig('boot:', '  stable: { afterMs: 2000 }'), 'rigs/x.yaml').boot)).toEqual({ afterMs: 2000 });
    const config = parseRig(rig('boot:', '  stable:', '    command: fwup stable'), 'rigs/x.yaml');
    expect(config.boot.stable?.command).toBe('fwup stable');
    expect(stableRule(config.boot)).toEqual({ command: 'fwup stable' });
  });

  it.each([
    [['  stable: { afterMs: 10, command: mark }'], 'rigs/x.yaml:10:35: boot.stable.command: give either afterMs: (a delay) or command: (a console line), not both'],
    [['  stable: {}'], 'rigs/x.yaml:10:11: boot.stable: needs afterMs: (the app is stable after running that long) or command: (a console line the host sends); default afterMs: 500'],
    [['  stable: { afterMs: -1 }'], 'rigs/x.yaml:10:22: boot.stable.afterMs: expected a number >= 0 and <= 3600000, got -1'],
    [['  stable: { command: "" }'], 'rigs/x.yaml:10:22: boot.stable.command: expected a non-empty string, got ""'],
    [['  stable: { afterMS: 5 }'], 'rigs/x.yaml:10:13: boot.stable.afterMS: unknown key (did you mean "afterMs"?)'],
    [['  stable: soon'], 'rigs/x.yaml:10:11: boot.stable: expected a mapping, got "soon"'],
  ])('names a bad rule by file, line and field: %j', (lines, message) => {
    expect(linesOf(() => parseRig(rig('boot:', ...lines), 'rigs/x.yaml'))).toEqual([message]);
  });
});

describe('power.sag on a twin', () => {
  it('loads the supply shape with its defaults', () => {
    const config = parseRig(rig().replace('  driver: twin\n', '  driver: twin\n  sag: { volts: 2.2 }\n'), 'rigs/x.yaml');
    expect(config.power).toEqual({ driver: 'twin', offMs: 200, safeState: 'off', sag: { volts: 2.2, rampMs: 0, steps: 1 } });
  });

  it.each([
    ['  sag: { volts: -1 }', 'rigs/x.yaml:7:17: power.sag.volts: expected a number >= 0, got -1'],
    ['  sag: { volt: 2 }', 'rigs/x.yaml:7:8: power.sag.volts: required'],
    ['  sag: 2.2', 'rigs/x.yaml:7:8: power.sag: expected a mapping, got 2.2'],
  ])('names a bad sag by file, line and field: %s', (line, message) => {
    const lines = linesOf(() => parseRig(rig().replace('  driver: twin\n', `  driver: twin\n${line}\n`), 'rigs/x.yaml'));
    expect(lines[0]).toBe(message);
  });
});
