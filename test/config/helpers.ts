import { expect } from '@jest/globals';
import { ConfigError } from '../../src/core/errors.js';
import { ConfigFileError } from '../../src/config/index.js';

/** The ConfigFileError thrown by fn (fails the test when fn does not throw one). */
export function configErrorOf(fn: () => unknown): ConfigFileError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigFileError;
  }
  throw new Error('expected a ConfigFileError, nothing was thrown');
}

export async function asyncConfigErrorOf(fn: () => Promise<unknown>): Promise<ConfigFileError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    return error as ConfigFileError;
  }
  throw new Error('expected a ConfigFileError, nothing was thrown');
}

/** The lines of a ConfigFileError's message. */
export function linesOf(fn: () => unknown): string[] {
  return configErrorOf(fn).message.split('\n');
}

/** Joins lines with \n (YAML fixtures inline, one string per line). */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}
