/**
 * What `hil run` hands to the Jest workers: one entry per (suite, rig), each becoming one test
 * file so Jest runs rigs in parallel, one rig per worker.
 */
export interface PlanEntry {
  campaign: string;
  suiteFile: string;
  rigFile: string;
  expect: 'recovers' | 'caught';
  /** The suite's overrides of the twin rig (variant, power-loss mode). */
  twin?: { variant?: string; powerLoss?: 'skip' | 'complete' | 'torn' | 'random' };
  /** Where each finished cut appends one JSON line, for the CLI's summary. */
  resultsFile: string;
}

/** One line of results.jsonl. */
export interface CutRecord {
  /** A cut, or the verdict of a seeded-bug rig's whole sweep. */
  kind: 'cut' | 'detection';
  suite: string;
  rig: string;
  variant?: string;
  expect: 'recovers' | 'caught';
  test: string;
  trigger: string;
  outcome: string;
  agree?: boolean;
  status: 'passed' | 'failed' | 'broken';
  offsetMs?: number;
  phase?: string;
  repro: string;
  /** The result's `repro id` (src/report/repro-record.ts): `hil repro ID` replays it. */
  reproId?: string;
  message?: string;
}
