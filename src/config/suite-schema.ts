/**
 * The suite file (`suites/NAME.yaml`): the images of one update, the rigs it runs on, the cuts
 * to make and what counts as safe. Paths are resolved and checked by the loader (load.ts), which
 * knows where the file is; `suiteCrossIssues` holds the rules that span fields.
 */
import { z } from 'zod';
import { expected, int, list, mapping, num, oneOf, shorthand, str, tagged, union } from './fields.js';
import { parsed, rangeBounds, rangeValue } from './range-bound.js';
import type { PathIssue } from './errors.js';
import { OP_CUT_MODES, type OpSweep, type OpSweepMode, type Sweep } from './sweep.js';
import { compileConsolePattern, parseDuration, parseProgress, parseTrigger, type ProgressAmount, type Trigger } from './trigger.js';
import { MAX_BOOT_LOOP_CYCLES, MAX_NTH, MAX_OFF_MS, MAX_SEED, MAX_SUITE_CUTS, MAX_SWEEP_COUNT, MAX_TRIGGER_MS, formatMs } from './limits.js';
import { DEVICE_OUTCOMES, SCHEMES, type DeviceOutcome, type Scheme } from './vocabulary.js';
import { describeValue } from './describe-value.js';
import { issueAt } from './locate.js';
import type { ConfigIssue } from './errors.js';
import { findScheme } from '../schemes/meta-registry.js';
import { parseVersionPattern, type CompatibleSet, type VersionPattern } from './version-pattern.js';

const trigger = parsed('a trigger such as after:1500ms, progress:37% or console:/CRC OK/', parseTrigger);

/** A time: `1500ms`, `1.5s`, or a number of milliseconds. */
const duration = union([num({ min: 0, max: MAX_TRIGGER_MS }), parsed('a time', parseDuration)], `a time such as 1500ms, 1.5s or 1500, at most ${formatMs(MAX_TRIGGER_MS)}`);

/** A progress point: `37%`, `64KiB`, or a number of bytes. */
const progressAmount = union(
  [int({ min: 0 }).transform((bytes): ProgressAmount => ({ bytes })), parsed('a progress amount', parseProgress)],
  'a percentage such as 37% or a byte count such as 65536 or 64KiB',
);

const cutPoint = shorthand(
  'trigger',
  mapping({
    trigger,
    /** Off time of this cut; default: cuts.offMs, then the rig's power.offMs. */
    offMs: num({ min: 0, max: MAX_OFF_MS }).optional(),
    /** Seed for the twin's power-loss model at this cut. */
    seed: int({ min: 0, max: MAX_SEED }).optional(),
    /** A second cut this long after power returns, during the recovery (a resumed swap, a repair). */
    second: duration.optional(),
  }),
);

/** Bounded: a billion points ran out of memory after three minutes; 2^53 - 1 broke Array.from. */
const count = int({ min: 1, max: MAX_SWEEP_COUNT });

const sweepFields = tagged('trigger', [
  { trigger: z.literal('progress'), from: progressAmount, to: progressAmount, count, second: duration.optional() },
  { trigger: z.literal('after'), from: duration, to: duration, count, second: duration.optional() },
  /** Edges of the marker input (flash operations on the twin), each cut `delay` after its edge. */
  { trigger: z.literal('marker'), from: int({ min: 1, max: MAX_NTH }), to: int({ min: 1, max: MAX_NTH }), delay: duration.default(0), count, second: duration.optional() },
  {
    trigger: z.literal('console'),
    second: duration.optional(),
    /** Regular expression source (no slashes). */
    pattern: str(),
    flags: z.string({ error: expected('a string of regex flags') }).default(''),
    nth: int({ min: 1, max: MAX_NTH }).default(1),
    from: duration,
    to: duration,
    count,
  },
]);

function amountText(amount: ProgressAmount): string {
  return 'percent' in amount ? `${amount.percent}%` : `${amount.bytes} bytes`;
}

