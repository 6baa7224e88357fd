/**
 * The sign-off file (`signoff.yaml`): the matrix a release is signed off on — rigs (twin and
 * bench) × update paths (images A -> B, setup) × cut modes — the recovery threshold and what
 * counts as safe. Paths, rigs and images are resolved and checked by src/signoff/load.ts, which
 * knows where the file is; `signoffCrossIssues` holds the rules that span fields.
 */
import { z } from 'zod';
import type { PathIssue } from './errors.js';
import { expected, int, list, mapping, num, oneOf, shorthand, str, tagged, union } from './fields.js';
import { parsed, rangeBounds, rangeValue } from './range-bound.js';
import { MAX_BOOT_LOOP_CYCLES, MAX_OFF_MS, MAX_SEED, MAX_SWEEP_COUNT, MAX_TRIGGER_MS } from './limits.js';
import { OP_CUT_MODES, type OpCutMode } from './sweep.js';
import { parseDuration } from './trigger.js';
import { DEVICE_OUTCOMES, SCHEMES, type DeviceOutcome } from './vocabulary.js';

/**
 * Outcomes that fail a cell whatever its rate: one brick is never an acceptable rate, nor a
 * product left on a pair of versions it does not support (each side runs, the product does not).
 */
export const NEVER_ACCEPTABLE: readonly DeviceOutcome[] = ['bricked', 'wrong-image', 'version-mismatch'];

/** The default threshold: recovery >= 99 % at 95 % confidence. */
export const DEFAULT_RECOVERY = 0.99;
export const DEFAULT_CONFIDENCE = 0.95;

/** Torn fractions per op, as a suite's every-op allows. */
const MAX_TORN = 64;

/**
 * A share strictly between `min` and 1: `99%`, `99.9 %` or a fraction `0.99`. 100 % is refused: no
 * finite number of cuts gives a lower bound of 1, so that threshold could never pass.
 */
function share(what: string, min: number) {
  const text = `a percentage such as 99% or a fraction such as 0.99, above ${min * 100}% and below 100%`;
  const check = (value: number): number => {
    if (!(value > min && value < 1)) throw new Error(`expected ${what} above ${min * 100}% and below 100%, got ${Math.round(value * 1e6) / 1e4}%`);
    return value;
  };
  return union(
    [
      num().transform((value, ctx) => {
        if (value >= 1 && value <= 100) {
          ctx.addIssue({ code: 'custom', message: `expected a fraction below 1 or a percentage with %: write ${value}% for ${value} percent`, input: value });
          return z.NEVER;
        }
        try {
          return check(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value });
          return z.NEVER;
        }
      }),
      parsed(text, (raw) => {
        const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw);
        if (!m) throw new Error(`expected ${text}, got ${JSON.stringify(raw)}`);
        return check(Number(m[1]) / 100);
      }),
    ],
    text,
  );
}

/** A time: `1500ms`, `1.5s`, or a number of milliseconds. */
const duration = union([num({ min: 0, max: MAX_TRIGGER_MS }), parsed('a time', parseDuration)], 'a time such as 1500ms, 1.5s or 1500');

const seed = int({ min: 0, max: MAX_SEED }).optional();
const cut = list(oneOf(OP_CUT_MODES as ['before', 'after', 'torn']), 1).optional();
const count = int({ min: 1, max: MAX_SWEEP_COUNT });

const cutModeFields = tagged('mode', [
  /** Every flash op in each `cut` mode (twin sweep rigs only: it needs the twin's op log). */
  { mode: z.literal('every-op'), cut, torn: int({ min: 1, max: MAX_TORN }).optional(), seed, name: str().optional() },
  /**
   * `count` seeded points: without from/to, each a seeded (op, cut mode, fraction) of the op log
   * (twin sweep rigs); with from/to, seeded times after the update started (any rig).
   */
  { mode: z.literal('random'), count, seed, cut, from: duration.optional(), to: duration.optional(), name: str().optional() },
  /** A trigger swept from..to by step: after (time, any rig), progress (any rig), marker (twin, or a bench rig with a marker input). */
  { mode: z.literal('range'), trigger: oneOf(['after', 'progress', 'marker']), from: rangeValue, to: rangeValue, step: rangeValue, seed, name: str().optional() },
]);

/** A cut mode of the matrix, as the sign-off runs it. */
export type SignoffCutMode =
  | { mode: 'every-op'; cut?: OpCutMode[]; torn?: number; seed?: number; name?: string }
  | { mode: 'random'; count: number; cut?: OpCutMode[]; seed?: number; name?: string; window?: { fromMs: number; toMs: number } }
  | { mode: 'range'; trigger: 'after' | 'progress' | 'marker'; from: number; to: number; step: number; seed?: number; name?: string };

