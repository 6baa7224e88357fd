import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/hil.js');

/** Runs `hil …` as a user would: a child process, exit code, stdout and stderr apart. */
export function hil(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}) {
  return execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 120_000,
    env: { NO_COLOR: '1', ...opts.env },
  });
}

/** Starts a long-running `hil …` (e.g. twin serve); the caller kills it. */
export function hilBackground(args: string[]): ResultPromise {
  return execa(process.execPath, [BIN, ...args], { cwd: ROOT, reject: false, stdin: 'ignore', env: { NO_COLOR: '1' }, buffer: false });
}
