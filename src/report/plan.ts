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
  /**
   * A cut, the verdict of a seeded-bug rig's whole sweep, one (op sweep, mode) result of a suite's
   * op sweep (its points summed in `points`/`counts`), or one failing point of it that got its own
   * result (already counted in its sweep's record).
   */
  kind: 'cut' | 'detection' | 'sweep' | 'sweep-point';
  suite: string;
  rig: string;
  variant?: string;
  expect: 'recovers' | 'caught';
  test: string;
  trigger: string;
  outcome: string;
  /** kind cut, retried: the outcome right after the recovery (`outcome` is the final one) and each retry's. */
  firstOutcome?: string;
  retries?: { attempt: number; outcome: string; error?: string }[];
  /** kind sweep: points judged only after retries, by how their outcome came about (`waiting → retry 1 → updated`). */
  retried?: Record<string, number>;
  agree?: boolean;
  status: 'passed' | 'failed' | 'broken';
  offsetMs?: number;
  phase?: string;
  repro: string;
  /** The result's `repro id` (src/report/repro-record.ts): `hil repro ID` replays it. */
  reproId?: string;
  message?: string;
  /** kind sweep: points run, their outcomes, how many failed (outcome not in expect.safe) and as what. */
  points?: number;
  counts?: Record<string, number>;
  failing?: number;
  failingCounts?: Record<string, number>;
  /** kind sweep: points matching the suite's expect.known (accepted weaknesses), and as what; never failing. */
  known?: number;
  knownCounts?: Record<string, number>;
  /**
   * `hil run --confirm N` on a failing result: its N replays (through hil repro's replay), how many
   * gave the recorded outcome again, and the label that makes (deterministic N/N, intermittent k/N,
   * not reproduced 0/N). The status stays the run's own.
   */
  confirm?: { times: number; reproduced: number; label: 'deterministic' | 'intermittent' | 'not reproduced'; outcomes: string[] };
}
