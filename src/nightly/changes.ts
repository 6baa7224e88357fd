/**
 * What changed on each board since its previous run: new failures, fixed, still failing, and flaky
 * (the same inputs, by inputs id, gave the other status). A test is failing when it failed (the
 * device) or broke (the rig); lines say which. A safe outcome that changed on the same inputs
 * (updated one night, rolled-back the next: the cut landed on either side of the commit) is
 * counted, not listed: on a real rig timing jitters, and both outcomes are what the suite accepts.
 */
import { describeBoard, type BoardIdentity } from './board.js';
import type { HistoryRun, HistoryTest } from './history.js';

export interface Change {
  board: string;
  rig: string;
  suite: string;
  test: string;
  status: HistoryTest['status'];
  outcome: string;
  previous?: { status: HistoryTest['status']; outcome: string; date: string };
  reproId?: string;
  /** --confirm's label (`intermittent 1/3`), when the run confirmed it. */
  confirm?: string;
}

export interface BoardChanges {
  board: BoardIdentity;
  /** The previous run's date; absent on a board's first run. */
  since?: string;
  newFailures: Change[];
  fixed: Change[];
  stillFailing: Change[];
  flaky: Change[];
  /** Passing both times with another safe outcome on the same inputs. */
  outcomeChanged: number;
  /** Tests of the previous run that did not run this time. */
  notRun: number;
}

export interface WhatChanged {
  boards: BoardChanges[];
  totals: { newFailures: number; fixed: number; stillFailing: number; flaky: number };
}

const failing = (t: HistoryTest) => t.status !== 'passed';

/** Compares one board's run with its previous one (none: every failure is new). */
export function boardChanges(board: BoardIdentity, run: HistoryRun, previous: HistoryRun | undefined): BoardChanges {
  const out: BoardChanges = { board, ...(previous && { since: previous.date }), newFailures: [], fixed: [], stillFailing: [], flaky: [], outcomeChanged: 0, notRun: 0 };
  const change = (t: HistoryTest, before?: HistoryTest): Change => ({
    board: board.key,
    rig: t.rig,
    suite: t.suite,
    test: t.test,
    status: t.status,
    outcome: t.outcome,
    ...(before && previous && { previous: { status: before.status, outcome: before.outcome, date: previous.date } }),
    ...(t.reproId && { reproId: t.reproId }),
    ...(t.confirm && { confirm: t.confirm }),
  });
  for (const [key, t] of Object.entries(run.tests)) {
    const before = previous?.tests[key];
    const sameInputs = before?.inputs !== undefined && before.inputs === t.inputs;
    if (before && sameInputs && failing(before) !== failing(t)) out.flaky.push(change(t, before));
    else if (failing(t)) (before && failing(before) ? out.stillFailing : out.newFailures).push(change(t, before));
    else if (before && failing(before)) out.fixed.push(change(t, before));
    else if (before && sameInputs && before.outcome !== t.outcome) out.outcomeChanged++;
  }
  if (previous) for (const key of Object.keys(previous.tests)) if (!(key in run.tests)) out.notRun++;
  return out;
}

export function whatChanged(boards: BoardChanges[]): WhatChanged {
  const totals = { newFailures: 0, fixed: 0, stillFailing: 0, flaky: 0 };
  for (const b of boards) {
    totals.newFailures += b.newFailures.length;
    totals.fixed += b.fixed.length;
    totals.stillFailing += b.stillFailing.length;
    totals.flaky += b.flaky.length;
  }
  return { boards, totals };
}

/** Lines listed per category and board; the file and the report have them all. */
export const MAX_LISTED = 20;

/**
 * The summary as text. `repro(id)` gives the command that replays a result (`hil repro ID`, with
 * `--results DIR` when the results are not where hil repro looks by default).
 */
export function formatChanges(changes: WhatChanged, repro: (id: string) => string, max = MAX_LISTED): string {
  const { totals } = changes;
  const lines = [`what changed since the previous run: ${totals.newFailures} new failure(s), ${totals.fixed} fixed, ${totals.stillFailing} still failing, ${totals.flaky} flaky`];
  for (const b of changes.boards) {
    const head = `${describeBoard(b.board)}: ${b.since ? `since ${b.since}` : 'first run (nothing to compare with)'}`;
    const notes = [b.outcomeChanged ? `${b.outcomeChanged} passing cut(s) ended in another safe outcome on the same inputs` : '', b.notRun ? `${b.notRun} test(s) of the previous run did not run` : '']
      .filter(Boolean)
      .join('; ');
    lines.push(`${head}${notes ? ` (${notes})` : ''}`);
    const section = (title: string, list: Change[]) => {
      if (!list.length) return;
      lines.push(`  ${title} (${list.length}):`);
      for (const c of list.slice(0, max)) {
        const was = c.previous ? `, was ${c.previous.status} ${c.previous.outcome}` : '';
        lines.push(`    ${c.suite} on ${c.rig}: ${c.test} -> ${c.status === 'passed' ? '' : `${c.status.toUpperCase()} `}${c.outcome}${c.confirm ? ` [${c.confirm}]` : ''}${was}`);
        if (c.reproId) lines.push(`      ${repro(c.reproId)}`);
      }
      if (list.length > max) lines.push(`    … and ${list.length - max} more (see the what-changed file)`);
    };
    section('new failures', b.newFailures);
    section('flaky (same inputs, other result)', b.flaky);
    section('still failing', b.stillFailing);
    section('fixed', b.fixed);
  }
  return lines.join('\n');
}
