import { OUTCOMES, type Outcome } from '../../config/vocabulary.js';

/** Outcomes a cut may end in without harm to the fleet when nobody says otherwise: the device runs a good image. */
export const SAFE_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>(['updated', 'rolled-back']);

/**
 * The safe set a map judges by: a suite's or sign-off's `expect.safe` when given (a scheme whose
 * Loader waits in DFU mode after a cut makes `waiting` safe), else SAFE_OUTCOMES. Words that are
 * not outcomes are ignored (the config schemas reject them before a map is drawn).
 */
export function safeSetOf(safe?: Iterable<string>): ReadonlySet<Outcome> {
  if (safe === undefined) return SAFE_OUTCOMES;
  const words = new Set<string>(safe);
  return new Set(OUTCOMES.filter((o) => words.has(o)));
}

export function isFailing(outcome: Outcome, safe: ReadonlySet<Outcome> = SAFE_OUTCOMES): boolean {
  return !safe.has(outcome);
}

/**
 * Where a point stands on a map: safe (its outcome is in the safe set), known (outside it, but an
 * accepted weakness, `expect.known`: drawn apart, never a failing mark or window), or failing.
 */
export type Standing = 'safe' | 'known' | 'failing';

export function standingOf(point: { outcome: Outcome; known?: boolean | string }, safe: ReadonlySet<Outcome> = SAFE_OUTCOMES): Standing {
  if (safe.has(point.outcome)) return 'safe';
  return point.known ? 'known' : 'failing';
}

/**
 * Fill per outcome. The safe ones are quiet (green, blue-grey) so that the eye goes to the loud ones;
 * the failing ones are saturated and far apart in hue, and rig-error is black (the rig, not the device).
 */
export const OUTCOME_COLOURS: Readonly<Record<Outcome, string>> = {
  updated: '#7cb98b',
  'rolled-back': '#8fb3d1',
  waiting: '#ff8c00',
  degraded: '#ff3d00',
  bricked: '#d50000',
  'wrong-image': '#d500f9',
  'boot-loop': '#6200ea',
  // Each processor runs a valid image, the pair is not one the product supports: loud, and unlike any one-device failure.
  'version-mismatch': '#00b8d4',
  'rig-error': '#212121',
};

/** Half way to white: a loud outcome that this map's safe set makes safe must not draw the eye. */
function pale(hex: string): string {
  const v = parseInt(hex.slice(1), 16);
  const ch = (shift: number) => Math.round(((v >> shift) & 0xff) / 2 + 127.5);
  return `#${((ch(16) << 16) | (ch(8) << 8) | ch(0)).toString(16).padStart(6, '0')}`;
}

/** An outcome's fill on a map judged by `safe`: its own colour, paled when it is safe here but loud by default. */
export function outcomeColour(outcome: Outcome, safe: ReadonlySet<Outcome> = SAFE_OUTCOMES): string {
  const c = OUTCOME_COLOURS[outcome];
  return safe.has(outcome) && !SAFE_OUTCOMES.has(outcome) ? pale(c) : c;
}

/** CSS class of an outcome's marks (`o-rolled-back`), stable for tests and for styling. */
export function outcomeClass(outcome: Outcome): string {
  return `o-${outcome}`;
}

/** Outcomes in the vocabulary's order (safe first, then the failures by severity of the word). */
export function orderedOutcomes(outcomes: Iterable<Outcome>): Outcome[] {
  const present = new Set(outcomes);
  return OUTCOMES.filter((o) => present.has(o));
}

/**
 * A known point's mark keeps its outcome's fill, washed out, with a dashed grey outline: it is
 * visibly not safe, and visibly not a failure either.
 */
export const KNOWN_MARK_STYLE = 'fill-opacity:0.45;stroke:#444;stroke-width:0.8;stroke-dasharray:2 1';

/** The style sheet every map carries: one rule per outcome (for the map's safe set), so a mark only names its class. */
export function outcomeStyles(safe: ReadonlySet<Outcome> = SAFE_OUTCOMES): string {
  return OUTCOMES.map((o) => `.${outcomeClass(o)}{fill:${outcomeColour(o, safe)}}`).join('') + `.mark.known,.swatch.known{${KNOWN_MARK_STYLE}}`;
}
