/**
 * `hil sweep`'s mode options as a SweepMode (src/scenario/sweep/modes.ts), and `--point` as one
 * point. Bad input is a UsageError naming the option (exit 2) before any recording starts.
 */
import { parseDuration, parseProgress } from '../../config/trigger.js';
import { UsageError } from '../../core/errors.js';
import { modeProblem, RANGE_TRIGGERS, SWEEP_MODE_NAMES, type ModeProblem, type RangeTrigger, type SweepMode } from '../../scenario/sweep/modes.js';
import { defaultFraction, seedFor, SWEEP_CUT_MODES, type SweepCutMode, type SweepCutPoint } from '../../scenario/sweep/points.js';

type Values = Record<string, unknown>;

export function parseCutModes(raw: unknown, option = '--modes'): SweepCutMode[] | undefined {
  if (raw === undefined) return undefined;
  const words = String(raw)
    .split(',')
    .map((w) => w.trim());
  const bad = words.filter((w) => !(SWEEP_CUT_MODES as readonly string[]).includes(w));
  if (!words.length || bad.length || words.some((w) => w === '')) {
    throw new UsageError(`${option}: expected a comma-separated list of ${SWEEP_CUT_MODES.join(', ')}, got ${JSON.stringify(String(raw))}`);
  }
  // In the engine's order, each once: the summary and the JSON list modes the same way whatever the order typed.
  return SWEEP_CUT_MODES.filter((m) => words.includes(m));
}

function integer(values: Values, name: string, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw).trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(String(raw))}`);
  return n;
}

/** Only the options of the mode asked for: another mode's option is a mistake worth naming. */
const MODE_OPTIONS: Record<string, SweepMode['mode'][]> = { trigger: ['range'], step: ['range'], count: ['random'], sample: ['double'], torn: ['every-op', 'double'] };

/** The sweep mode the options ask for (default every-op), checked as the engine checks it. */
export function sweepModeFrom(values: Values): SweepMode {
  const name = (values.mode as string | undefined) ?? 'every-op';
  if (!(SWEEP_MODE_NAMES as readonly string[]).includes(name)) throw new UsageError(`--mode: expected one of ${SWEEP_MODE_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  for (const [option, modes] of Object.entries(MODE_OPTIONS)) {
    if (values[option] !== undefined && !modes.includes(name as SweepMode['mode'])) throw new UsageError(`--${option} applies to --mode ${modes.join(' or ')}, not ${name}`);
  }
  const cut = parseCutModes(values.modes);
  const torn = integer(values, 'torn', 1);
  let mode: SweepMode;
  switch (name as SweepMode['mode']) {
    case 'every-op':
      mode = { mode: 'every-op', ...(cut && { cut }), ...(torn !== undefined && { torn }) };
      break;
    case 'random': {
      const count = integer(values, 'count', 1);
      if (count === undefined) throw new UsageError('--count is required with --mode random (how many seeded points)');
      mode = { mode: 'random', count, ...(cut && { cut }) };
      break;
    }
    case 'double':
      mode = { mode: 'double', ...parseSample(values.sample), ...(cut && { cut }), ...(torn !== undefined && { torn }) };
      break;
    case 'range':
      mode = { ...parseRange(values.trigger, values.step), ...(cut && { cut }) };
      break;
  }
  const problem = modeProblem(mode);
  if (problem) throw new UsageError(`${optionOf(problem)}: ${problem.message}`);
  return mode;
}

function optionOf(p: ModeProblem): string {
  switch (p.field) {
    case 'from':
    case 'to':
      return `--trigger (${p.field})`;
    case 'cut':
      return '--modes';
    case 'first.sample':
    case 'second.sample':
      return '--sample';
    case 'unit':
      return '--step';
    default:
      return `--${p.field}`;
  }
}

