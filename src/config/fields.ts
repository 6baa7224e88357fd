/**
 * zod building blocks that speak the config error language: `required`, `expected a number,
 * got "fast"`, `expected one of a, b, got "c"`, unknown keys with their allowed neighbours.
 * Every schema in rig-schema.ts and suite-schema.ts is made of these, so zod's default messages
 * never reach a user.
 */
import { z } from 'zod';
import { describeValue } from './describe-value.js';
import { closest } from './did-you-mean.js';

export { describeValue };

type RawIssue = z.core.$ZodRawIssue;

/**
 * The error function of a field: `required` when absent, else `expected <what>, got <value>`.
 * `typeWhat` is used when the value is of the wrong type altogether (`expected a number`), `what`
 * when it is of the right type but out of range (`expected an integer >= 0`).
 */
export function expected(what: string, typeWhat: string = what): (issue: RawIssue) => string {
  return (issue) => {
    if (issue.input === undefined) return 'required';
    // An integer field given 1.5 has the right type but not the right value: say the whole range.
    const wrongType = issue.code === 'invalid_type' && issue.expected !== 'int';
    return `expected ${wrongType ? typeWhat : what}, got ${describeValue(issue.input)}`;
  };
}

export interface NumberBounds {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound (limits.ts). */
  max?: number;
}

function boundsText({ min, above, max }: NumberBounds): string {
  const low = min !== undefined ? ` >= ${min}` : above !== undefined ? ` > ${above}` : '';
  if (max === undefined) return low;
  return low ? `${low} and <= ${max}` : ` <= ${max}`;
}

/** A finite number, e.g. `num({ min: 0 })`: "expected a number >= 0". */
export function num(bounds: NumberBounds = {}) {
  const error = expected(`a number${boundsText(bounds)}`, 'a number');
  let schema = z.number({ error });
  if (bounds.min !== undefined) schema = schema.min(bounds.min, { error });
  if (bounds.above !== undefined) schema = schema.gt(bounds.above, { error });
  if (bounds.max !== undefined) schema = schema.max(bounds.max, { error });
  return schema;
}

/** A safe integer, e.g. `int({ min: 0 })`: "expected an integer >= 0". */
export function int(bounds: NumberBounds = {}) {
  const error = expected(`an integer${boundsText(bounds)}`, 'an integer');
  let schema = z.int({ error });
  if (bounds.min !== undefined) schema = schema.min(bounds.min, { error });
  if (bounds.above !== undefined) schema = schema.gt(bounds.above, { error });
  if (bounds.max !== undefined) schema = schema.max(bounds.max, { error });
  return schema;
}

/** A non-empty string. */
export function str() {
  return z.string({ error: expected('a non-empty string', 'a string') }).min(1, { error: expected('a non-empty string') });
}

export function bool() {
  return z.boolean({ error: expected('true or false') });
}

/** One of a closed list of words: "expected one of rp2040, stm32f429, nrf52840, got "rp2041"". */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: expected(`one of ${values.join(', ')}`) });
}

/** A YAML sequence of `item`, with at least `min` entries. */
export function list<T extends z.ZodType>(item: T, min = 0) {
  const schema = z.array(item, { error: expected('a list') });
  if (min === 0) return schema;
  const noun = min === 1 ? 'entry' : 'entries';
  return schema.min(min, { error: (issue) => `expected at least ${min} ${noun}, got ${(issue.input as unknown[]).length}` });
}

/** What an unknown-key issue carries (as zod `params`) so the message can be written once located. */
export interface UnknownKeyParams {
  unknownKey: {
    /** The keys allowed at this level, for "did you mean". */
    allowed: readonly string[];
    /** Keys that belong to another variant of a tagged mapping: key -> message. */
    elsewhere: Readonly<Record<string, string>>;
  };
}

export function isUnknownKeyParams(params: unknown): params is UnknownKeyParams {
  return typeof params === 'object' && params !== null && 'unknownKey' in params;
}

/** The message of an unknown key: `unknown key (did you mean "power"?)`. */
export function unknownKeyMessage(key: string, params: UnknownKeyParams): string {
  const note = params.unknownKey.elsewhere[key];
  if (note) return note;
  const hint = closest(key, params.unknownKey.allowed);
  return hint === undefined ? 'unknown key' : `unknown key (did you mean "${hint}"?)`;
}

/**
 * A YAML mapping with exactly these keys: any other key is reported on its own (at the key, with
 * a did-you-mean hint) while the known keys are still validated.
 * (Built as a catchall that always fails; typed as a strict object so the inferred config types
 * carry no index signature.)
 */
export function mapping<S extends z.core.$ZodShape>(shape: S, elsewhere: Readonly<Record<string, string>> = {}): z.ZodObject<S, z.core.$strict> {
  const params: UnknownKeyParams = { unknownKey: { allowed: Object.keys(shape), elsewhere } };
  const unknownKey = z.unknown().refine(() => false, { message: 'unknown key', params });
  return z.object(shape, { error: expected('a mapping') }).catchall(unknownKey) as unknown as z.ZodObject<S, z.core.$strict>;
}

type TaggedOptions<T extends readonly z.core.$ZodShape[]> = { -readonly [I in keyof T]: z.ZodObject<T[I], z.core.$strict> };

/**
 * A mapping whose `tag` key (e.g. `driver`) selects which other keys are allowed: a zod
 * discriminated union of `mapping`s. Each variant's shape must give `tag` as a `z.literal`. A key
 * that only another variant allows is reported as `not allowed with driver twin (only with serial)`.
 */
export function tagged<const T extends readonly [z.core.$ZodShape, ...z.core.$ZodShape[]]>(tag: string, shapes: T) {
  const tagOf = (shape: z.core.$ZodShape): string => String((shape[tag] as z.ZodLiteral<string>).value);
  const options = shapes.map((shape) => {
    const elsewhere: Record<string, string> = {};
    for (const other of shapes) {
      for (const key of Object.keys(other)) {
        if (key in shape) continue;
        const owners = shapes.filter((s) => key in s).map(tagOf);
        elsewhere[key] = `not allowed with ${tag} ${tagOf(shape)} (only with ${owners.join(', ')})`;
      }
    }
    return mapping(shape, elsewhere);
  });
  const error = (issue: RawIssue): string => {
    if (issue.input === undefined) return 'required';
    if (issue.code === 'invalid_union') {
      const value = (issue.input as Record<string, unknown>)[tag];
      if (value === undefined) return 'required';
      return `expected one of ${shapes.map(tagOf).join(', ')}, got ${describeValue(value)}`;
    }
    return `expected a mapping, got ${describeValue(issue.input)}`;
  };
  return z.discriminatedUnion(tag, options as unknown as TaggedOptions<T>, { error });
}

/** A value that may be written as a bare string standing for `{ [key]: value }`. */
export function shorthand<T extends z.ZodType>(key: string, schema: T) {
  return z.preprocess((value) => (typeof value === 'string' ? { [key]: value } : value), schema);
}

/** For anything the field builders did not cover: still never zod's "Invalid input". */
export function fallbackError(issue: RawIssue): string {
  if (issue.input === undefined) return 'required';
  return `invalid value ${describeValue(issue.input)}`;
}

/** One of several schemas, e.g. an integer or a name; `what` describes them all for messages. */
export function union<const T extends readonly [z.ZodType, z.ZodType, ...z.ZodType[]]>(options: T, what: string) {
  return z.union(options, { error: expected(what) });
}
