/**
 * Which values may reach openocd's command line, and why the others may not (issue 8, defect 2).
 *
 * openocd turns each `-f FILE` into the TCL command `script {FILE}` itself (src/helper/options.c),
 * and its `program` proc re-wraps the image name as `{FILE}` and runs it through `eval`
 * (src/flash/startup.tcl). Inside braces everything is literal except a brace (which ends the
 * word, so the rest runs as TCL: Debian's openocd has `exec`) and a backslash (which hides the
 * closing brace; `find` also reads it as `/`). So those names must carry no brace and no
 * backslash. Every other value goes through tclQuote, where only control characters are refused:
 * a newline or a NUL in a file name or a serial is never meant, and a NUL cannot even be an
 * argv element. Pure functions, no I/O: the config loader can call them too.
 */
import { hexDigits } from '../../core/hex.js';

export type OpenOcdValueKind =
  /** A `-f` file: openocd wraps it in braces itself. */
  | 'script'
  /** The file of `program FILE`: the proc wraps it in braces and evals it. */
  | 'image'
  /** A word we TCL-quote ourselves (adapter serial, dump_image file). */
  | 'word';

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function controlName(c: string): string {
  const names: Record<string, string> = { '\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab', '\0': 'a NUL byte' };
  return names[c] ?? `the control character U+${hexDigits(c.charCodeAt(0), 4)}`;
}

/** Why `value` cannot reach openocd as a `kind`, or undefined when it can (as a literal). */
export function openOcdValueProblem(kind: OpenOcdValueKind, value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${value === null ? 'null' : typeof value}`;
  if (value === '') return 'must not be empty';
  const control = CONTROL.exec(value)?.[0];
  if (control !== undefined) return `${controlName(control)} is not allowed in a value given to openocd`;
  if (kind === 'word') return undefined;
  const brace = /[{}]/.exec(value)?.[0];
  const how = kind === 'script' ? 'openocd loads each -f file as `script {FILE}`' : "openocd's `program` wraps the image name as {FILE} and evaluates it";
  if (brace !== undefined) return `"${brace}" is not allowed: ${how}, so a brace would end the name and run the rest as TCL`;
  if (value.includes('\\')) return `"\\" is not allowed: ${how}, and a backslash would hide the closing brace${kind === 'script' ? ' (openocd also reads it as "/")' : ''}`;
  return undefined;
}

/** Adapter clocks above 1 GHz do not exist; the bound keeps `${n}` a plain decimal (no 1e+21). */
export const MAX_ADAPTER_SPEED_KHZ = 1_000_000;

export function adapterSpeedProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > MAX_ADAPTER_SPEED_KHZ) {
    return `must be a whole number of kHz from 1 to ${MAX_ADAPTER_SPEED_KHZ}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
  }
  return undefined;
}

/** A value refused before openocd runs; `field` names it as the rig file does (`probe.configs[1]`). */
export class OpenOcdValueError extends RangeError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`${field} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: ${reason}`);
    this.name = 'OpenOcdValueError';
  }
}

/** Throws OpenOcdValueError when `value` cannot reach openocd as a `kind`. */
export function assertOpenOcdValue(kind: OpenOcdValueKind, field: string, value: unknown): void {
  const problem = openOcdValueProblem(kind, value);
  if (problem !== undefined) throw new OpenOcdValueError(field, value, problem);
}

/** The openocd-bound keys of a rig file's `probe:` section, as written there. */
export interface OpenOcdProbeFields {
  interface?: unknown;
  target?: unknown;
  configs?: unknown;
  adapterSerial?: unknown;
  adapterSpeedKhz?: unknown;
}

/**
 * Every problem of a `probe: { driver: openocd }` section, each with its path inside `probe`
 * (`['configs', 1]`), for the config loader to locate. `target: none` loads no target file.
 */
export function openOcdProbeIssues(probe: OpenOcdProbeFields): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const check = (path: (string | number)[], problem: string | undefined) => {
    if (problem !== undefined) issues.push({ path, message: problem });
  };
  if (probe.interface !== undefined) check(['interface'], openOcdValueProblem('script', probe.interface));
  if (probe.target !== undefined && probe.target !== 'none') check(['target'], openOcdValueProblem('script', probe.target));
  if (Array.isArray(probe.configs)) probe.configs.forEach((c, i) => check(['configs', i], openOcdValueProblem('script', c)));
  if (probe.adapterSerial !== undefined) check(['adapterSerial'], openOcdValueProblem('word', probe.adapterSerial));
  if (probe.adapterSpeedKhz !== undefined) check(['adapterSpeedKhz'], adapterSpeedProblem(probe.adapterSpeedKhz));
  return issues;
}
