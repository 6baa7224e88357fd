/**
 * Triggers: what fires a cut. The text grammar is shared by suite files and the CLI's `--trigger`:
 *
 *   after:1500ms | after:1.5s | after:1500           elapsed time since the update started (ms)
 *   progress:37% | progress:65536 | progress:64KiB   share or bytes of the transfer sent
 *   console:/CRC OK/ | console:/crc ok/i#2+20ms      the nth console line matching a regex, plus a delay
 *   marker:120 | marker:120+82ms                     the nth edge of the marker input (the twin pulses it
 *                                                    at every flash operation it starts), plus a delay
 *
 * `formatTrigger` writes the canonical form back; `parseTrigger(formatTrigger(t))` equals `t`.
 */
import { describeValue } from './describe-value.js';
import { MAX_NTH, MAX_TRIGGER_MS, formatMs } from './limits.js';

export type Trigger =
  | { kind: 'after'; ms: number }
  | { kind: 'progress'; percent: number }
  | { kind: 'progress'; bytes: number }
  | {
      kind: 'console';
      /** Regular expression source, without the slashes. */
      pattern: string;
      /** Regular expression flags, from `imsu`; '' for none. */
      flags: string;
      /** Fire on the nth matching line (1 = the first). */
      nth: number;
      /** Fire this long after the line arrived. */
      delayMs: number;
    }
  | {
      kind: 'marker';
      /** Fire on the nth edge since the update started (1 = the first). */
      edge: number;
      delayMs: number;
    };

export type TriggerKind = Trigger['kind'];
export type ConsoleTrigger = Extract<Trigger, { kind: 'console' }>;

const GRAMMAR = 'expected after:<time>, progress:<percent|bytes>, console:/<regex>/[flags][#nth][+delay] or marker:<edge>[+delay]';
const CONSOLE_FLAGS = 'imsu';
const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KiB: 1024, MiB: 1024 * 1024 };

/** `1500ms`, `1.5s` or `1500` (milliseconds) -> milliseconds, at most MAX_TRIGGER_MS. Throws a plain Error. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!match) throw new Error(`expected a time such as 1500ms, 1.5s or 1500, got ${describeValue(text)}`);
  const value = Number(match[1]);
  const ms = match[2] === 's' ? roundTo(value * 1000, 6) : value;
  // Beyond 2^31 - 1 ms a timer fires at once: an absurd time must be refused, not turned into 1 ms.
  if (!(ms <= MAX_TRIGGER_MS)) throw new Error(`expected a time of at most ${formatMs(MAX_TRIGGER_MS)}, got ${describeValue(text.trim())}`);
  return ms;
}

/** The progress of a transfer: a share (`37%`) or a byte count (`65536`, `64KiB`, `1MiB`). */
export type ProgressAmount = { percent: number } | { bytes: number };

/** `37%` -> `{ percent: 37 }`; `65536` or `64KiB` -> `{ bytes: 65536 }`. Throws a plain Error. */
export function parseProgress(text: string): ProgressAmount {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent) {
    const value = Number(percent[1]);
    if (value > 100) throw new Error(`a percentage must be between 0% and 100%, got ${trimmed}`);
    return { percent: value };
  }
  const bytes = /^(\d+)\s*(B|KiB|MiB)?$/.exec(trimmed);
  if (bytes) {
    const value = Number(bytes[1]) * BYTE_UNITS[bytes[2] ?? ''];
    if (!Number.isSafeInteger(value)) throw new Error(`byte count too large: ${trimmed}`);
    return { bytes: value };
  }
  throw new Error(`expected a percentage such as 37% or a byte count such as 65536 or 64KiB, got ${JSON.stringify(text)}`);
}

/**
 * Checks a console pattern and its flags and returns the compiled RegExp.
 * Throws a plain Error naming the problem (bad flags, empty pattern, a regex that does not compile).
 */
