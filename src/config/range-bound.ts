/**
 * The bounds of a `range` sweep (suites' `cuts.sweeps`, sign-off cut modes): a number, a time or a
 * percentage, and what each means for the sweep's trigger. One reading for both files, so a range
 * that loads in a suite loads in a sign-off with the same message.
 */
import { z } from 'zod';
import { expected, num, union } from './fields.js';
import { MAX_TRIGGER_MS } from './limits.js';
import { parseDuration } from './trigger.js';

/** A string parsed by `parse`; its Error message becomes the issue. */
export function parsed<T>(what: string, parse: (text: string) => T) {
  return z.string({ error: expected(what) }).transform((text, ctx): T => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message, input: text });
      return z.NEVER;
    }
  });
}

/** A range bound: a number, a time (`600ms`, `1.5s`: trigger after) or a percentage (`5%`: trigger progress). */
export const rangeValue = union(
  [
    num({ min: 0, max: MAX_TRIGGER_MS }),
    parsed('a number, a time or a percentage', (text) => {
      const percent = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
      return percent ? { percent: Number(percent[1]) } : { ms: parseDuration(text) };
    }),
  ],
  'a number, a time such as 600ms (trigger after) or a percentage such as 5% (trigger progress)',
);
export type RangeValue = number | { percent: number } | { ms: number };

/** What a range bound means for its trigger, or the reason it cannot. */
export function rangeNumber(trigger: 'after' | 'marker' | 'progress', value: RangeValue): number | string {
  if (typeof value === 'number') {
    if (trigger === 'marker' && !Number.isInteger(value)) return `expected a whole op edge number, got ${value}`;
    if (trigger === 'progress' && value > 100) return `expected a percentage of at most 100, got ${value}`;
    return value;
  }
  if ('ms' in value) return trigger === 'after' ? value.ms : `a time is a bound of trigger after, not ${trigger}: give ${trigger === 'marker' ? 'an op edge number' : 'a percentage such as 5%'}`;
  if (trigger !== 'progress') return `a percentage is a bound of trigger progress, not ${trigger}`;
  return value.percent > 100 ? `expected a percentage of at most 100%, got ${value.percent}%` : value.percent;
}

/**
 * A range's from / to / step for its trigger, checked (step above 0, to at least from); a problem
 * goes to `fail` with the field it belongs to, whose return value is handed back.
 */
export function rangeBounds<F>(
  trigger: 'after' | 'marker' | 'progress',
  fields: Record<'from' | 'to' | 'step', RangeValue>,
  fail: (field: 'from' | 'to' | 'step', message: string, input: unknown) => F,
): Record<'from' | 'to' | 'step', number> | F {
  const bounds: Record<'from' | 'to' | 'step', number> = { from: 0, to: 0, step: 0 };
  for (const key of ['from', 'to', 'step'] as const) {
    const n = rangeNumber(trigger, fields[key]);
    if (typeof n === 'string') return fail(key, n, fields[key]);
    bounds[key] = n;
  }
  if (!(bounds.step > 0)) return fail('step', `expected a step above 0, got ${bounds.step}`, fields.step);
  if (bounds.to < bounds.from) return fail('to', `expected at least from (${bounds.from}), got ${bounds.to}`, fields.to);
  return bounds;
}