const secondOf = (fields: { second?: number | undefined }): { secondMs?: number } => (fields.second === undefined ? {} : { secondMs: fields.second });

const sweep = sweepFields.transform((fields, ctx): Sweep => {
  const fail = (path: string, message: string, input: unknown) => {
    ctx.addIssue({ code: 'custom', path: [path], message, input });
    return z.NEVER;
  };
  switch (fields.trigger) {
    case 'progress': {
      const { from, to } = fields;
      if ('percent' in from !== 'percent' in to) {
        return fail('to', `from is ${'percent' in from ? 'a percentage' : 'a byte count'}, so to must be one too, got ${amountText(to)}`, to);
      }
      const [a, b] = 'percent' in from ? [from.percent, (to as { percent: number }).percent] : [from.bytes, (to as { bytes: number }).bytes];
      if (b < a) return fail('to', `expected at least from (${amountText(from)}), got ${amountText(to)}`, to);
      return { kind: 'progress', unit: 'percent' in from ? 'percent' : 'bytes', from: a, to: b, count: fields.count, ...secondOf(fields) };
    }
    case 'marker':
      if (fields.to < fields.from) return fail('to', `expected at least from (edge ${fields.from}), got ${fields.to}`, fields.to);
      return { kind: 'marker', from: fields.from, to: fields.to, delayMs: fields.delay, count: fields.count, ...secondOf(fields) };
    case 'after':
      if (fields.to < fields.from) return fail('to', `expected at least from (${fields.from}ms), got ${fields.to}ms`, fields.to);
      return { kind: 'after', fromMs: fields.from, toMs: fields.to, count: fields.count, ...secondOf(fields) };
    case 'console':
      try {
        compileConsolePattern(fields.pattern, fields.flags);
      } catch (error) {
        return fail('pattern', (error as Error).message, fields.pattern);
      }
      if (fields.to < fields.from) return fail('to', `expected at least from (${fields.from}ms), got ${fields.to}ms`, fields.to);
      return { kind: 'console', pattern: fields.pattern, flags: fields.flags, nth: fields.nth, fromMs: fields.from, toMs: fields.to, count: fields.count, ...secondOf(fields) };
  }
});

/** Torn fractions per op: each is a full recovery, so a few are plenty (the physics varies within one). */
export const MAX_TORN_PER_OP = 64;

const opSeed = int({ min: 0, max: MAX_SEED }).optional();
const sample = mapping({ sample: int({ min: 1, max: MAX_SWEEP_COUNT }).optional() }).default(() => ({}));

const opSweepFields = tagged('mode', [
  /** One cut per flash op in each `cut` mode (default all three), `torn` fractions per op. */
  { mode: z.literal('every-op'), cut: list(oneOf(OP_CUT_MODES as ['before', 'after', 'torn']), 1).optional(), torn: int({ min: 1, max: MAX_TORN_PER_OP }).optional(), seed: opSeed },
  { mode: z.literal('range'), trigger: oneOf(['after', 'marker', 'progress']), from: rangeValue, to: rangeValue, step: rangeValue, seed: opSeed },
  { mode: z.literal('random'), count, seed: opSeed },
  { mode: z.literal('double'), first: sample, second: sample, seed: opSeed },
]);

const opSweep = opSweepFields.transform((fields, ctx): Omit<OpSweep, 'index'> => {
  const fail = (path: string, message: string, input: unknown) => {
    ctx.addIssue({ code: 'custom', path: [path], message, input });
    return z.NEVER;
  };
  const seed = fields.seed === undefined ? {} : { seed: fields.seed };
  let sweep: OpSweepMode;
  switch (fields.mode) {
    case 'every-op':
      sweep = { mode: 'every-op', cut: fields.cut ? OP_CUT_MODES.filter((m) => fields.cut!.includes(m)) : [...OP_CUT_MODES], ...(fields.torn !== undefined && { torn: fields.torn }) };
      break;
    case 'range': {
      const bounds = rangeBounds(fields.trigger, fields, fail);
      if (bounds === z.NEVER) return z.NEVER;
      // Bounded like a trigger sweep's count: a tiny step over a long range is millions of points.
      const points = Math.floor((bounds.to - bounds.from) / bounds.step) + 1;
      if (points > MAX_SWEEP_COUNT) return fail('step', `${points} points from ${bounds.from} to ${bounds.to}, more than ${MAX_SWEEP_COUNT}: take a larger step`, fields.step);
      sweep = { mode: 'range', trigger: fields.trigger, ...bounds };
      break;
    }
    case 'random':
      sweep = { mode: 'random', count: fields.count };
      break;
    case 'double':
      sweep = { mode: 'double', first: fields.first, second: fields.second };
      break;
  }
  return { sweep, ...seed };
});

