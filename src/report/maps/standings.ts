import { outcomeCounts } from './legend.js';
import type { MapResult } from './map-types.js';
import { safeSetOf, standingOf, type Standing } from './outcome-style.js';
import { vulnerableWindows } from './vulnerable-windows.js';

/**
 * One judging of a map's points for both map shapes (per op and double): each point is safe (in
 * the input's safe set), known (an accepted weakness) or failing; the legend counts leave known
 * points out, and the red windows are runs of failing points only.
 */
export function standings(results: readonly MapResult[], safeList?: readonly string[]) {
  const safe = safeSetOf(safeList);
  const standing = new Map<MapResult, Standing>(results.map((r) => [r, standingOf(r, safe)]));
  const is = (r: MapResult, s: Standing) => standing.get(r) === s;
  return {
    safe,
    is,
    failing: results.filter((r) => is(r, 'failing')),
    known: results.filter((r) => is(r, 'known')),
    counts: outcomeCounts(results.filter((r) => !is(r, 'known')).map((r) => r.outcome)),
    windows: vulnerableWindows(results, (r) => is(r, 'failing')),
  };
}
