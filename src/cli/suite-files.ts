import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { PACKAGE_ROOT } from '../report/campaign.js';

/** suites/*.yaml matching `pattern`, from the working directory, else from the hilrig package. */
export function findSuites(pattern: RegExp, what: string): string[] {
  for (const dir of [resolve('suites'), join(PACKAGE_ROOT, 'suites')]) {
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir)
      .filter((f) => pattern.test(f))
      .sort();
    if (files.length) return files.map((f) => join(dir, f));
  }
  throw new UsageError(`no ${what} found here or in the hilrig package`);
}
