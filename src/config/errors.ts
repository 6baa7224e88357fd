/**
 * How config problems are reported: one `file:line:col: path: message` line per problem, all the
 * problems of a file at once, in a ConfigError (exit code 2) that also carries them as data.
 */
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { MAX_LISTED_ISSUES } from './limits.js';

/** A key path into a config document: mapping keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** One problem in a config file. `line`/`col` are 1-based and absent when the file was not read. */
export interface ConfigIssue {
  /** Absolute path of the file. */
  file: string;
  line?: number;
  col?: number;
  /** Dotted field path such as `cuts.sweeps[1].count`; empty for the file as a whole. */
  path: string;
  message: string;
}

/** A problem found at a key path of a document, before it is located. */
export interface PathIssue {
  path: ConfigPath;
  message: string;
}

/**
 * `['cuts', 'sweeps', 1, 'count']` -> `cuts.sweeps[1].count`. A key that is not a plain word
 * is quoted (`gpio.pins["a b"]`), so a key holding a newline or an escape sequence cannot
 * forge another line of the message or reach the terminal raw.
 */
export function formatPath(segments: ConfigPath): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (!/^[A-Za-z0-9_-]{1,64}$/.test(segment)) out += `[${quoteKey(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

function quoteKey(key: string): string {
  return key.length > 64 ? `${JSON.stringify(key.slice(0, 48))}… (${key.length} characters)` : JSON.stringify(key);
}

/**
 * A file as shown to the user: relative to the working directory when inside it; quoted when
 * its name holds a newline or another control character (it would forge or garble lines).
 */
export function displayFile(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file);
  const shown = relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(shown) ? JSON.stringify(shown) : shown;
}

/** `rigs/x.yaml:12:5`, or just `rigs/x.yaml` when there is no position. */
export function formatLocation(location: { file: string; line?: number; col?: number }): string {
  const file = displayFile(location.file);
  return location.line === undefined ? file : `${file}:${location.line}:${location.col ?? 1}`;
}

/** `rigs/x.yaml:12:5: power.offMs: expected a number, got "fast"` */
export function formatIssue(issue: ConfigIssue): string {
  const where = formatLocation(issue);
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}

/**
 * A ConfigError listing every problem found, sorted by position, one per line of the message.
 * `instanceof ConfigError` holds, so the CLI maps it to exit code 2 like any config error.
 */
export class ConfigFileError extends ConfigError {
  readonly issues: readonly ConfigIssue[];

  /**
   * `more`: problems found but not located (see validate); they and any issue past
   * MAX_LISTED_ISSUES are summed up in one last line.
   */
  constructor(issues: readonly ConfigIssue[], more = 0) {
    if (issues.length === 0) throw new TypeError('ConfigFileError needs at least one issue');
    const sorted = [...issues].sort(compareIssues);
    const first = sorted[0];
    const lines = sorted.slice(0, MAX_LISTED_ISSUES).map(formatIssue);
    const unlisted = more + Math.max(0, sorted.length - MAX_LISTED_ISSUES);
    if (unlisted > 0) lines.push(`${displayFile(first.file)}: … and ${unlisted} more problem${unlisted === 1 ? '' : 's'}`);
    super(lines.join('\n'), { file: first.file, line: first.line, col: first.col, path: first.path });
    this.issues = sorted;
  }
}