function hasMode(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'mode' in value;
}

/**
 * A `cuts.sweeps` entry: an op sweep when it has `mode:`, otherwise a trigger sweep (the older
 * form, unchanged). Dispatched by hand so each form keeps its own precise messages; the inner
 * issues are passed on with their paths (and the unknown-key hints) as they are.
 */
const anySweep = z.unknown().transform((value, ctx): Sweep | Omit<OpSweep, 'index'> => {
  const r = hasMode(value) ? opSweep.safeParse(value) : sweep.safeParse(value);
  if (r.success) return r.data;
  for (const issue of r.error.issues) {
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: issue.input, ...('params' in issue && issue.params !== undefined && { params: issue.params }) });
  }
  return z.NEVER;
});

function isOpSweep(s: Sweep | Omit<OpSweep, 'index'>): s is Omit<OpSweep, 'index'> {
  return 'sweep' in s;
}

/**
 * Retries of the update after a cut's recovery (`retry: N`): each is a whole update over the rig's
 * update path, so a few are what an OTA agent makes; more would only hide a device that never
 * takes the update.
 */
export const MAX_RETRY = 10;
const retry = int({ min: 0, max: MAX_RETRY });

const rigRef = shorthand(
  'rig',
  mapping({
    /** A rig name (`rigs/NAME.yaml` beside the suite's folder) or a path ending in .yaml. */
    rig: str().refine((ref) => ref.endsWith('.yaml') || ref.endsWith('.yml') || !/[/\\]/.test(ref), {
      message: 'expected a rig name (no slash) or a path ending in .yaml',
    }),
    /** `caught`: the rig runs a seeded-bug bootloader and the suite must catch it. */
    expect: oneOf(['recovers', 'caught']).default('recovers'),
    /** On a twin rig: run this bootloader variant instead of the rig file's. */
    variant: str().optional(),
    /** On a twin rig: this power-loss mode instead of the rig file's. */
    powerLoss: oneOf(['skip', 'complete', 'torn', 'random']).optional(),
    /** This rig's retries instead of the suite's `retry:`. */
    retry: retry.optional(),
  }),
);

const deviceOutcome = oneOf(DEVICE_OUTCOMES);

/** One outcome, or a list of them (`outcome: boot-loop` or `outcome: [boot-loop, bricked]`). */
const oneOrMore = <T extends z.ZodType>(item: T) => z.preprocess((value) => (typeof value === 'string' ? [value] : value), list(item, 1));

/** Flash addresses: 32-bit (YAML reads 0x72FE0 as a number). */
const address = int({ min: 0, max: 0xffff_ffff });

/**
 * Where a known weakness lies: what is stable across images of one flash layout (the op's kind,
 * store, address and stage), never an op index (it moves with the image's size).
 */
const knownOp = mapping({
  kind: oneOf(['program', 'erase']).optional(),
  target: oneOf(['flash', 'options']).optional(),
  /** An address the op covers, or a range `{ from, to }` (both included) the op overlaps. */
  address: union([address, mapping({ from: address, to: address })], 'an address such as 0x72FE0 or a range such as { from: 0x72000, to: 0x72FFF }').optional(),
  /**
   * `update` (while the host sends the update), `verify` (an SFU host has sent a whole image and
   * waits for the device to check and commit it: each transfer of a multi-stage update) or `reboot`
   * (the bootloader's work after the reset).
   */
  stage: oneOf(['update', 'verify', 'reboot']).optional(),
});

