/**
 * The resilience map of one (sweep, mode) result, as an SVG document for its Allure attachment.
 * MAP's renderer (src/report/maps/resilience-map.ts) is not committed yet: until it is, no map is
 * attached (the failing-points listing carries the windows as text).
 */
import type { PointResult } from '../scenario/sweep/recover.js';
import type { SweepRun } from '../scenario/sweep/engine.js';

export interface SweepMapInput {
  title: string;
  ops: SweepRun['ops'];
  results: readonly PointResult[];
}

export function sweepMapSvg(_input: SweepMapInput): string | undefined {
  return undefined;
}
