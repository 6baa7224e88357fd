/**
 * JUnit XML of a `hil run`, for CI servers that read no Allure (Jenkins, GitLab, GitHub test
 * reporters): written from results.jsonl (CutRecord, ./plan.ts) beside the run's Allure results.
 *
 * One file that validates against both dialects CI servers read: the Jenkins xUnit JUnit schema
 * and the stricter Apache Ant one (GitLab's parser follows it). That is why `testsuites` carries no
 * attributes, every `testsuite` has `properties`, `system-out` and `system-err`, and a testcase
 * has at most one `failure` or `error` and no output of its own (Ant allows none).
 *
 *   testsuites
 *     testsuite per (suite, rig, twin variant): properties rig, board, images, expect …
 *       testcase per result: kind cut (one cut), sweep (one op sweep in one cut mode: all its
 *         points), sweep-point (a failing point of it that has its own result and repro id) and
 *         detection (a seeded-bug rig's verdict: caught or missed). These are the run's Allure
 *         results one for one, so the counts agree with the HTML report (the CLI table instead
 *         spreads a sweep into its points and leaves its sweep-points out).
 *         failed (the device's fault) -> <failure>, broken (the rig's) -> <error>, each with
 *         expected vs seen and the commands that replay it.
 *     an interrupted run adds a testsuite "hil run" whose one testcase is an <error>.
 *
 * Text goes through xmlText/xmlAttr: characters XML 1.0 cannot carry at all (control characters,
 * U+FFFE/U+FFFF, lone UTF-16 surrogates from a console transcript) become visible escapes.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type { CutRecord } from './plan.js';
import { retryChain } from './retry-chain.js';

export interface JUnitOptions {
  /** The run's start (the testsuites' timestamp, UTC, whole seconds as the Ant schema wants). */
  timestamp?: Date;
  hostname?: string;
  /** Per testsuite, what to list under <properties> (rig file, board, images …). */
  properties?: (key: JUnitSuiteKey) => Record<string, string> | undefined;
  /** Per suite name: the outcomes that count as safe (a failure's "expected"). */
  safe?: (suite: string) => readonly string[] | undefined;
  /** The Allure results folder of the run: `hil repro ID --results DIR` (omitted: `hil repro ID`). */
  resultsDir?: string;
  /** Set for a run stopped before its end: "interrupted after K of N cuts". */
  interrupted?: string;
  /** Properties of the whole run (campaign, run id): repeated in each testsuite (Ant has no other place). */
  run?: Record<string, string>;
}

export interface JUnitSuiteKey {
  suite: string;
  rig: string;
  variant?: string;
}

export interface JUnitCounts {
  tests: number;
  failures: number;
  errors: number;
}

