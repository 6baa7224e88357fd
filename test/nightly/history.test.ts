// History per board, what changed and the gate, from synthetic results.jsonl records: the cap
// keeps the last N runs per board (the file stops growing), a board moved to another Pi (another
// rig file, same serial) keeps its history, flaky = same inputs id with the other status (a
// changed input is a new failure, not a flake), and each gate rule gives its exit code.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CutRecord } from '../../src/report/plan.js';
import { boardOf, type BoardIdentity } from '../../src/nightly/board.js';
import { appendRuns, historyFile, readHistory, runsByBoard, writeHistory } from '../../src/nightly/history.js';
import { boardChanges, formatChanges, whatChanged } from '../../src/nightly/changes.js';
import { evaluateGate } from '../../src/nightly/gate.js';
import { DEFAULT_GATE } from '../../src/config/campaign-schema.js';
import { inputsId } from '../../src/nightly/inputs.js';
import type { ReproRecord } from '../../src/report/repro-record.js';

const tmp = mkdtempSync(join(tmpdir(), 'hil-history-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cut = (test: string, status: CutRecord['status'], outcome: string, reproId?: string, rig = 'pi-pico-sfu'): CutRecord => ({
  kind: 'cut',
  suite: 'brownout-sfu',
  rig,
  expect: 'recovers',
  test,
  trigger: test,
  outcome,
  status,
  repro: `hil cut … ${test}`,
  ...(reproId && { reproId }),
});

/** One run through the history file, as hil run does it; returns what changed. */
function night(file: string, records: CutRecord[], boards: Record<string, BoardIdentity>, inputs: Record<string, string>, keep = 30, date = new Date().toISOString()) {
  const { history } = readHistory(file, 'nightly');
  const runs = runsByBoard(records, { date, campaign: 'nightly', boardOf: (rig) => boards[rig] ?? boardOf({ name: rig }), inputsOf: (id) => inputs[id] });
  const previous = appendRuns(history, runs, keep);
  writeHistory(file, history);
  return whatChanged([...runs].map(([key, { board, run }]) => boardChanges(board, run, previous.get(key))));
}

describe('history per board', () => {
  test('capped: 40 nights with keep 5 leave 5 runs per board, the newest; the file stops growing', () => {
    const file = historyFile(tmp, 'cap');
    const boards = { a: boardOf({ name: 'a' }), b: boardOf({ name: 'b' }) };
    const sizes: number[] = [];
    for (let n = 0; n < 40; n++) {
      night(
        file,
        [cut('cut 01', 'passed', 'updated', undefined, 'a'), cut('cut 01', n % 2 ? 'passed' : 'failed', 'wrong-image', undefined, 'b')],
        boards,
        {},
        5,
        `2026-11-${String(n).padStart(2, '0')}`,
      );
      sizes.push(statSync(file).size);
    }
    const h = JSON.parse(readFileSync(file, 'utf8')) as { boards: Record<string, { runs: { date: string }[] }> };
    expect(Object.keys(h.boards).sort()).toEqual(['a', 'b']);
    for (const b of Object.values(h.boards)) expect(b.runs.map((r) => r.date)).toEqual(['2026-11-35', '2026-11-36', '2026-11-37', '2026-11-38', '2026-11-39']);
    // Once full, a night adds what it drops.
    expect(Math.max(...sizes.slice(10))).toBe(Math.min(...sizes.slice(10)));
  });

  test('a board moved to another Pi (another rig file, same serial) keeps its history and is compared with its last night', () => {
    const file = historyFile(tmp, 'moved');
    const onPi1 = boardOf({ name: 'pi1-pico', board: { serial: 'E661', label: 'Pico' } });
    const onPi2 = boardOf({ name: 'pi2-pico', board: { serial: 'E661', label: 'Pico' } });
    night(file, [cut('cut 01', 'failed', 'bricked', 'aaaa0001', 'pi1-pico')], { 'pi1-pico': onPi1 }, { aaaa0001: 'in000001' });
    const changes = night(file, [cut('cut 01', 'passed', 'updated', 'aaaa0002', 'pi2-pico')], { 'pi2-pico': onPi2 }, { aaaa0002: 'in000002' });
    expect(changes.boards).toHaveLength(1);
    expect(changes.boards[0]!.board).toEqual({ key: 'E661', serial: 'E661', label: 'Pico', rig: 'pi2-pico' });
    expect(changes.boards[0]!.fixed.map((c) => c.test)).toEqual(['cut 01']);
    const h = readHistory(file, 'nightly').history;
    expect(h.boards.E661!.runs).toHaveLength(2);
  });

  test('a damaged history file is set aside and history starts again (the nightly still runs)', () => {
    const file = historyFile(tmp, 'damaged');
    writeFileSync(file, '{"version": 1, "boards": ');
    const { history, problem } = readHistory(file, 'damaged');
    expect(history.boards).toEqual({});
    expect(problem).toContain('moved to');
    expect(readFileSync(`${file}.unreadable`, 'utf8')).toBe('{"version": 1, "boards": ');
  });
});

