/**
 * hilrig's own run history, per board, for "what changed since the previous run": one small JSON
 * file per campaign (`reports/history/NAME.json`), each board keeping its last `keep` runs, each
 * run one line of facts per test (status, outcome, inputs id, repro id). Allure keeps its own
 * history (allurerc.mjs `historyPath`) for the report's trends; this one is what the CLI compares.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CutRecord } from '../report/plan.js';
import { rigTags, type BoardIdentity } from './board.js';

export const HISTORY_VERSION = 1;
/** Tests kept per run and board: a runaway sweep must not make the file grow without bound. */
export const MAX_TESTS_PER_RUN = 20_000;

export interface HistoryTest {
  status: CutRecord['status'];
  outcome: string;
  /** Same inputs id on two runs: the very same cut (./inputs.ts). */
  inputs?: string;
  reproId?: string;
  /** --confirm's label on a failing result: `deterministic 3/3`. */
  confirm?: string;
  /** The rig name as the result showed it (the board's rig file may change). */
  rig: string;
  suite: string;
  test: string;
}

export interface HistoryRun {
  /** When the run started (ISO); also its id. */
  date: string;
  campaign: string;
  totals: { tests: number; passed: number; failed: number; broken: number };
  tests: Record<string, HistoryTest>;
  /** Tests past MAX_TESTS_PER_RUN that were not kept. */
  dropped?: number;
}

export interface BoardHistory {
  board: BoardIdentity;
  /** Oldest first; at most the campaign's history.keep. */
  runs: HistoryRun[];
}

export interface HistoryFile {
  version: typeof HISTORY_VERSION;
  campaign: string;
  boards: Record<string, BoardHistory>;
}

/** One stream per campaign (nightly, signoff, an ad-hoc label): they never compare with each other. */
export function historyFile(reportsDir: string, campaign: string): string {
  return join(reportsDir, 'history', `${campaign.replace(/[^\w.-]+/g, '_')}.json`);
}

/** The file's history; a missing one is empty, an unreadable one too (returned as `problem`, the file kept aside). */
export function readHistory(file: string, campaign: string): { history: HistoryFile; problem?: string } {
  const empty: HistoryFile = { version: HISTORY_VERSION, campaign, boards: {} };
  if (!existsSync(file)) return { history: empty };
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as HistoryFile;
    if (data?.version !== HISTORY_VERSION || typeof data.boards !== 'object' || data.boards === null) throw new Error(`not a version ${HISTORY_VERSION} history file`);
    return { history: data };
  } catch (err) {
    // A damaged history must not stop a nightly: keep the file for a look and start again.
    const aside = `${file}.unreadable`;
    renameSync(file, aside);
    return { history: empty, problem: `${file}: ${(err as Error).message}; moved to ${aside}, history starts again` };
  }
}

/** What identifies a test across runs on one board: suite, variant tags, expectation and name (not the rig file's name). */
export function testKey(r: Pick<CutRecord, 'suite' | 'rig' | 'expect' | 'test'>): string {
  return `${r.suite}${rigTags(r.rig)} ${r.expect}: ${r.test}`;
}

/** This run's records as one history run per board. Records of a rig with no known board are keyed by the rig's name. */
export function runsByBoard(
  records: readonly CutRecord[],
  opts: { date: string; campaign: string; boardOf: (rigName: string) => BoardIdentity; inputsOf: (reproId: string) => string | undefined },
): Map<string, { board: BoardIdentity; run: HistoryRun }> {
  const out = new Map<string, { board: BoardIdentity; run: HistoryRun }>();
  for (const r of records) {
    const board = opts.boardOf(r.rig);
    let entry = out.get(board.key);
    if (!entry) out.set(board.key, (entry = { board, run: { date: opts.date, campaign: opts.campaign, totals: { tests: 0, passed: 0, failed: 0, broken: 0 }, tests: {} } }));
    const { run } = entry;
    run.totals.tests++;
    run.totals[r.status]++;
    const key = testKey(r);
    if (!(key in run.tests) && Object.keys(run.tests).length >= MAX_TESTS_PER_RUN) {
      run.dropped = (run.dropped ?? 0) + 1;
      continue;
    }
    const inputs = r.reproId ? opts.inputsOf(r.reproId) : undefined;
    run.tests[key] = {
      status: r.status,
      outcome: r.outcome,
      ...(inputs && { inputs }),
      ...(r.reproId && { reproId: r.reproId }),
      ...(r.confirm && { confirm: `${r.confirm.label} ${r.confirm.reproduced}/${r.confirm.times}` }),
      rig: r.rig,
      suite: r.suite,
      test: r.test,
    };
  }
  return out;
}

/**
 * Adds this run to each board's history, keeping the last `keep` runs per board, and returns each
 * board's previous run (the one to compare with), if it had one.
 */
export function appendRuns(history: HistoryFile, runs: Map<string, { board: BoardIdentity; run: HistoryRun }>, keep: number): Map<string, HistoryRun | undefined> {
  const previous = new Map<string, HistoryRun | undefined>();
  for (const [key, { board, run }] of runs) {
    const h = (history.boards[key] ??= { board, runs: [] });
    previous.set(key, h.runs.at(-1));
    // The latest rig file that ran the board names it (a moved board shows its new Pi).
    h.board = board;
    h.runs.push(run);
    if (h.runs.length > keep) h.runs.splice(0, h.runs.length - keep);
  }
  return previous;
}

/** Written whole to a temporary file and renamed: a kill mid-write leaves the old history. */
export function writeHistory(file: string, history: HistoryFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(history) + '\n');
  renameSync(tmp, file);
}
