/**
 * History for a lab run, the way `hil run` keeps it for a local one: each board's runs in
 * `reports/history/CAMPAIGN.json` (what changed since the board's previous run, the trend per
 * rig) and board-keyed Allure history ids, so a board's results line up night after night
 * whichever Pi ran them. A lab run's report is built again when more of its jobs arrive: its
 * point in the history is replaced, never added twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MergedRun } from '../../lab/lab-report.js';
import { baseRigName, boardOf, type BoardIdentity } from '../../nightly/board.js';
import { boardChanges, formatChanges, whatChanged, type WhatChanged } from '../../nightly/changes.js';
import { historyFile, readHistory, runsByBoard, writeHistory, type HistoryRun } from '../../nightly/history.js';
import { inputsByReproId, type ResultFile } from '../../nightly/allure-results.js';
import { renderTrendSvg } from '../../nightly/trend.js';

/** How many runs per board the lab's history keeps (a campaign file's history.keep is the worker's). */
export const LAB_HISTORY_KEEP = 30;

/** A rig's board as its jobs said (rig file `board:`), else its name: history follows the board. */
export function labBoardOf(merged: Pick<MergedRun, 'boards'>): (rig: string) => BoardIdentity {
  return (rig) => {
    const board = merged.boards.get(rig) ?? merged.boards.get(baseRigName(rig));
    return boardOf({ name: rig, ...(board && { board }) });
  };
}

export interface LabHistory {
  changes: WhatChanged;
  text: string;
  file: string;
  trend: string;
}

export function recordLabHistory(reports: string, merged: MergedRun, results: readonly ResultFile[], warn: (text: string) => void): LabHistory {
  const file = historyFile(reports, merged.campaign);
  const { history, problem } = readHistory(file, merged.campaign);
  if (problem) warn(problem);
  const inputs = inputsByReproId(merged.results, results);
  const runs = runsByBoard(merged.records, { date: merged.date, campaign: merged.campaign, boardOf: labBoardOf(merged), inputsOf: (id) => inputs.get(id) });
  const previous = new Map<string, HistoryRun | undefined>();
  for (const [key, { board, run }] of runs) {
    const h = (history.boards[key] ??= { board, runs: [] });
    h.board = board;
    // This run's earlier point (its report built before the rest of its jobs arrived) goes.
    h.runs = h.runs.filter((r) => r.date !== merged.date);
    // A run drained late (a Pi offline for a while) goes where its date puts it.
    h.runs.push(run);
    h.runs.sort((a, b) => a.date.localeCompare(b.date));
    if (h.runs.length > LAB_HISTORY_KEEP) h.runs.splice(0, h.runs.length - LAB_HISTORY_KEEP);
    const at = h.runs.indexOf(run);
    previous.set(key, at > 0 ? h.runs[at - 1] : undefined);
  }
  writeHistory(file, history);
  const changes = whatChanged([...runs].map(([key, { board, run }]) => boardChanges(board, run, previous.get(key))));
  const repro = (id: string) => `hil repro ${id} --results ${merged.results}`;
  const text = formatChanges(changes, repro);
  writeFileSync(join(merged.dir, 'what-changed.txt'), formatChanges(changes, repro, Infinity) + '\n');
  writeFileSync(join(merged.dir, 'what-changed.json'), JSON.stringify(changes, null, 2) + '\n');
  const trend = renderTrendSvg(history);
  writeFileSync(join(merged.dir, 'trend.svg'), trend);
  return { changes, text, file, trend };
}