/** An accepted weakness of a correct bootloader: sweep points it matches are reported as known, not failing. */
const knownEntry = mapping({
  outcome: oneOrMore(oneOf(DEVICE_OUTCOMES)),
  cut: oneOrMore(oneOf(OP_CUT_MODES as ['before', 'after', 'torn'])).optional(),
  op: knownOp,
  reason: str(),
  ref: str().optional(),
}).transform((fields, ctx): Omit<KnownWeakness, 'index'> => {
  const { kind, target, address: at, stage } = fields.op;
  if (kind === undefined && at === undefined) {
    ctx.addIssue({ code: 'custom', path: ['op'], message: 'expected op.address or op.kind: a known weakness names where it lies (an op index moves with the image)', input: fields.op });
    return z.NEVER;
  }
  const range = at === undefined ? undefined : typeof at === 'number' ? { from: at, to: at } : at;
  if (range && range.to < range.from) {
    ctx.addIssue({
      code: 'custom',
      path: ['op', 'address', 'to'],
      message: `expected at least from (0x${range.from.toString(16).toUpperCase()}), got 0x${range.to.toString(16).toUpperCase()}`,
      input: range.to,
    });
    return z.NEVER;
  }
  return {
    outcomes: fields.outcome,
    ...(fields.cut && { cuts: OP_CUT_MODES.filter((m) => fields.cut!.includes(m)) }),
    op: { ...(kind && { kind }), ...(target && { target }), ...(range && { address: range }), ...(stage && { stage }) },
    reason: fields.reason,
    ...(fields.ref !== undefined && { ref: fields.ref }),
  };
});

const DEFAULT_SAFE: DeviceOutcome[] = ['updated', 'rolled-back'];
const DEFAULT_CAUGHT_WHEN: DeviceOutcome[] = ['bricked', 'wrong-image', 'version-mismatch'];

const PATTERN_WHAT = 'a version pattern such as 2.x, 2.0.x, 2.0.0 or *';
/** A member name as a scheme declares it (`host`, `radio`): a word, so a typo reads as one. */
const MEMBER_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** A product has a handful of processors. */
const MAX_SET_MEMBERS = 8;

/**
 * One `compatible:` entry: a mapping `{ host: 2.x, radio: 1.x }`, or the issue's list form
 * `[host 2.x, radio 1.x]` (each item `<member> <pattern>`). Parsed by hand so that each problem
 * is reported at its own item (`compatible[2][1]`, `compatible[0].radio`).
 */
const compatibleSet = z.unknown().transform((value, ctx): Omit<CompatibleSet, 'index'> => {
  const fail = (path: (string | number)[], message: string, input: unknown) => {
    ctx.addIssue({ code: 'custom', path, message, input });
  };
  const members: Record<string, VersionPattern> = {};
  const at: Record<string, string | number> = {};
  const add = (path: string | number, member: string, text: unknown) => {
    if (!MEMBER_NAME.test(member)) return fail([path], `expected a member name such as host or radio, got ${describeValue(member)}`, member);
    if (member in members) return fail([path], `member ${member} is named twice in this set`, member);
    // YAML reads `host: 2.0` as the number 2: a version must be written as text.
    if (typeof text !== 'string') return fail([path], `expected ${PATTERN_WHAT}, got ${describeValue(text)}${typeof text === 'number' ? ' (quote it: "2.0.x")' : ''}`, text);
    const pattern = parseVersionPattern(text);
    if (typeof pattern === 'string') return fail([path], `expected ${PATTERN_WHAT}, got ${pattern}`, text);
    members[member] = pattern;
    at[member] = path;
  };
  if (Array.isArray(value)) {
    if (value.length === 0) fail([], 'expected at least one member, got an empty list', value);
    if (value.length > MAX_SET_MEMBERS) fail([], `expected at most ${MAX_SET_MEMBERS} members, got ${value.length}`, value);
    else
      value.forEach((item, i) => {
        const m = typeof item === 'string' ? /^\s*(\S+)\s+(\S+)\s*$/.exec(item) : null;
        if (!m) return fail([i], `expected "<member> <pattern>" such as "host 2.x", got ${describeValue(item)}`, item);
        add(i, m[1]!, m[2]!);
      });
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) fail([], 'expected at least one member, got an empty mapping', value);
    if (entries.length > MAX_SET_MEMBERS) fail([], `expected at most ${MAX_SET_MEMBERS} members, got ${entries.length}`, value);
    else for (const [member, text] of entries) add(member, member, text);
  } else {
    fail([], `expected a set of versions such as { host: 2.x, radio: 1.x } or [host 2.x, radio 1.x], got ${describeValue(value)}`, value);
  }
  return { members, at };
});

