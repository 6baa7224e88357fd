import type { Outcome } from '../../config/vocabulary.js';

/**
 * What a map reads of a sweep: the fields of the engine's op log (`SweepRun.ops`) and point results
 * (`PointResult`, with the double mode's `second` cut) that it draws. Structural, so the engine's
 * own types (and their later extensions) are accepted as they are, and report/ never depends on
 * how the scenario builds them.
 */
export interface MapOp {
  index: number;
  kind: 'program' | 'erase';
  target?: 'flash' | 'options';
  address?: number;
  length?: number;
  /** The device's last phase event before the op (`swap idx 1 state 2`, `erase B`). */
  phase?: string;
  /** The host's part of the scenario (`update`, `reboot`). */
  stage?: string;
  /** A product's processor that ran the op (`host`, `radio`); `phase` is then that processor's last phase. */
  mcu?: string;
  /** A product's every processor's last phase when the op started (absent: carried from each one's own ops). */
  phases?: Readonly<Record<string, string>>;
}

export type MapCutMode = 'before' | 'after' | 'torn';

export interface MapCut {
  op: number;
  mode: MapCutMode;
  fraction?: number;
  seed?: number;
}

export interface MapPoint extends MapCut {
  /** A second cut in the recovery the first one starts (op index into that recovery's own log). */
  second?: MapCut;
}

export interface MapResult {
  point: MapPoint;
  outcome: Outcome;
  reasons?: readonly string[];
  /**
   * An accepted weakness (a suite's `expect.known` entry matched the point): drawn as known, never
   * as failing. A string is the entry's text, shown in the mark's title. Ignored when the outcome is
   * in the safe set.
   */
  known?: boolean | string;
}

export interface ResilienceMapInput {
  title: string;
  ops: readonly MapOp[];
  results: readonly MapResult[];
  /**
   * The outcomes that count as safe (the suite's or sign-off's `expect.safe`); every other outcome
   * is failing unless the point is known. Default: updated, rolled-back.
   */
  safe?: readonly string[];
  /**
   * Draw the double-cut map (first cut op x second cut op). By default it is drawn when any result
   * carries a second cut; `{ secondOps }` names how many ops the longest recovery logged (the y axis).
   */
  double?: boolean | { secondOps?: number };
}
