/**
 * The statistics of a sign-off cell: the Wilson score interval of a recovery rate, the z of a
 * confidence, and how many cuts a cell needs before its threshold can be reached at all.
 *
 * Why Wilson: a cell's rate is k recoveries out of n cuts, and the interesting rates are near 1,
 * where the textbook (Wald) interval p ± z·sqrt(p(1-p)/n) collapses to zero width at k = n and
 * would "prove" 100 % from ten good cuts. Wilson's interval stays inside [0, 1], is not degenerate
 * at k = n or k = 0, and at k = n its lower bound is n / (n + z²): the number of cuts a claim costs.
 *
 * Which z: the lower end of the two-sided interval at the confidence c, z = Φ⁻¹(1 - (1 - c) / 2)
 * (1.96 at 95 %), as "the Wilson 95 % interval" is quoted. Read one-sidedly, that lower end is a
 * (1 + c) / 2 confidence bound (97.5 % at 95 %), so "recovery >= 99 % at 95 % confidence" holds with
 * margin: a release sign-off is not the place to round in the release's favour.
 *
 * The bound treats the cuts as independent draws of a cut instant. A random sweep is such a draw;
 * an every-op or range sweep enumerates instants instead (the page says which), where the bound
 * reads as "if the cut instants were drawn like these".
 */

/** The standard normal density. */
function density(t: number): number {
  return Math.exp(-(t * t) / 2) / Math.sqrt(2 * Math.PI);
}

/**
 * Φ(x), the standard normal distribution function, by composite Simpson integration of the
 * density from 0 (the error is far below 1e-12 for |x| <= 8 with 2,000 panels; plain arithmetic,
 * no approximation constants to get wrong).
 */
export function normalCdf(x: number): number {
  if (x === 0) return 0.5;
  if (x < 0) return 1 - normalCdf(-x);
  if (x > 8) return 1;
  const panels = 2000;
  const h = x / panels;
  let sum = density(0) + density(x);
  for (let i = 1; i < panels; i++) sum += density(i * h) * (i % 2 === 1 ? 4 : 2);
  return 0.5 + (sum * h) / 3;
}

/** Φ⁻¹(p) for 0.5 <= p < 1, by bisection on normalCdf (60 halvings: well below 1e-12). */
export function normalQuantile(p: number): number {
  if (!(p >= 0.5 && p < 1)) throw new RangeError(`normalQuantile: expected 0.5 <= p < 1, got ${p}`);
  let lo = 0;
  let hi = 8;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The z of a two-sided interval at `confidence` (0.95 -> 1.959964). */
export function zFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`zFor: expected a confidence between 0 and 1, got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

export interface Interval {
  lower: number;
  upper: number;
}

/**
 * The Wilson score interval of k successes in n trials:
 *   centre = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²),  p = k/n.
 * n = 0 says nothing: [0, 1].
 */
export function wilson(k: number, n: number, z: number): Interval {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) throw new RangeError(`wilson: expected integers 0 <= k <= n, got k=${k}, n=${n}`);
  if (n === 0) return { lower: 0, upper: 1 };
  const p = k / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 and k = n the ends are exactly 0 and 1; rounding must not put them outside.
  return { lower: k === 0 ? 0 : Math.max(0, centre - half), upper: k === n ? 1 : Math.min(1, centre + half) };
}

/** The Wilson lower bound of k recoveries in n cuts. */
export function wilsonLower(k: number, n: number, z: number): number {
  return wilson(k, n, z).lower;
}

/**
 * The fewest cuts, all recovered, whose lower bound reaches `threshold`: the bound at k = n is
 * n / (n + z²), so n >= z²·t / (1 - t) (381 for 99 % at z = 1.96). Each failing cut raises it.
 */
export function pointsNeeded(threshold: number, z: number): number {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`pointsNeeded: expected a threshold between 0 and 1, got ${threshold}`);
  let n = Math.max(1, Math.ceil((z * z * threshold) / (1 - threshold)) - 1);
  // The closed form, checked against the bound itself (rounding at the boundary).
  while (wilsonLower(n, n, z) < threshold) n++;
  return n;
}
