/**
 * A cell's verdict from what its cuts gave. The rules, in order:
 *   1. any never-acceptable outcome (bricked, wrong-image) fails the cell, whatever the rate;
 *   2. the Wilson lower bound of recovered / device results at or above the threshold passes it;
 *   3. otherwise, if rig errors or points not run left too few device results, and the cell could
 *      still reach the threshold had every one of them recovered, it is incomplete (a rig error is
 *      not a device result: it neither passes nor fails a device), else it fails.
 */
import type { Outcome } from '../config/vocabulary.js';
import type { CellStatus } from './report.js';
import { pointsNeeded, wilson } from './wilson.js';

export interface CellCounts {
  outcomes: Partial<Record<Outcome, number>>;
  rigErrors: number;
  notRun: number;
}

export interface Threshold {
  recovery: number;
  z: number;
}

export interface CellJudgement {
  status: CellStatus;
  reasons: string[];
  deviceResults: number;
  recovered: number;
  rate: number | null;
  bound: { lower: number; upper: number };
  pointsNeeded: number;
}

/** `99.21 %` (two decimals: a bound of 98.995 % must not print as 99 %). */
export function percent(x: number): string {
  return `${(Math.floor(x * 10000) / 100).toFixed(2)} %`;
}

/** Beyond this many extra cuts the answer is "none in practice". */
const MAX_EXTRA = 100_000_000;

/**
 * How many more cuts, all recovered, would lift k of n to the threshold (the bound rises with every
 * recovered cut toward 1, so one exists; found by doubling, then bisection). Undefined past MAX_EXTRA.
 */
export function recoveredCutsToPass(k: number, n: number, threshold: Threshold): number | undefined {
  const reaches = (m: number) => wilson(k + m, n + m, threshold.z).lower >= threshold.recovery;
  if (reaches(0)) return 0;
  let hi = 1;
  while (!reaches(hi)) {
    hi *= 2;
    if (hi > MAX_EXTRA) return undefined;
  }
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reaches(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** A threshold as written: `99 %`, `99.9 %` (no trailing zeros: it is a setting, not a measurement). */
export function share(x: number): string {
  return `${Number((x * 100).toFixed(4))} %`;
}

export function judgeCell(counts: CellCounts, threshold: Threshold, safe: readonly string[], never: readonly string[]): CellJudgement {
  let deviceResults = 0;
  let recovered = 0;
  for (const [outcome, n] of Object.entries(counts.outcomes) as [Outcome, number][]) {
    if (outcome === 'rig-error') continue;
    deviceResults += n;
    if (safe.includes(outcome)) recovered += n;
  }
  const bound = wilson(recovered, deviceResults, threshold.z);
  const rate = deviceResults ? recovered / deviceResults : null;
  const needed = pointsNeeded(threshold.recovery, threshold.z);
  const reasons: string[] = [];
  const fatal = never.filter((o) => (counts.outcomes[o as Outcome] ?? 0) > 0).map((o) => `${counts.outcomes[o as Outcome]} ${o}`);
  const boundText = `bound ${percent(bound.lower)} ${bound.lower >= threshold.recovery ? '>=' : '<'} ${share(threshold.recovery)}`;
  const missing = counts.rigErrors + counts.notRun;
  const apart = [counts.rigErrors && `${counts.rigErrors} rig error${counts.rigErrors === 1 ? '' : 's'}`, counts.notRun && `${counts.notRun} not run`].filter(Boolean).join(', ');

  let status: CellStatus;
  if (fatal.length) {
    status = 'fail';
    reasons.push(`${fatal.join(', ')}: never acceptable, whatever the rate`);
  } else if (bound.lower >= threshold.recovery) {
    status = 'pass';
    reasons.push(boundText);
  } else {
    // Had every missing cut recovered: could the bound have reached the threshold?
    const best = wilson(recovered + missing, deviceResults + missing, threshold.z).lower;
    if (missing > 0 && best >= threshold.recovery) {
      status = 'incomplete';
      reasons.push(`${boundText} on ${deviceResults} device result${deviceResults === 1 ? '' : 's'}: ${apart} left too few to decide`);
    } else {
      status = 'fail';
      reasons.push(boundText);
      if (recovered === deviceResults && deviceResults + missing < needed) {
        reasons.push(`too few cuts: ${deviceResults + missing} planned, at least ${needed} (all recovered) are needed for ${share(threshold.recovery)}`);
      } else if (recovered < deviceResults) {
        const more = recoveredCutsToPass(recovered, deviceResults, threshold);
        const lost = deviceResults - recovered;
        reasons.push(
          `with ${lost} cut${lost === 1 ? '' : 's'} not recovered, ${more === undefined ? 'no number of further cuts' : `${more} more recovered cuts (${deviceResults + more} in all)`} would reach ${share(threshold.recovery)}`,
        );
      }
    }
  }
  if (apart && status !== 'incomplete') reasons.push(`${apart} (not device results)`);
  return { status, reasons, deviceResults, recovered, rate, bound, pointsNeeded: needed };
}
