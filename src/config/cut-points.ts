/** A suite's cut schedule as one list: explicit points first, then each sweep expanded in order. */
import type { CutPoint, SuiteConfig } from './suite-schema.js';
import { expandSweep } from './sweep.js';

export function suiteCutPoints(suite: Pick<SuiteConfig, 'cuts'>): CutPoint[] {
  const { offMs, points, sweeps } = suite.cuts;
  const withOff = (point: CutPoint): CutPoint => {
    const off = point.offMs ?? offMs;
    return off === undefined ? { ...point } : { ...point, offMs: off };
  };
  return [...points.map(withOff), ...sweeps.flatMap((sweep) => expandSweep(sweep).map((trigger) => withOff({ trigger, ...(sweep.secondMs !== undefined && { second: sweep.secondMs }) })))];
}