export const suiteSchema = mapping({
  name: str().optional(),
  description: z.string({ error: expected('a string') }).optional(),
  /** If set, every rig of the suite must have this scheme (checkRigForSuite). */
  scheme: oneOf(SCHEMES).optional(),
  images: mapping({
    /** Baseline image, relative to the suite file. */
    from: str(),
    /** The update, relative to the suite file. */
    to: str(),
    /** An older image the baseline puts in the other slot (a board that has been updated before). */
    previous: str().optional(),
    /** Images sent in order before `to`, each a whole transfer (a multi-stage update), relative to the suite file. */
    via: list(str(), 1).optional(),
  }),
  /**
   * A product's supported version sets (seed 000): after a cut every member must run a version
   * that, together with the others', matches one entry; else the outcome is version-mismatch.
   */
  compatible: list(compatibleSet, 1)
    .transform((sets) => sets.map((set, index): CompatibleSet => ({ index, ...set })))
    .optional(),
  /**
   * How the scheme sets up the baseline and the update (each scheme's `setups` in its
   * src/schemes/<name>/meta.ts; the first is the default).
   */
  setup: str().optional(),
  /** Optional (`hil run --rig` names the rig), but never an empty list. */
  rigs: list(rigRef).optional(),
  /**
   * After a cut's recovery, while the device is reachable but not on the new image (waiting,
   * rolled-back), the host sends the same update again, up to this many times; the outcome is
   * judged after the last.
   */
  retry: retry.default(0),
  cuts: mapping({
    offMs: num({ min: 0, max: MAX_OFF_MS }).optional(),
    points: list(cutPoint).default([]),
    sweeps: list(anySweep).default([]),
  }).transform(({ sweeps, ...rest }) => ({
    ...rest,
    // Trigger sweeps expand into replayed cuts (cut-points.ts); op sweeps run on the sweep engine.
    sweeps: sweeps.filter((s): s is Sweep => !isOpSweep(s)),
    opSweeps: sweeps.flatMap((s, index): OpSweep[] => (isOpSweep(s) ? [{ index, ...s }] : [])),
  })),
  expect: mapping({
    safe: list(deviceOutcome, 1).default(() => [...DEFAULT_SAFE]),
    caughtWhen: list(deviceOutcome).default(() => [...DEFAULT_CAUGHT_WHEN]),
    bootLoopCycles: int({ min: 0, max: MAX_BOOT_LOOP_CYCLES }).default(0),
    /** Accepted weaknesses of the suite's correct bootloaders (each op sweep point is checked against them). */
    known: list(knownEntry).optional(),
  })
    .transform(({ known, ...rest }) => ({ ...rest, ...(known?.length && { known: known.map((k, index) => ({ ...k, index })) }) }))
    .default(() => ({ safe: [...DEFAULT_SAFE], caughtWhen: [...DEFAULT_CAUGHT_WHEN], bootLoopCycles: 0 })),
});

export type SuiteFields = z.output<typeof suiteSchema>;

