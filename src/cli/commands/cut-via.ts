/**
 * `--via a.bin,b.bin` of `hil cut` (and `hil sweep`): the images a multi-stage update sends before
 * `--to`, as a suite's `images.via` lists them; comma-separated so one repro line carries them all.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';

/** The files, resolved against the working directory; an empty entry is a usage error. */
export function viaOption(value: string): string[] {
  const files = value.split(',');
  if (files.some((f) => f.trim() === '')) throw new UsageError(`--via: expected image files separated by commas, got ${JSON.stringify(value)}`);
  return files.map((f) => resolve(f.trim()));
}
