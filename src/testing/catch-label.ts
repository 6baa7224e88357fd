/**
 * How a cut's result stands out in the report: a failed expectation as an assertion error with the
 * words of the failure (Allure `failed`, its message in the error box), and a cut that caught a
 * seeded bug labelled as a catch (a `caught-bug` tag, its name prefixed, a description line), where
 * before it looked like every other green cut.
 */
import * as allure from 'allure-js-commons';
import type { CutResult } from '../scenario/cut.js';

/**
 * A device result that is not what the suite expects. Its name makes Allure (and Jest) report a
 * failure, not a broken test: allure-js reads `assert` in an error's name as a failed assertion.
 */
export class CutExpectationError extends Error {
  override name = 'AssertionError';
}

/** The tag a catching cut carries (filter on it in the report's tree). */
export const CAUGHT_TAG = 'caught-bug';

export async function labelCatch(bug: string, testName: string, r: CutResult): Promise<void> {
  await allure.tag(CAUGHT_TAG);
  await allure.displayName(`CAUGHT ${bug}: ${testName}`);
  const reasons = r.verdict?.reasons.length ? `: ${r.verdict.reasons.join('; ')}` : '';
  await allure.description(`caught seeded bug ${bug}: the cut ended in ${r.outcome}${reasons}`);
}