const cutMode = cutModeFields.transform((fields, ctx): SignoffCutMode => {
  const fail = (path: string, message: string, input: unknown) => {
    ctx.addIssue({ code: 'custom', path: [path], message, input });
    return z.NEVER;
  };
  const common = { ...(fields.seed !== undefined && { seed: fields.seed }), ...(fields.name !== undefined && { name: fields.name }) };
  switch (fields.mode) {
    case 'every-op':
      return { mode: 'every-op', ...(fields.cut && { cut: OP_CUT_MODES.filter((m) => fields.cut!.includes(m)) }), ...(fields.torn !== undefined && { torn: fields.torn }), ...common };
    case 'random': {
      if ((fields.from === undefined) !== (fields.to === undefined))
        return fail(fields.from === undefined ? 'from' : 'to', 'give both from and to (a window of times), or neither (random ops)', undefined);
      if (fields.from !== undefined && fields.to! <= fields.from) return fail('to', `expected a time after from (${fields.from} ms), got ${fields.to} ms`, fields.to);
      if (fields.from !== undefined && fields.cut) return fail('cut', 'cut modes belong to random ops; random times (from/to) land where the time falls', fields.cut);
      const window = fields.from !== undefined ? { window: { fromMs: fields.from, toMs: fields.to! } } : {};
      return { mode: 'random', count: fields.count, ...(fields.cut && { cut: OP_CUT_MODES.filter((m) => fields.cut!.includes(m)) }), ...window, ...common };
    }
    case 'range': {
      const bounds = rangeBounds(fields.trigger, fields, fail);
      if (bounds === z.NEVER) return z.NEVER;
      if (fields.trigger === 'marker' && bounds.from < 1) return fail('from', 'marker edges count from 1', fields.from);
      const points = Math.floor((bounds.to - bounds.from) / bounds.step + 1e-9) + 1;
      if (points > MAX_SWEEP_COUNT) return fail('step', `${points} points from ${bounds.from} to ${bounds.to}, more than ${MAX_SWEEP_COUNT}: take a larger step`, fields.step);
      return { mode: 'range', trigger: fields.trigger, ...bounds, ...common };
    }
  }
});

const rigEntry = shorthand(
  'rig',
  mapping({
    /** A rig name (`rigs/NAME.yaml` beside the sign-off file) or a path ending in .yaml. */
    rig: str().refine((ref) => ref.endsWith('.yaml') || ref.endsWith('.yml') || !/[/\\]/.test(ref), {
      message: 'expected a rig name (no slash) or a path ending in .yaml',
    }),
    /** On a twin rig: this bootloader variant instead of the rig file's. */
    variant: str().optional(),
    /** On a twin rig: this power-loss mode instead of the rig file's. */
    powerLoss: oneOf(['skip', 'complete', 'torn', 'random']).optional(),
    /**
     * How its cells run: `sweep` (the twin's sweep engine: each point's state built from one
     * recorded update; twin rigs only, their default) or `replay` (every cut made in full with
     * runCut, as on a bench: the bench rigs' only way, and a cross-check on a twin).
     */
    run: oneOf(['sweep', 'replay']).optional(),
  }),
);

const updatePath = mapping({
  /** How the page names the path; default `FROM -> TO` (the images' file names). */
  name: str().optional(),
  /** The path applies to the rigs of this scheme (default: every rig; its images must fit each). */
  scheme: oneOf(SCHEMES).optional(),
  /** Baseline image, relative to the sign-off file. */
  from: str(),
  /** The update, relative to the sign-off file. */
  to: str(),
  /** An older image the baseline puts in the other slot. */
  previous: str().optional(),
  /** The scheme's baseline setup (e.g. `test` for an MCUboot TEST upgrade); default its first. */
  setup: str().optional(),
});

const DEFAULT_SAFE: DeviceOutcome[] = ['updated', 'rolled-back'];

export const signoffSchema = mapping({
  name: str().optional(),
  description: z.string({ error: expected('a string') }).optional(),
  rigs: list(rigEntry, 1),
  paths: list(updatePath, 1),
  cuts: list(cutMode, 1),
  /** Off time of every cut; default each rig's power.offMs. */
  offMs: num({ min: 0, max: MAX_OFF_MS }).optional(),
  /** Seeds every mode without its own (default each rig's twin.seed, else 1). */
  seed,
  threshold: mapping({
    /** The recovery rate the lower confidence bound must reach. */
    recovery: share('a recovery rate', 0).default(DEFAULT_RECOVERY),
    /** The confidence of the bound (two-sided Wilson score interval, see src/signoff/wilson.ts). */
    confidence: share('a confidence', 0.5).default(DEFAULT_CONFIDENCE),
  }).default(() => ({ recovery: DEFAULT_RECOVERY, confidence: DEFAULT_CONFIDENCE })),
  expect: mapping({
    /** Outcomes that count as recovered. */
    safe: list(oneOf(DEVICE_OUTCOMES), 1).default(() => [...DEFAULT_SAFE]),
    /** Extra power cycles after each recovery that must keep the same image running. */
    bootLoopCycles: int({ min: 0, max: MAX_BOOT_LOOP_CYCLES }).default(0),
  }).default(() => ({ safe: [...DEFAULT_SAFE], bootLoopCycles: 0 })),
});

export type SignoffFields = z.output<typeof signoffSchema>;
export type SignoffRigEntry = SignoffFields['rigs'][number];
export type SignoffPathEntry = SignoffFields['paths'][number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rules between fields, checked on the raw document wherever the fields involved are valid. */
export function signoffCrossIssues(raw: Record<string, unknown>): PathIssue[] {
  const issues: PathIssue[] = [];
  const { expect } = raw;
  if (isRecord(expect) && Array.isArray(expect.safe)) {
    expect.safe.forEach((outcome, i) => {
      if (typeof outcome === 'string' && (NEVER_ACCEPTABLE as readonly string[]).includes(outcome)) {
        issues.push({ path: ['expect', 'safe', i], message: `${outcome} can never count as recovered: one ${outcome} fails a cell whatever its rate` });
      }
    });
  }
  if (Array.isArray(raw.paths)) {
    const seen = new Map<string, number>();
    raw.paths.forEach((p, i) => {
      if (!isRecord(p) || typeof p.name !== 'string') return;
      const first = seen.get(p.name);
      if (first !== undefined) issues.push({ path: ['paths', i, 'name'], message: `the name ${JSON.stringify(p.name)} is already paths[${first}]'s: the page tells paths apart by name` });
      else seen.set(p.name, i);
    });
  }
  return issues;
}
