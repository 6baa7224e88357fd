/**
 * `--compatible SETS` of hil cut and hil sweep: a product's supported version sets, as a suite's
 * `compatible:` gives them (`host 1.x, radio 1.x; host 2.x, radio 2.x`), checked against the members
 * of the rig's scheme. Absent: the verdict knows only the from and the to set.
 */
import { UsageError } from '../core/errors.js';
import { compatibleIssuesFor } from '../config/suite-schema.js';
import { parseCompatibleText, type CompatibleSet } from '../config/version-pattern.js';

export function compatibleOption(value: unknown, config: { scheme: string; name: string; file: string }): CompatibleSet[] | undefined {
  if (typeof value !== 'string') return undefined;
  let sets;
  try {
    sets = parseCompatibleText(value);
  } catch (err) {
    throw new UsageError(`--compatible: ${(err as Error).message}`);
  }
  const issue = compatibleIssuesFor({ file: config.file, compatible: sets }, config.scheme, config.name)[0];
  if (issue) throw new UsageError(`--compatible: ${issue.message}`);
  return sets;
}