/** A cut to make: when, and optionally for how long and with which power-loss seed. */
export interface CutPoint {
  trigger: Trigger;
  /** Off time; when absent, the rig's power.offMs. */
  offMs?: number;
  seed?: number;
  /** A second cut, this many ms after power returns from the first. */
  second?: number;
}

/** What a suite may change on a twin rig it lists. */
export interface TwinOverrides {
  variant?: string;
  powerLoss?: 'skip' | 'complete' | 'torn' | 'random';
}

export interface SuiteRig {
  /** As written in the suite: a rig name or a path. */
  rig: string;
  /** Absolute path of the rig file. */
  path: string;
  expect: 'recovers' | 'caught';
  twin?: TwinOverrides;
  /** The entry's own `retry:` (else the suite's). */
  retry?: number;
}

/** A validated suite, as loaded from its file. */
export interface SuiteConfig {
  /** Absolute path of the suite file. */
  file: string;
  /** `name:` or the file's basename without `.yaml`. */
  name: string;
  description?: string;
  scheme?: Scheme;
  /** Absolute paths of the baseline image, the update and an optional older image; all exist. */
  images: { from: string; to: string; previous?: string; via?: string[] };
  setup?: string;
  /** Supported version sets of a product's members (`compatible:`); absent: any pair of valid images is supported. */
  compatible?: CompatibleSet[];
  rigs: SuiteRig[];
  /** Retries of the update after each cut's recovery (waiting / rolled-back only); 0 = none. */
  retry: number;
  cuts: {
    /** Off time for every cut without its own; when absent, the rig's power.offMs. */
    offMs?: number;
    points: CutPoint[];
    sweeps: Sweep[];
    /** `cuts.sweeps` entries with `mode:`, in file order: run on the twin's sweep engine, not replayed. */
    opSweeps: OpSweep[];
  };
  expect: {
    /** Outcomes that pass on a rig expected to recover. */
    safe: DeviceOutcome[];
    /** Outcomes that prove a seeded bug was caught on a rig marked `expect: caught`. */
    caughtWhen: DeviceOutcome[];
    /** Extra power cycles after recovery that must not boot-loop. */
    bootLoopCycles: number;
    /** Accepted weaknesses (`expect.known`): matching op sweep points are reported as known, never failing. */
    known?: KnownWeakness[];
  };
}

/**
 * An accepted weakness of a correct bootloader (`expect.known`): a sweep point whose cut is at an
 * op like `op`, in one of `cuts` (any when absent), that ends in one of `outcomes`, is reported as
 * known with its reason, not as failing. Matched on what stays put across images of one layout.
 */
export interface KnownWeakness {
  /** Its index in `expect.known` (where messages about it point). */
  index: number;
  outcomes: DeviceOutcome[];
  cuts?: ('before' | 'after' | 'torn')[];
  op: {
    kind?: 'program' | 'erase';
    target?: 'flash' | 'options';
    /** The op overlaps this range (both ends included). */
    address?: { from: number; to: number };
    stage?: 'update' | 'verify' | 'reboot';
  };
  reason: string;
  /** Where it is tracked (an upstream issue, a ticket). */
  ref?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.length === 0);
}

/** A count the schema accepts (an out-of-range one is reported there, not counted twice). */
function isValidCount(count: unknown): count is number {
  return Number.isSafeInteger(count) && (count as number) >= 1 && (count as number) <= MAX_SWEEP_COUNT;
}