/** `--sample N` (first cuts) or `N/M` (first / second cuts); `all` for either side. */
function parseSample(raw: unknown): { first: { sample?: number }; second: { sample?: number } } {
  if (raw === undefined) return { first: {}, second: {} };
  const text = String(raw).trim();
  const m = /^(all|\d+)(?:\/(all|\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--sample: expected N (first cuts) or N/M (first / second cuts, each an integer >= 1 or all), got ${JSON.stringify(text)}`);
  const side = (s: string | undefined) => (s === undefined || s === 'all' ? {} : { sample: Number(s) });
  const out = { first: side(m[1]), second: side(m[2]) };
  if (out.first.sample === 0 || out.second.sample === 0) throw new UsageError(`--sample: a sample of 0 cuts sweeps nothing, got ${JSON.stringify(text)}`);
  return out;
}

type RangeMode = Extract<SweepMode, { mode: 'range' }>;

/**
 * `--trigger KIND:FROM..TO --step S`, in the trigger grammar's units: after:500ms..4s (step a time),
 * progress:10%..90% (step a percentage) or progress:0..256KiB (step bytes), marker:100..400 (edges).
 * (`--from`/`--to` are the images.)
 */
export function parseRange(rawTrigger: unknown, rawStep: unknown): RangeMode {
  if (rawTrigger === undefined) throw new UsageError('--trigger is required with --mode range: KIND:FROM..TO, e.g. after:0..4s, progress:10%..90%, marker:1..200');
  const text = String(rawTrigger).trim();
  const m = /^(\w+):(.+?)\.\.(.+)$/.exec(text);
  if (!m || !(RANGE_TRIGGERS as readonly string[]).includes(m[1]!)) {
    throw new UsageError(`--trigger: expected ${RANGE_TRIGGERS.join('|')}:FROM..TO (e.g. after:0..4s, progress:10%..90%, marker:1..200), got ${JSON.stringify(text)}`);
  }
  const trigger = m[1] as RangeTrigger;
  if (rawStep === undefined) throw new UsageError('--step is required with --mode range (a time for after:, a percentage or bytes for progress:, edges for marker:)');
  const step = String(rawStep).trim();
  const fail = (what: string, err: unknown): never => {
    throw new UsageError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  };
  const read = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      return fail(what, err);
    }
  };
  if (trigger === 'after') {
    return {
      mode: 'range',
      trigger,
      from: read('--trigger (from)', () => parseDuration(m[2]!)),
      to: read('--trigger (to)', () => parseDuration(m[3]!)),
      step: read('--step', () => parseDuration(step)),
    };
  }
  if (trigger === 'marker') {
    const edge = (what: string, s: string) => {
      if (!/^\d+$/.test(s.trim())) throw new UsageError(`${what}: expected a marker edge (an integer >= 1), got ${JSON.stringify(s)}`);
      return Number(s);
    };
    return { mode: 'range', trigger, from: edge('--trigger (from)', m[2]!), to: edge('--trigger (to)', m[3]!), step: edge('--step', step) };
  }
  const from = read('--trigger (from)', () => parseProgress(m[2]!));
  const to = read('--trigger (to)', () => parseProgress(m[3]!));
  const by = read('--step', () => (/^\d+(\.\d+)?$/.test(step) && 'percent' in from ? { percent: Number(step) } : parseProgress(step)));
  const percent = 'percent' in from;
  if (percent !== 'percent' in to || percent !== 'percent' in by) throw new UsageError(`--trigger / --step: a progress range is all percentages or all bytes, got ${text} by ${step}`);
  const value = (a: { percent: number } | { bytes: number }) => ('percent' in a ? a.percent : a.bytes);
  return { mode: 'range', trigger, from: value(from), to: value(to), step: value(by), unit: percent ? 'percent' : 'bytes' };
}

/** One cut of `--point`: `OP:MODE[:FRACTION]`. */
function parseCut(text: string, option: string): { op: number; mode: SweepCutMode; fraction?: number } {
  const m = /^(\d+):(before|after|torn)(?::(\d*\.?\d+(?:e-?\d+)?))?$/.exec(text);
  if (!m) throw new UsageError(`${option}: expected OP:MODE[:FRACTION] (MODE before, after or torn; FRACTION 0..1 for torn), got ${JSON.stringify(text)}`);
  const mode = m[2] as SweepCutMode;
  const fraction = m[3] === undefined ? undefined : Number(m[3]);
  if (fraction !== undefined && (mode !== 'torn' || !(fraction >= 0 && fraction <= 1))) throw new UsageError(`${option}: a fraction (0..1) goes with a torn cut only, got ${JSON.stringify(text)}`);
  return { op: Number(m[1]), mode, ...(fraction !== undefined && { fraction }) };
}

/**
 * `--point OP:MODE[:FRACTION][@MS][/OP2:MODE2[:F2]]`: one point, seeded as a sweep seeded `seed`
 * seeds it (src/scenario/sweep/points.ts seedFor), so a failing point's line rebuilds its state
 * exactly. `@MS` is a range point's time after the update's start where it decides whether the host
 * had seen the update finish; `/…` a second cut in the recovery the first starts (its own op log).
 * A torn cut without a fraction takes the op's default fraction (a second cut's: seeded by the point's seed, as a double sweep's).
 */
export function parsePoint(raw: unknown, seed: number): SweepCutPoint {
  const text = String(raw).trim();
  const [firstText, secondText, extra] = text.split('/');
  if (extra !== undefined || !firstText) throw new UsageError(`--point: expected OP:MODE[:FRACTION][@MS][/OP2:MODE2[:F2]], got ${JSON.stringify(text)}`);
  const at = /^(.*)@(\d+(?:\.\d+)?)$/.exec(firstText);
  const first = parseCut(at ? at[1]! : firstText, '--point');
  const fraction = first.mode === 'torn' ? (first.fraction ?? defaultFraction(seed, first.op)) : undefined;
  const pointSeed = seedFor(seed, first.op, first.mode, fraction);
  const point: SweepCutPoint = { op: first.op, mode: first.mode, ...(fraction !== undefined && { fraction }), seed: pointSeed, ...(at && { atMs: Number(at[2]) }) };
  if (secondText === undefined) return point;
  const second = parseCut(secondText, '--point (second cut)');
  const f2 = second.mode === 'torn' ? (second.fraction ?? defaultFraction(pointSeed, second.op)) : undefined;
  return { ...point, second: { op: second.op, mode: second.mode, ...(f2 !== undefined && { fraction: f2 }), seed: pointSeed } };
}

export { formatPoint } from '../../scenario/sweep/point-text.js';
