import { describe, expect, it } from '@jest/globals';
import { consoleRegExp, expandSweep, formatTrigger, parseTrigger, type Trigger } from '../../src/config/index.js';

describe('parseTrigger', () => {
  it.each([
    ['after:1500ms', { kind: 'after', ms: 1500 }],
    ['after:1.5s', { kind: 'after', ms: 1500 }],
    ['after:1500', { kind: 'after', ms: 1500 }],
    ['after:0.25ms', { kind: 'after', ms: 0.25 }],
    ['progress:37%', { kind: 'progress', percent: 37 }],
    ['progress:12.5%', { kind: 'progress', percent: 12.5 }],
    ['progress:65536', { kind: 'progress', bytes: 65536 }],
    ['progress:64KiB', { kind: 'progress', bytes: 65536 }],
    ['progress:1MiB', { kind: 'progress', bytes: 1048576 }],
    ['console:/CRC OK/', { kind: 'console', pattern: 'CRC OK', flags: '', nth: 1, delayMs: 0 }],
    ['console:/crc ok/i#2+20ms', { kind: 'console', pattern: 'crc ok', flags: 'i', nth: 2, delayMs: 20 }],
    ['console:/slot A/B/+1.5s', { kind: 'console', pattern: 'slot A/B', flags: '', nth: 1, delayMs: 1500 }],
    ['  after:10ms  ', { kind: 'after', ms: 10 }],
  ])('%s', (text, trigger) => {
    expect(parseTrigger(text)).toEqual(trigger);
  });

  it.each([
    ['later:5ms', /^invalid trigger "later:5ms": expected after:<time>, progress:<percent\|bytes>, console:\/<regex>\/\[flags\]\[#nth\]\[\+delay\] or marker:<edge>\[\+delay\]$/],
    ['after:', /^invalid trigger "after:": expected a time such as 1500ms/],
    ['after:-5ms', /^invalid trigger "after:-5ms": expected a time/],
    ['after:5min', /expected a time/],
    ['progress:120%', /^invalid trigger "progress:120%": a percentage must be between 0% and 100%, got 120%$/],
    ['progress:64kb', /expected a percentage such as 37% or a byte count/],
    ['console:CRC OK', /expected console:\/<regex>\//],
    ['console://', /the console pattern is empty/],
    ['console:/CRC OK/g', /unsupported regex flag "g"/],
    ['console:/x/ii', /regex flag "i" given twice/],
    ['console:/x/#0', /#nth must be an integer >= 1 and <= 1000000000, got #0/],
    ['console:/x/+soon', /expected a time/],
  ])('rejects %s', (text, message) => {
    expect(() => parseTrigger(text)).toThrow(message);
  });

  it('rejects a regex that does not compile, quoting the engine', () => {
    expect(() => parseTrigger('console:/CRC (OK/')).toThrow('invalid trigger "console:/CRC (OK/": invalid regular expression: /CRC (OK/: Unterminated group');
  });

  it('throws a plain Error (the CLI turns it into a usage error)', () => {
    expect(() => parseTrigger('nope')).toThrow(Error);
    try {
      parseTrigger('nope');
    } catch (error) {
      expect((error as Error).constructor).toBe(Error);
    }
  });

  it('gives a console trigger its RegExp', () => {
    const trigger = parseTrigger('console:/crc ok/i');
    if (trigger.kind !== 'console') throw new Error('expected a console trigger');
    expect(consoleRegExp(trigger).test('CRC OK 0x1234')).toBe(true);
  });
});

describe('formatTrigger', () => {
  it.each(['after:1500ms', 'after:0.25ms', 'progress:37%', 'progress:65536', 'console:/CRC OK/', 'console:/crc ok/i#2+20ms', 'console:/a\\/b/ms#3'])('writes %s back canonically', (text) => {
    expect(formatTrigger(parseTrigger(text))).toBe(text);
  });

  it.each<Trigger>([
    { kind: 'after', ms: 1500 },
    { kind: 'progress', percent: 17.857 },
    { kind: 'progress', bytes: 4096 },
    { kind: 'console', pattern: 'Booting (A|B)', flags: 'i', nth: 1, delayMs: 12.5 },
  ])('round-trips %j', (trigger) => {
    expect(parseTrigger(formatTrigger(trigger))).toEqual(trigger);
  });

  it('normalises shorthand forms', () => {
    expect(formatTrigger(parseTrigger('after:1.5s'))).toBe('after:1500ms');
    expect(formatTrigger(parseTrigger('progress:64KiB'))).toBe('progress:65536');
  });
});

describe('expandSweep', () => {
  it('spaces percentages evenly, both ends included', () => {
    const triggers = expandSweep({ kind: 'progress', unit: 'percent', from: 5, to: 95, count: 8 });
    expect(triggers.map((t) => ('percent' in t ? t.percent : NaN))).toEqual([5, 17.857, 30.714, 43.571, 56.429, 69.286, 82.143, 95]);
  });

  it('spaces times evenly and rounds to microseconds', () => {
    expect(expandSweep({ kind: 'after', fromMs: 0, toMs: 400, count: 4 })).toEqual([
      { kind: 'after', ms: 0 },
      { kind: 'after', ms: 133.333 },
      { kind: 'after', ms: 266.667 },
      { kind: 'after', ms: 400 },
    ]);
  });

  it('rounds byte offsets to whole bytes', () => {
    const triggers = expandSweep({ kind: 'progress', unit: 'bytes', from: 0, to: 10, count: 4 });
    expect(triggers).toEqual([0, 3, 7, 10].map((bytes) => ({ kind: 'progress', bytes })));
  });

  it('sweeps the delay after a console line', () => {
    const triggers = expandSweep({ kind: 'console', pattern: 'CRC OK', flags: '', nth: 1, fromMs: 0, toMs: 60, count: 6 });
    expect(triggers.map(formatTrigger)).toEqual(['console:/CRC OK/', 'console:/CRC OK/+12ms', 'console:/CRC OK/+24ms', 'console:/CRC OK/+36ms', 'console:/CRC OK/+48ms', 'console:/CRC OK/+60ms']);
  });

  it('gives from alone for count 1', () => {
    expect(expandSweep({ kind: 'after', fromMs: 250, toMs: 900, count: 1 })).toEqual([{ kind: 'after', ms: 250 }]);
  });
});
