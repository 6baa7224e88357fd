// A product suite's supported version sets (`compatible:`, issue 13 item 3): both written forms,
// the patterns, and every bad entry at its file:line:col with its field (`compatible[2][1]`).
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseSuite, type SuiteConfig } from '../../src/config/index.js';
import { compatibleIssuesFor } from '../../src/config/suite-schema.js';
import { formatCompatibleText, parseCompatibleText, parseVersionPattern, supportedBy, versionMatches, type VersionPattern } from '../../src/config/version-pattern.js';
import { configErrorOf, yaml } from './helpers.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const FILE = path.join(FIXTURES, 'suites', 'inline.yaml');
const SHOWN = path.relative(process.cwd(), FILE);
const HEAD = ['images:', '  from: ../firmware/app-v1.page2bin', '  to: ../firmware/app-v2.page2bin', 'cuts:', '  points: [progress:50%]'];

function suite(...lines: string[]): SuiteConfig {
  return parseSuite(yaml(...HEAD, ...lines), FILE);
}

function pattern(text: string): VersionPattern {
  const p = parseVersionPattern(text);
  if (typeof p === 'string') throw new Error(`not a pattern: ${p}`);
  return p;
}

describe('version patterns', () => {
  it('x takes whole components, an exact version only itself, * anything', () => {
    expect(versionMatches(pattern('2.x'), '2.0.0')).toBe(true);
    expect(versionMatches(pattern('2.x'), '2.10.3+1')).toBe(true);
    expect(versionMatches(pattern('2.x'), '20.0.0')).toBe(false);
    expect(versionMatches(pattern('2.0.x'), '2.0.7')).toBe(true);
    expect(versionMatches(pattern('2.0.x'), '2.1.0')).toBe(false);
    expect(versionMatches(pattern('2.0.0'), '2.0.0')).toBe(true);
    expect(versionMatches(pattern('2.0.0'), '2.0.1')).toBe(false);
    expect(versionMatches(pattern('*'), '9.9.9')).toBe(true);
    expect(versionMatches(pattern('*'), undefined)).toBe(false);
  });

  it('refuses an x in the middle, a lone x and words', () => {
    expect(parseVersionPattern('1.x.3')).toMatch(/only the last component/);
    expect(parseVersionPattern('x')).toMatch(/write \* for any/);
    expect(parseVersionPattern('latest')).toBe('"latest"');
  });

  it('a pair is supported by the first set every member matches', () => {
    const sets = suite('compatible:', '  - { host: 1.x, radio: 1.x }', '  - [host 2.x, radio *]').compatible!;
    expect(supportedBy(sets, { host: '2.0.0', radio: '1.0.0' })?.index).toBe(1);
    expect(supportedBy(sets, { host: '1.0.0', radio: '2.0.0' })).toBeUndefined();
  });
});

describe('compatible:', () => {
  it('reads the mapping form and the issue list form alike', () => {
    const parsed = suite('compatible: [[host 1.x, radio 1.x], { host: 2.x, radio: 2.0.x }, [host 2.x, radio 1.0.0]]');
    expect(parsed.compatible!.map((s) => Object.fromEntries(Object.entries(s.members).map(([m, p]) => [m, p.text])))).toEqual([
      { host: '1.x', radio: '1.x' },
      { host: '2.x', radio: '2.0.x' },
      { host: '2.x', radio: '1.0.0' },
    ]);
    expect(parsed.compatible!.map((s) => s.at)).toEqual([
      { host: 0, radio: 1 },
      { host: 'host', radio: 'radio' },
      { host: 0, radio: 1 },
    ]);
  });

  it('a suite without compatible: has none', () => {
    expect(suite().compatible).toBeUndefined();
  });

  it('names the file, line:col and field of each bad entry', () => {
    const error = configErrorOf(() =>
      suite(
        'compatible:',
        '  - [host 1.x, radio 1.x]',
        '  - { host: 2.x, radio: 2.0 }',
        '  - [host 2.x, radio 1.x.3]',
        '  - [host 2.x, radio]',
        '  - { host: 2.x, Radio!: 1.x }',
        '  - [host 1.x, host 2.x]',
        '  - host 2.x',
        '  - []',
      ),
    );
    expect(error.message.split('\n')).toEqual([
      `${SHOWN}:8:25: compatible[1].radio: expected a version pattern such as 2.x, 2.0.x, 2.0.0 or *, got 2 (quote it: "2.0.x")`,
      `${SHOWN}:9:16: compatible[2][1]: expected a version pattern such as 2.x, 2.0.x, 2.0.0 or *, got "1.x.3" (only the last component may be x, the others are numbers)`,
      `${SHOWN}:10:16: compatible[3][1]: expected "<member> <pattern>" such as "host 2.x", got "radio"`,
      `${SHOWN}:11:26: compatible[4]["Radio!"]: expected a member name such as host or radio, got "Radio!"`,
      `${SHOWN}:12:16: compatible[5][1]: member host is named twice in this set`,
      `${SHOWN}:13:5: compatible[6]: expected a set of versions such as { host: 2.x, radio: 1.x } or [host 2.x, radio 1.x], got "host 2.x"`,
      `${SHOWN}:14:5: compatible[7]: expected at least one member, got an empty list`,
    ]);
  });

  it('an empty list is refused at compatible', () => {
    expect(configErrorOf(() => suite('compatible: []')).message).toBe(`${SHOWN}:6:13: compatible: expected at least 1 entry, got 0`);
  });

  it('checked against the rig scheme: a single-processor scheme has no version sets', () => {
    const parsed = suite('compatible:', '  - [host 1.x, radio 1.x]');
    expect(compatibleIssuesFor(parsed, 'sfu-ab', 'twin-rp2040-sfu').map((i) => `${i.line}:${i.col}: ${i.path}: ${i.message}`)).toEqual([
      '7:3: compatible: scheme sfu-ab (rig twin-rp2040-sfu) runs one processor: compatible: is for products whose scheme has members (a version set per processor)',
    ]);
  });

  it('scheme: given in the suite: a single-processor scheme is refused at load', () => {
    expect(configErrorOf(() => suite('scheme: sfu-ab', 'compatible:', '  - { host: 1.x }')).message).toBe(
      `${SHOWN}:8:3: compatible: scheme sfu-ab runs one processor: compatible: is for products whose scheme has members (a version set per processor)`,
    );
  });
});

describe('--compatible text (hil cut, hil sweep, repro lines)', () => {
  it('reads sets separated by ; and members by , and writes them back the same', () => {
    const text = 'host 1.x, radio 1.x; host 1.x, radio 2.x; host 2.x, radio *';
    const sets = parseCompatibleText(text);
    expect(sets.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(formatCompatibleText(sets)).toBe(text);
    expect(supportedBy(sets, { host: '2.0.0', radio: '1.0.0' })?.index).toBe(2);
  });

  it('says which set and item is wrong', () => {
    expect(() => parseCompatibleText('host 1.x, radio')).toThrow('set 1, item 2: expected "<member> <pattern>" such as "host 2.x", got "radio"');
    expect(() => parseCompatibleText('host 1.x;; radio 2.x')).toThrow(/expected sets such as/);
    expect(() => parseCompatibleText('host 1.x, radio 1.x.x')).toThrow(
      'set 1, radio: expected a version pattern such as 2.x, 2.0.x, 2.0.0 or *, got "1.x.x" (only the last component may be x, the others are numbers)',
    );
  });
});
