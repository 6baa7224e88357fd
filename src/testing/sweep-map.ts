/**
 * The resilience map of one (sweep, mode) result, as an SVG document for its Allure attachment
 * (MAP's renderer: x = op index with the update's phases as bands, one mark per cut point coloured
 * by outcome, failing windows shaded).
 */
import { renderResilienceMap } from '../report/maps/resilience-map.js';
import type { PointResult } from '../scenario/sweep/recover.js';
import type { SweepRun } from '../scenario/sweep/engine.js';

export interface SweepMapInput {
  title: string;
  ops: SweepRun['ops'];
  /** `known`: the point is an accepted weakness (the suite's expect.known), drawn apart, never failing. */
  results: readonly (PointResult & { known?: boolean | string })[];
  /** The suite's expect.safe. */
  safe?: readonly string[];
}

export function sweepMapSvg(input: SweepMapInput): string {
  return renderResilienceMap(input);
}
