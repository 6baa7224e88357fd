import { OUTCOMES, type Outcome } from '../../config/vocabulary.js';

/** Outcomes a cut may end in without harm to the fleet: the device runs a good image. */
export const SAFE_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>(['updated', 'rolled-back']);

export function isFailing(outcome: Outcome): boolean {
  return !SAFE_OUTCOMES.has(outcome);
}

/**
 * Fill per outcome. The safe ones are quiet (green, blue-grey) so that the eye goes to the loud ones;
 * the failing ones are saturated and far apart in hue, and rig-error is black (the rig, not the device).
 */
export const OUTCOME_COLOURS: Readonly<Record<Outcome, string>> = {
  updated: '#7cb98b',
  'rolled-back': '#8fb3d1',
  waiting: '#ff8c00',
  bricked: '#d50000',
  'wrong-image': '#d500f9',
  'boot-loop': '#6200ea',
  'rig-error': '#212121',
};

/** CSS class of an outcome's marks (`o-rolled-back`), stable for tests and for styling. */
export function outcomeClass(outcome: Outcome): string {
  return `o-${outcome}`;
}

/** Outcomes in the vocabulary's order (safe first, then the failures by severity of the word). */
export function orderedOutcomes(outcomes: Iterable<Outcome>): Outcome[] {
  const present = new Set(outcomes);
  return OUTCOMES.filter((o) => present.has(o));
}

/** The style sheet every map carries: one rule per outcome, so a mark only names its class. */
export function outcomeStyles(): string {
  return OUTCOMES.map((o) => `.${outcomeClass(o)}{fill:${OUTCOME_COLOURS[o]}}`).join('');
}