export function compileConsolePattern(pattern: string, flags = ''): RegExp {
  if (pattern === '') throw new Error('the console pattern is empty');
  for (const [i, flag] of [...flags].entries()) {
    if (!CONSOLE_FLAGS.includes(flag)) throw new Error(`unsupported regex flag "${flag}" (allowed: i, m, s, u)`);
    if (flags.indexOf(flag) !== i) throw new Error(`regex flag "${flag}" given twice`);
  }
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    const message = (error as Error).message; // "Invalid regular expression: /a(/: Unterminated group"
    throw new Error(message.charAt(0).toLowerCase() + message.slice(1), { cause: error });
  }
}

/** The RegExp a console trigger waits for. */
export function consoleRegExp(trigger: ConsoleTrigger): RegExp {
  return compileConsolePattern(trigger.pattern, trigger.flags);
}

function parseConsole(rest: string): ConsoleTrigger {
  // Greedy pattern: the last slash that leaves a valid [flags][#nth][+delay] suffix closes it.
  const match = /^\/(.*)\/([A-Za-z]*)(?:#(\d+))?(?:\+(.+))?$/s.exec(rest);
  if (!match) throw new Error('expected console:/<regex>/[flags][#nth][+delay], e.g. console:/CRC OK/i#2+20ms');
  const [, pattern, flags, nthText, delayText] = match;
  compileConsolePattern(pattern, flags);
  const nth = nthText === undefined ? 1 : Number(nthText);
  if (!Number.isSafeInteger(nth) || nth < 1 || nth > MAX_NTH) throw new Error(`#nth must be an integer >= 1 and <= ${MAX_NTH}, got #${nthText}`);
  const delayMs = delayText === undefined ? 0 : parseDuration(delayText);
  return { kind: 'console', pattern, flags, nth, delayMs };
}

function parseMarker(rest: string): Trigger {
  const match = /^(\d+)(?:\+(.+))?$/.exec(rest.trim());
  if (!match) throw new Error('expected marker:<edge>[+delay], e.g. marker:120+82ms');
  const edge = Number(match[1]);
  if (!Number.isSafeInteger(edge) || edge < 1 || edge > MAX_NTH) throw new Error(`the edge must be an integer >= 1 and <= ${MAX_NTH}, got ${match[1]}`);
  return { kind: 'marker', edge, delayMs: match[2] === undefined ? 0 : parseDuration(match[2]) };
}

/** Parses the trigger grammar above. Throws a plain Error with the text and the reason. */
export function parseTrigger(text: string): Trigger {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const kind = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const rest = colon < 0 ? '' : trimmed.slice(colon + 1);
  try {
    switch (kind) {
      case 'after':
        return { kind: 'after', ms: parseDuration(rest) };
      case 'progress':
        return { kind: 'progress', ...parseProgress(rest) };
      case 'console':
        return parseConsole(rest);
      case 'marker':
        return parseMarker(rest);
      default:
        throw new Error(GRAMMAR);
    }
  } catch (error) {
    throw new Error(`invalid trigger ${describeValue(text)}: ${(error as Error).message}`, { cause: error });
  }
}

/** The canonical text of a trigger: `after:1500ms`, `progress:37%`, `progress:65536`, `console:/x/i#2+20ms`. */
export function formatTrigger(trigger: Trigger): string {
  switch (trigger.kind) {
    case 'after':
      return `after:${trigger.ms}ms`;
    case 'progress':
      return 'percent' in trigger ? `progress:${trigger.percent}%` : `progress:${trigger.bytes}`;
    case 'console': {
      const nth = trigger.nth === 1 ? '' : `#${trigger.nth}`;
      const delay = trigger.delayMs === 0 ? '' : `+${trigger.delayMs}ms`;
      return `console:/${trigger.pattern}/${trigger.flags}${nth}${delay}`;
    }
    case 'marker':
      return `marker:${trigger.edge}${trigger.delayMs === 0 ? '' : `+${trigger.delayMs}ms`}`;
  }
}

/** Rounds to `digits` decimals, dropping float noise (0.1 + 0.2 -> 0.3). */
export function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
