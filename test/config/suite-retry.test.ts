// A suite's `retry: N` (issue 12 item 2): the host's retries of the update after a cut's recovery,
// at the top of the suite and on a rig entry; bad values reported at file:line:col with the field.
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseSuite, type SuiteConfig } from '../../src/config/index.js';
import { MAX_RETRY } from '../../src/config/suite-schema.js';
import { configErrorOf, yaml } from './helpers.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const FILE = path.join(FIXTURES, 'suites', 'inline.yaml');
const SHOWN = path.relative(process.cwd(), FILE);
const HEAD = ['images:', '  from: ../firmware/app-v1.page2bin', '  to: ../firmware/app-v2.page2bin', 'cuts:', '  points: [after:100ms]'];

function suite(...lines: string[]): SuiteConfig {
  return parseSuite(yaml(...HEAD, ...lines), FILE);
}

describe('suite retry:', () => {
  it('defaults to 0; a number is kept; a rig entry may give its own', () => {
    expect(suite().retry).toBe(0);
    const s = suite('retry: 2', 'rigs:', '  - twin-rp2040-sfu', '  - { rig: twin-rp2040-sfu, retry: 0 }', '  - { rig: twin-rp2040-sfu, variant: correct, retry: 5 }');
    expect(s.retry).toBe(2);
    expect(s.rigs.map((r) => r.retry)).toEqual([undefined, 0, 5]);
  });

  it('names the file, line:col and field of a wrong type, a negative, a fraction and too many', () => {
    const lines = (...body: string[]) => configErrorOf(() => suite(...body)).message.split('\n');
    expect(lines('retry: two')).toEqual([`${SHOWN}:6:8: retry: expected an integer, got "two"`]);
    expect(lines('retry: -1')).toEqual([`${SHOWN}:6:8: retry: expected an integer >= 0 and <= ${MAX_RETRY}, got -1`]);
    expect(lines('retry: 1.5')).toEqual([`${SHOWN}:6:8: retry: expected an integer >= 0 and <= ${MAX_RETRY}, got 1.5`]);
    expect(lines(`retry: ${MAX_RETRY + 1}`)).toEqual([`${SHOWN}:6:8: retry: expected an integer >= 0 and <= ${MAX_RETRY}, got ${MAX_RETRY + 1}`]);
    expect(lines('rigs:', '  - { rig: twin-rp2040-sfu, retry: [1] }')).toEqual([`${SHOWN}:7:36: rigs[0].retry: expected an integer, got a list`]);
  });
});
