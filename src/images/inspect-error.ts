import { ExitCode, HilError } from '../core/errors.js';

/**
 * A flash dump (or a known image) that cannot be inspected: a region missing, of the wrong
 * size, a file that cannot be read. The message names the region or file, and the expected
 * and actual size when sizes are the problem. It is bad input, not a device failure.
 */
export class InspectError extends HilError {
  readonly region?: string;
  readonly file?: string;
  readonly expected?: number;
  readonly actual?: number;

  constructor(message: string, details: { region?: string; file?: string; expected?: number; actual?: number; cause?: unknown } = {}) {
    super(message, ExitCode.usage, details.cause === undefined ? undefined : { cause: details.cause });
    this.region = details.region;
    this.file = details.file;
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** "2027520 bytes (0x1EF000)" */
export function describeSize(n: number): string {
  return `${n} bytes (0x${n.toString(16).toUpperCase()})`;
}