/** The JUnit XML document for these records (pure: same input, same text). */
export function junitXml(records: readonly CutRecord[], opts: JUnitOptions = {}): string {
  const stamp = (opts.timestamp ?? new Date()).toISOString().slice(0, 19);
  const host = opts.hostname ?? osHostname();
  const groups = new Map<string, { key: JUnitSuiteKey; records: CutRecord[] }>();
  for (const r of records) {
    const id = JSON.stringify([r.suite, r.rig, r.variant ?? '']);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key: { suite: r.suite, rig: r.rig, ...(r.variant && { variant: r.variant }) }, records: [] }));
    g.records.push(r);
  }
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  let id = 0;
  for (const { key, records: rs } of groups.values()) {
    const counts = countOf(rs);
    const name = `${key.suite} on ${key.rig}${key.variant ? ` (${key.variant})` : ''}`;
    const props = { ...opts.run, suite: key.suite, rig: key.rig, ...(key.variant && { variant: key.variant }), expect: rs[0]!.expect, ...opts.properties?.(key) };
    out.push(
      `  <testsuite name=${xmlAttr(nonEmpty(name))} package=${xmlAttr(nonEmpty(key.suite))} id="${id++}" timestamp="${stamp}" hostname=${xmlAttr(nonEmpty(host))} tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" time="0">`,
    );
    out.push(propertiesXml(props));
    const classname = `${key.suite}.${key.rig}${key.variant ? `[${key.variant}]` : ''}`;
    for (const r of rs) out.push(testcaseXml(r, classname, opts));
    out.push(`    <system-out>${xmlText(summaryLine(rs, counts))}</system-out>`, '    <system-err></system-err>', '  </testsuite>');
  }
  if (opts.interrupted) {
    out.push(
      `  <testsuite name="hil run" package="hil" id="${id}" timestamp="${stamp}" hostname=${xmlAttr(nonEmpty(host))} tests="1" failures="0" errors="1" time="0">`,
      propertiesXml({ ...opts.run, state: 'interrupted' }),
      `    <testcase name=${xmlAttr(opts.interrupted)} classname="hil.run" time="0">`,
      `      <error type="interrupted" message=${xmlAttr(`${opts.interrupted}: the results above are the cuts that finished; this run is not reports/latest`)}>${xmlText(opts.interrupted)}</error>`,
      '    </testcase>',
      '    <system-out></system-out>',
      '    <system-err></system-err>',
      '  </testsuite>',
    );
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/** tests / failures / errors of these records, as the XML counts them. */
export function countOf(records: readonly CutRecord[]): JUnitCounts {
  return {
    tests: records.length,
    failures: records.filter((r) => r.status === 'failed').length,
    errors: records.filter((r) => r.status === 'broken').length,
  };
}

/** Writes the document to `file` whole (a temporary name, then a rename); returns the file. */
export function writeJUnit(paths: { junit: string }, records: readonly CutRecord[], opts: JUnitOptions = {}): string {
  const tmp = `${paths.junit}.${process.pid}.tmp`;
  writeFileSync(tmp, junitXml(records, opts));
  renameSync(tmp, paths.junit);
  return paths.junit;
}

function propertiesXml(props: Record<string, string | undefined>): string {
  const lines = Object.entries(props)
    .filter((e): e is [string, string] => e[1] !== undefined && e[0].trim() !== '')
    .map(([k, v]) => `      <property name=${xmlAttr(k)} value=${xmlAttr(v)}/>`);
  return ['    <properties>', ...lines, '    </properties>'].join('\n');
}

function testcaseXml(r: CutRecord, classname: string, opts: JUnitOptions): string {
  const open = `    <testcase name=${xmlAttr(nonEmpty(r.test))} classname=${xmlAttr(nonEmpty(classname))} time="0"`;
  if (r.status === 'passed') return `${open}/>`;
  const { message, body } = explain(r, opts);
  const tag = r.status === 'broken' ? 'error' : 'failure';
  const type = r.status === 'broken' ? 'rig-error' : r.outcome || 'failed';
  return `${open}>\n      <${tag} type=${xmlAttr(type)} message=${xmlAttr(message)}>${xmlText(body)}</${tag}>\n    </testcase>`;
}

/** Expected, seen, why and the replay commands: the message alone must be enough in a CI's list. */
function explain(r: CutRecord, opts: JUnitOptions): { message: string; body: string } {
  const expected = expectedOf(r, opts.safe?.(r.suite));
  const seen = seenOf(r);
  const repro = reproLines(r, opts.resultsDir);
  const head = r.status === 'broken' ? `rig error${r.message ? `: ${r.message}` : ''} (not a device result)` : `expected ${expected}, seen ${seen}`;
  const message = [head, repro[0] && `repro: ${repro[0]}`].filter(Boolean).join('; ');
  const body = [
    `${r.kind} ${r.test} on ${r.rig}${r.variant ? ` (${r.variant})` : ''}, suite ${r.suite}`,
    `expected: ${expected}`,
    `seen:     ${seen}`,
    ...(r.message ? [`reason:   ${r.message}`] : []),
    ...(r.phase !== undefined ? [`cut at:   ${r.offsetMs !== undefined ? `${r.offsetMs.toFixed(3)} ms, ` : ''}phase ${r.phase}`] : []),
    ...repro.map((l, i) => `${i ? '          ' : 'repro:    '}${l}`),
  ];
  return { message, body: body.join('\n') };
}

function expectedOf(r: CutRecord, safe: readonly string[] | undefined): string {
  if (r.kind === 'detection') return 'caught (a cut ends in a bad outcome on this seeded-bug rig)';
  const outcomes = safe?.length ? safe.join(' | ') : 'a safe outcome';
  if (r.kind === 'sweep') return `every point ${outcomes}`;
  return outcomes;
}

function seenOf(r: CutRecord): string {
  // hil run --confirm N: whether the failure came back on every replay.
  const confirmed = r.confirm ? ` [${r.confirm.label} ${r.confirm.reproduced}/${r.confirm.times}]` : '';
  // A retried cut: how it came to its outcome (waiting → retry 1 → waiting → retry 2 → waiting).
  const chain = retryChain(r);
  if (r.kind !== 'sweep') return r.outcome + (chain ? ` (${chain})` : '') + (r.agree === false ? ' (console and flash disagree)' : '') + confirmed;
  const failing =
    r.failingCounts && Object.keys(r.failingCounts).length
      ? ` (${Object.entries(r.failingCounts)
          .map(([o, n]) => `${o}: ${n}`)
          .join(', ')})`
      : '';
  return `${r.failing ?? '?'} of ${r.points ?? '?'} points failing${failing}`;
}

function reproLines(r: CutRecord, resultsDir: string | undefined): string[] {
  const lines: string[] = [];
  if (r.reproId) lines.push(`hil repro ${r.reproId}${resultsDir ? ` --results ${shellWord(resultsDir)}` : ''}`);
  if (r.repro) lines.push(r.repro);
  return lines;
}

function shellWord(s: string): string {
  return /^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function summaryLine(rs: readonly CutRecord[], c: JUnitCounts): string {
  const kinds = new Map<string, number>();
  for (const r of rs) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  return `${c.tests} results (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}): ${c.tests - c.failures - c.errors} passed, ${c.failures} failed (device), ${c.errors} rig errors`;
}

/** The Ant schema wants names of at least one character (after whitespace is collapsed). */
function nonEmpty(s: string): string {
  return s.trim() ? s : '(unnamed)';
}

/**
 * Characters XML 1.0 has no way to carry, even as a reference: C0 controls but tab, newline and
 * carriage return, U+FFFE, U+FFFF, and halves of a UTF-16 surrogate pair standing alone. They
 * become `\uXXXX` text, so what the console sent stays visible.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(s: string): string {
  return s.replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Element text: the five specials that matter there, `>` too (a `]]>` in text is not allowed). */
export function xmlText(s: string): string {
  // \r as a reference: a parser turns a literal CR (and CR LF) into LF.
  return visible(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** A quoted attribute value; newlines and tabs as references, or a parser would fold them into spaces. */
export function xmlAttr(s: string): string {
  return `"${xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;')}"`;
}