describe('what changed', () => {
  const boards = { 'pi-pico-sfu': boardOf({ name: 'pi-pico-sfu', board: { serial: 'E661' } }) };

  test('new failure, fixed, still failing and flaky (same inputs id, other status); changed inputs are not a flake', () => {
    const file = historyFile(tmp, 'changes');
    night(
      file,
      [
        cut('cut 01', 'passed', 'updated', 'r1', undefined),
        cut('cut 02', 'failed', 'bricked', 'r2'),
        cut('cut 03', 'failed', 'wrong-image', 'r3'),
        cut('cut 04', 'passed', 'updated', 'r4'),
        cut('cut 05', 'passed', 'updated', 'r5'),
        cut('cut 06', 'passed', 'updated', 'r6'),
      ],
      boards,
      { r1: 'i1', r2: 'i2', r3: 'i3', r4: 'i4', r5: 'i5', r6: 'i6' },
    );
    const changes = night(
      file,
      [
        cut('cut 01', 'failed', 'bricked', 's1'), // other inputs (a new image): a new failure
        cut('cut 02', 'passed', 'updated', 's2'), // other inputs: fixed
        cut('cut 03', 'failed', 'wrong-image', 'r3'), // still failing
        cut('cut 04', 'failed', 'wrong-image', 's4'), // same inputs, now failing: flaky
        cut('cut 05', 'passed', 'rolled-back', 's5'), // same inputs, another safe outcome: counted only
        cut('cut 07', 'failed', 'bricked', 's7'), // a test the previous night did not have
      ],
      boards,
      { s1: 'j1', s2: 'j2', r3: 'i3', s4: 'i4', s5: 'i5', s7: 'j7' },
    );
    const b = changes.boards[0]!;
    expect(b.newFailures.map((c) => c.test)).toEqual(['cut 01', 'cut 07']);
    expect(b.fixed.map((c) => c.test)).toEqual(['cut 02']);
    expect(b.stillFailing.map((c) => c.test)).toEqual(['cut 03']);
    expect(b.flaky.map((c) => c.test)).toEqual(['cut 04']);
    expect(b.flaky[0]!.previous).toMatchObject({ status: 'passed', outcome: 'updated' });
    expect(b.outcomeChanged).toBe(1);
    expect(b.notRun).toBe(1); // cut 06
    expect(changes.totals).toEqual({ newFailures: 2, fixed: 1, stillFailing: 1, flaky: 1 });

    const text = formatChanges(changes, (id) => `hil repro ${id}`);
    expect(text.split('\n')[0]).toBe('what changed since the previous run: 2 new failure(s), 1 fixed, 1 still failing, 1 flaky');
    expect(text).toContain('pi-pico-sfu (board E661): since ');
    expect(text).toContain('  flaky (same inputs, other result) (1):\n    brownout-sfu on pi-pico-sfu: cut 04 -> FAILED wrong-image, was passed updated\n      hil repro s4');
    expect(text).toContain('  fixed (1):\n    brownout-sfu on pi-pico-sfu: cut 02 -> updated, was failed bricked\n      hil repro s2');
  });

  test('the inputs id ignores the outcome seen (the repro id does not): same cut, other outcome = same inputs', () => {
    const record = {
      version: 1,
      kind: 'cut',
      rig: { name: 'r', file: 'rigs/r.yaml' },
      images: {},
      setup: 'default',
      trigger: 'after:1ms',
      offMs: 200,
      seed: 1,
      expected: ['updated'],
      seen: 'updated',
      agree: true,
    } as unknown as ReproRecord;
    expect(inputsId({ ...record, seen: 'bricked', agree: false })).toBe(inputsId(record));
    expect(inputsId({ ...record, seed: 2 })).not.toBe(inputsId(record));
  });
});

