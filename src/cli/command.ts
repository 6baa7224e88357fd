import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';
import { Output } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext<V = Record<string, string | boolean | string[] | undefined>> {
  values: V;
  positionals: string[];
  out: Output;
  /** Aborted on Ctrl-C: every wait honours it, and the rig goes to its safe state. */
  signal: AbortSignal;
}

/**
 * What a command says of itself: its help text and option table. Each lives in a light
 * `commands/<name>.help.ts` next to the command, so `hil <cmd> --help` and argument errors never
 * load the implementation (its drivers, serialport, yaml, zod …).
 */
export interface CommandHelp {
  /** Words after `hil`, e.g. ['sfu', 'upload']. */
  path: string[];
  summary: string;
  usage: string;
  /** One paragraph on what it does, then option lines. */
  details: string;
  examples: string[];
  options: Options;
  /** Ctrl-C is the normal way out (the command holds the rig until then): exit with run's code, not 4. */
  holds?: boolean;
  /** Drives no rig (lab status, report): Ctrl-C says it stops, not that a rig goes to its safe state. */
  rigless?: boolean;
}

export interface Command extends CommandHelp {
  run(ctx: CommandContext): Promise<number>;
}

export const COMMON_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
};

const COMMON_LINES: [string, string][] = [
  ['--json', 'print only a JSON document on stdout'],
  ['-q, --quiet', 'errors only on stderr'],
  ['-v, --verbose', 'steps and device text on stderr'],
  ['-h, --help', 'this help'],
];

/** The common options, their text in the same column as the command's own option lines. */
export function commonHelp(details = ''): string {
  const columns = [...details.matchAll(/^ {2}(-\S.*?) {2,}(?=\S)/gm)].map((m) => m[0].length);
  const column = Math.max(19, ...columns);
  return COMMON_LINES.map(([flag, text]) => `  ${flag}`.padEnd(column) + text).join('\n');
}

export function helpText(cmd: CommandHelp): string {
  return [
    `hil ${cmd.path.join(' ')}: ${cmd.summary}`,
    '',
    `usage: ${cmd.usage}`,
    '',
    cmd.details,
    commonHelp(cmd.details),
    '',
    'examples:',
    ...cmd.examples.map((e) => `  ${e}`),
    '',
    'exit codes: 0 ok, 1 test or device failure, 2 usage or config error, 3 rig unavailable, 4 interrupted',
  ].join('\n');
}

export function parseCommandArgs(cmd: CommandHelp, argv: string[]): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nrun: hil ${cmd.path.join(' ')} --help`);
  }
}

export function makeOutput(values: Record<string, unknown>): Output {
  return new Output({ quiet: !!values.quiet, verbose: !!values.verbose, json: !!values.json });
}

/** Parses a number option, naming the option on bad input; `max` bounds it (e.g. limits.MAX_OFF_MS). */
export function numberOption(values: Record<string, unknown>, name: string, fallback: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const outside = (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || outside) {
    const range = [opts.min !== undefined && ` >= ${opts.min}`, opts.max !== undefined && ` <= ${opts.max}`].filter(Boolean).join(' and');
    throw new UsageError(`--${name}: expected ${opts.integer ? 'an integer' : 'a number'}${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function requireOption(values: Record<string, unknown>, name: string, cmd: Pick<CommandHelp, 'usage'>): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required\nusage: ${cmd.usage}`);
  return v;
}
