// What hil run trims from allure-jest's results before the HTML report is built: the generated
// test file's path and Jest's own labels, and long image hashes; the names, suite labels, history
// ids and the rig's labels stay.
import { describe, expect, it } from '@jest/globals';
import { compactResult } from '../../src/report/compact-result.js';

const sha = 'a1e202472e5d72c8262aeca87676a31f5dd413331fbf6f45f93a4eed18526096';

function sample() {
  return {
    name: 'cut 01: after:8000ms',
    historyId: 'h1',
    fullName: 'hilrig:reports/runs/20261206T074041Z-default/tests/16-detect-x--twin-y.test.mjs#detect-x on twin-y cut 01: after:8000ms',
    titlePath: ['hilrig', 'reports', 'runs', '20261206T074041Z-default', 'tests', '16-detect-x--twin-y.test.mjs', 'detect-x on twin-y'],
    labels: [
      { name: 'language', value: 'javascript' },
      { name: 'framework', value: 'jest' },
      { name: 'package', value: 'hilrig.reports.runs.20261206T074041Z-default.tests.16-detect-x--twin-y.test.mjs' },
      { name: 'host', value: 'pi-lab-3' },
      { name: 'thread', value: '2' },
      { name: 'parentSuite', value: 'detect-x on twin-y' },
      { name: 'board', value: 'twin-y' },
      { name: 'tag', value: 'seeded-bug' },
    ],
    parameters: [
      { name: 'rig', value: 'twin-y' },
      { name: 'image A sha256', value: sha },
      { name: 'image B sha256', value: 'not a hash' },
    ],
  };
}

describe('compactResult', () => {
  it('drops the test file path and Jest labels, shortens image hashes, keeps what the report groups and keys by', () => {
    const r = sample();
    expect(compactResult(r)).toBe(true);
    expect(r.fullName).toBe('detect-x on twin-y cut 01: after:8000ms');
    expect(r.titlePath).toBeUndefined();
    expect(r.labels.map((l) => l.name)).toEqual(['host', 'parentSuite', 'board', 'tag']);
    expect(r.parameters).toEqual([
      { name: 'rig', value: 'twin-y' },
      { name: 'image A sha256', value: `${sha.slice(0, 16)}…` },
      { name: 'image B sha256', value: 'not a hash' },
    ]);
    expect(r.name).toBe('cut 01: after:8000ms');
    expect(r.historyId).toBe('h1');
  });

  it('leaves a compacted result alone (a second pass changes nothing)', () => {
    const r = sample();
    compactResult(r);
    const once = JSON.stringify(r);
    expect(compactResult(r)).toBe(false);
    expect(JSON.stringify(r)).toBe(once);
  });

  it('leaves results hil wrote itself (no test file in the name) as they are', () => {
    const r = { fullName: 'hil run: 20261206T074041Z-default', labels: [{ name: 'parentSuite', value: 'release gate' }] };
    expect(compactResult(r)).toBe(false);
    expect(r.fullName).toBe('hil run: 20261206T074041Z-default');
  });
});