describe('the gate decides the exit code', () => {
  const gate = { maxFailures: 0, minTests: 3, everyRigTested: true, maxRigErrors: 0 };
  const ok = [cut('c1', 'passed', 'updated', undefined, 'a'), cut('c2', 'passed', 'updated', undefined, 'a'), cut('c3', 'passed', 'updated', undefined, 'b')];

  test('passes: exit 0', () => {
    expect(evaluateGate(gate, ok, ['a', 'b'])).toMatchObject({ passed: true, exitCode: 0 });
  });

  test('too few tests: exit 1', () => {
    const r = evaluateGate(gate, ok.slice(0, 2), ['a']);
    expect(r).toMatchObject({ passed: false, exitCode: 1 });
    expect(r.rules.filter((x) => !x.ok).map((x) => x.rule)).toEqual(['minTests']);
  });

  test('a listed rig with no device result (only rig errors, or none): exit 3, naming the rig', () => {
    const r = evaluateGate({ ...gate, maxRigErrors: 5 }, [...ok, cut('c4', 'broken', 'rig-error', undefined, 'pi-offline')], ['a', 'b', 'pi-offline', 'pi-gone']);
    expect(r).toMatchObject({ passed: false, exitCode: 3 });
    const rule = r.rules.find((x) => x.rule === 'everyRigTested')!;
    expect(rule.actual).toEqual(['pi-offline', 'pi-gone']);
    expect(rule.message).toBe('not tested (no device result): pi-offline, pi-gone');
  });

  test('more failures than allowed: exit 1, also when rig errors fail it too', () => {
    const failing = [...ok, cut('c4', 'failed', 'bricked', undefined, 'a'), cut('c5', 'broken', 'rig-error', undefined, 'b')];
    expect(evaluateGate(gate, failing, ['a', 'b'])).toMatchObject({ passed: false, exitCode: 1 });
    expect(evaluateGate({ ...gate, maxFailures: 1 }, failing, ['a', 'b'])).toMatchObject({ passed: false, exitCode: 3 });
    expect(evaluateGate({ ...gate, maxFailures: 1, maxRigErrors: 1 }, failing, ['a', 'b'])).toMatchObject({ passed: true, exitCode: 0 });
  });

  test('without a campaign file: what hil run always did (failed 1, else broken 3, else Jest failing 1)', () => {
    expect(evaluateGate(DEFAULT_GATE, [], []).exitCode).toBe(0);
    expect(evaluateGate(DEFAULT_GATE, [cut('c', 'failed', 'bricked'), cut('d', 'broken', 'rig-error')], []).exitCode).toBe(1);
    expect(evaluateGate(DEFAULT_GATE, [cut('d', 'broken', 'rig-error')], []).exitCode).toBe(3);
    expect(evaluateGate(DEFAULT_GATE, [cut('c', 'passed', 'updated')], [], 1).exitCode).toBe(1);
  });
});