/** Rules between fields, checked on the raw document wherever the fields involved are valid. */
export function suiteCrossIssues(raw: Record<string, unknown>): PathIssue[] {
  const issues: PathIssue[] = [];
  const { cuts, expect } = raw;
  if (isRecord(cuts) && isEmpty(cuts.points) && isEmpty(cuts.sweeps)) {
    issues.push({ path: ['cuts'], message: 'expected at least one cut: add cuts.points or cuts.sweeps' });
  }
  if (Array.isArray(raw.rigs) && raw.rigs.length === 0) {
    issues.push({ path: ['rigs'], message: 'expected at least one rig (or leave rigs: out and name the rig with hil run --rig RIG)' });
  }
  if (isRecord(cuts)) {
    // Each sweep's count is bounded by the schema; their sum is bounded here.
    const points = Array.isArray(cuts.points) ? cuts.points.length : 0;
    const sweeps = Array.isArray(cuts.sweeps) ? cuts.sweeps : [];
    const total = sweeps.reduce<number>((n, sweep) => n + (isRecord(sweep) && isValidCount(sweep.count) ? sweep.count : 0), points);
    if (total > MAX_SUITE_CUTS) issues.push({ path: ['cuts'], message: `${total} cut points in all, more than the ${MAX_SUITE_CUTS} a suite may have: split it` });
  }
  if (isRecord(expect) && Array.isArray(expect.known)) {
    // A point that ends safe is never failing: a known entry for a safe outcome can match nothing.
    const safe: unknown[] = Array.isArray(expect.safe) ? expect.safe : DEFAULT_SAFE;
    expect.known.forEach((entry, i) => {
      if (!isRecord(entry)) return;
      const outcomes: unknown[] = typeof entry.outcome === 'string' ? [entry.outcome] : Array.isArray(entry.outcome) ? entry.outcome : [];
      outcomes.forEach((outcome, j) => {
        if (typeof outcome === 'string' && safe.includes(outcome)) {
          const path = typeof entry.outcome === 'string' ? ['expect', 'known', i, 'outcome'] : ['expect', 'known', i, 'outcome', j];
          issues.push({ path, message: `${outcome} is in expect.safe: a safe point is never failing, so a known weakness cannot end in it` });
        }
      });
    });
  }
  if (typeof raw.scheme === 'string' && findScheme(raw.scheme) && Array.isArray(raw.compatible)) {
    issues.push(...compatibleMemberIssues(raw.compatible, raw.scheme, `scheme ${raw.scheme}`));
  }
  if (isRecord(expect) && Array.isArray(expect.safe) && Array.isArray(expect.caughtWhen)) {
    const safe = expect.safe;
    expect.caughtWhen.forEach((outcome, i) => {
      if (typeof outcome === 'string' && safe.includes(outcome)) {
        issues.push({ path: ['expect', 'caughtWhen', i], message: `${outcome} is also in expect.safe: an outcome cannot be both` });
      }
    });
  }
  return issues;
}

/** The members a scheme's product has (SchemeMeta.members), or none for a single processor. */
function membersOf(scheme: string): readonly string[] {
  return findScheme(scheme)?.members?.map((m) => m.name) ?? [];
}

/**
 * `compatible:` against a scheme's members, on the raw document (the schema has checked the form):
 * only a product has version sets, each names members of it and every one of them.
 */
function compatibleMemberIssues(raw: readonly unknown[], scheme: string, whose: string): PathIssue[] {
  const members = membersOf(scheme);
  if (members.length === 0) return [{ path: ['compatible'], message: `${whose} runs one processor: compatible: is for products whose scheme has members (a version set per processor)` }];
  const issues: PathIssue[] = [];
  raw.forEach((entry, i) => {
    const named: [string, string | number][] = Array.isArray(entry)
      ? entry.flatMap((item, j): [string, string | number][] => (typeof item === 'string' && /^\s*\S+\s+\S+\s*$/.test(item) ? [[item.trim().split(/\s+/)[0]!, j]] : []))
      : isRecord(entry)
        ? Object.keys(entry).map((k): [string, string] => [k, k])
        : [];
    if (!Array.isArray(entry) && !isRecord(entry)) return;
    for (const [member, at] of named) {
      if (!members.includes(member)) issues.push({ path: ['compatible', i, at], message: `${member} is not a member of ${whose} (members: ${members.join(', ')})` });
    }
    const missing = members.filter((m) => !named.some(([n]) => n === m));
    if (missing.length) issues.push({ path: ['compatible', i], message: `names no version for ${missing.join(', ')} (write ${missing[0]} * for any)` });
  });
  return issues;
}

