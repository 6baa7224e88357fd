/**
 * What a sign-off produced, as plain data: the page renders it, `--json` prints it, the Allure
 * result carries it. One shape for all three, so they never disagree.
 */
import type { Outcome } from '../config/vocabulary.js';

export type CellStatus = 'pass' | 'fail' | 'incomplete' | 'not-run' | 'n/a';

/** A cut the rig could not make (a rig error is never a device result). */
export interface RigErrorEntry {
  point: string;
  message: string;
}

/** A cut whose outcome is not a recovery. */
export interface FailingPoint {
  point: string;
  outcome: Outcome;
  reasons: string[];
  /** The command that makes this cut again (`hil sweep … --point P`, `hil cut … --trigger T`). */
  repro: string;
}

export interface CellResult {
  id: string;
  rig: string;
  path: string;
  mode: string;
  runner: 'sweep' | 'replay';
  status: CellStatus;
  /** Why it has that status, for a reader: `bound 99.21 % >= 99 %`, `1 bricked`, … */
  reasons: string[];
  /** Cut points the mode gave (tried = device results + rig errors + not run). */
  planned: number;
  /** Cuts that ended in a device outcome. */
  deviceResults: number;
  recovered: number;
  /** recovered / deviceResults, or null with no device result. */
  rate: number | null;
  /** Wilson interval of the rate at the sign-off's confidence. */
  bound: { lower: number; upper: number };
  /** Device outcomes counted. */
  outcomes: Partial<Record<Outcome, number>>;
  rigErrors: { count: number; first: RigErrorEntry[] };
  /** Points not run (interrupted, or given up on after repeated rig errors). */
  notRun: number;
  /** Points that shared an earlier point's recovery (same flash state; sweep cells). */
  sharedStates?: number;
  /** Flash ops in the recorded update (sweep cells). */
  ops?: number;
  failing: { count: number; first: FailingPoint[] };
  /** Cuts, all recovered, this cell needs at least for its threshold to be reachable. */
  pointsNeeded: number;
  /** The cell's resilience map, relative to the page's folder (absent when it did not run). */
  map?: string;
  seconds: number;
}

export interface InventoryEntry {
  rig: string;
  file: string;
  kind: 'twin' | 'bench';
  runner: 'sweep' | 'replay';
  target: string;
  scheme: string;
  variant?: string;
  board: { serial: string; label?: string; serialFromRigName: boolean };
  /** rig name + board serial: how history and sign-offs key a board. */
  key: string;
}

export interface ImageEntry {
  path: string;
  role: 'from' | 'to' | 'previous';
  file: string;
  name: string;
  sha256: string;
  version?: string;
  scheme: string;
}

export interface SignoffReport {
  signoff: { name: string; file: string; description?: string };
  verdict: 'pass' | 'fail' | 'incomplete' | 'interrupted';
  exitCode: number;
  hilrig: { version: string };
  date: string;
  threshold: {
    recovery: number;
    confidence: number;
    z: number;
    /** Cuts, all recovered, any cell needs for the bound to reach the threshold: ceil(z²·t / (1 - t)). */
    pointsNeeded: number;
    method: string;
  };
  expect: { safe: string[]; neverAcceptable: string[]; bootLoopCycles: number };
  inventory: InventoryEntry[];
  images: ImageEntry[];
  paths: { name: string; setup?: string; scheme?: string }[];
  modes: string[];
  cells: CellResult[];
  totals: { cells: number; passed: number; failed: number; incomplete: number; notRun: number; notApplicable: number; cuts: number; rigErrors: number };
  /** The page, the JSON beside it and the Allure results folder the sign-off's result went to (absolute paths). */
  files: { page: string; json: string; allure?: string };
  seconds: number;
}

/** A sign-off's counts over its cells (one run's, or a lab's jobs' united). */
export function signoffTotals(cells: readonly CellResult[]): SignoffReport['totals'] {
  const count = (s: CellResult['status']) => cells.filter((c) => c.status === s).length;
  return {
    cells: cells.length,
    passed: count('pass'),
    failed: count('fail'),
    incomplete: count('incomplete'),
    notRun: count('not-run'),
    notApplicable: count('n/a'),
    cuts: cells.reduce((a, c) => a + c.deviceResults, 0),
    rigErrors: cells.reduce((a, c) => a + c.rigErrors.count, 0),
  };
}