/**
 * A suite's `compatible:` checked against the rig it runs on (hil run, the suite runner): located in
 * the suite. Empty when the suite has no `compatible:`.
 */
export function compatibleIssuesFor(suite: Pick<SuiteConfig, 'file' | 'compatible'>, scheme: string, rigName: string): ConfigIssue[] {
  if (!suite.compatible) return [];
  const raw = suite.compatible.map((set) => Object.fromEntries(Object.keys(set.members).map((m) => [m, '*'])));
  // The raw form is lost after parsing; a member's own path (`[1]` or `.radio`) is kept in `at`.
  return compatibleMemberIssues(raw, scheme, `scheme ${scheme} (rig ${rigName})`).map((issue) => {
    const [, i, member] = issue.path as [string, number, string?];
    const at = member === undefined ? undefined : suite.compatible![i]!.at[member];
    return issueAt(suite, ['compatible', i, ...(at === undefined ? [] : [at])], issue.message);
  });
}

/** What a known entry reads of an op (a sweep's recorded op: config sits below the engine, so only its shape). */
export interface KnownOpShape {
  kind: string;
  target: string;
  address: number;
  length: number;
  stage: string;
}

/** What a known entry reads of a sweep point. */
export interface KnownPointShape {
  mode: string;
  second?: unknown;
}

/*
 * Matching (hil detect, hil run's op sweeps). A point matches an entry when it ended in one of the
 * entry's outcomes and its cut is at an op like the entry's (kind, store, address range, stage) in
 * one of its cut modes. Op indices are never matched: they move with the image's size, while a
 * trailer field's address stays put for every image of one flash layout. Only one-cut points
 * match: a double point's second cut lies in its first cut's recovery, whose op log the results do
 * not keep (its first cut alone is a point of its own, and matches there).
 */

/** Whether `entry` explains a point cut at `op` that ended in `outcome`. */
export function knownMatches(entry: KnownWeakness, op: KnownOpShape | undefined, point: KnownPointShape, outcome: string): boolean {
  if (!op || point.second) return false;
  if (!(entry.outcomes as readonly string[]).includes(outcome)) return false;
  if (entry.cuts && !(entry.cuts as readonly string[]).includes(point.mode)) return false;
  const want = entry.op;
  if (want.kind !== undefined && op.kind !== want.kind) return false;
  if (want.target !== undefined && op.target !== want.target) return false;
  if (want.stage !== undefined && op.stage !== want.stage) return false;
  if (want.address && !(op.address <= want.address.to && op.address + Math.max(1, op.length) > want.address.from)) return false;
  return true;
}

/** The first entry that explains the point, if any. */
export function knownFor(known: readonly KnownWeakness[] | undefined, op: KnownOpShape | undefined, point: KnownPointShape, outcome: string): KnownWeakness | undefined {
  if (!known?.length) return undefined;
  return known.find((k) => knownMatches(k, op, point, outcome));
}

/** `reason (ref)`: how a known point is explained in a table or a report. */
export function knownText(k: KnownWeakness): string {
  return `${k.reason}${k.ref ? ` (${k.ref})` : ''}`;
}

/** How an entry reads when it matched nothing: `expect.known[0] (boot-loop, torn program @0x72FE0)`. */
export function knownLabel(k: KnownWeakness): string {
  const a = k.op.address;
  const at = a ? (a.from === a.to ? ` @0x${hexUpper(a.from)}` : ` @0x${hexUpper(a.from)}..0x${hexUpper(a.to)}`) : '';
  const what = [k.cuts?.join('/'), k.op.kind ?? 'op', k.op.target && k.op.target !== 'flash' ? k.op.target : undefined].filter(Boolean).join(' ');
  return `expect.known[${k.index}] (${k.outcomes.join('/')}, ${what}${at}${k.op.stage ? `, ${k.op.stage}` : ''})`;
}

function hexUpper(n: number): string {
  return n.toString(16).toUpperCase();
}
