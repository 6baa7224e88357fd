/**
 * What a lab job may say, and nothing more. Anyone who can write to the Redis reaches every Pi's
 * worker through the queue, so a job names things the worker already has — a suite, a rig, a
 * campaign by name, images by sha256 in the worker's own image store — and never carries a path,
 * a command or a YAML body. parseJob refuses anything else before the worker touches a rig.
 */
import { UsageError } from '../core/errors.js';

/** A suite, rig, campaign, sign-off or cell name: a file's base name, never a path. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** An image in the store, by its content. */
export const SHA256 = /^[0-9a-f]{64}$/;

export interface JobImages {
  from: string;
  to: string;
  via?: string[];
}

interface Common {
  /** Who enqueued it (user@host, or the scheduler's id): shown in reports and the audit. */
  by: string;
  /** Epoch ms, when `hil enqueue` queued it (the scheduling overhead starts there). */
  enqueuedAt: number;
}

export interface SuiteJob extends Common {
  kind: 'suite';
  suite: string;
  rig: string;
  campaign?: string;
  images?: JobImages;
  /** The run this job belongs to: one `hil enqueue` (a nightly, a sign-off) is one run. */
  runId: string;
}

export interface SignoffCellJob extends Common {
  kind: 'signoff-cell';
  signoff: string;
  cell: string;
  rig: string;
  runId: string;
}

export interface HealthJob extends Common {
  kind: 'health';
  rig: string;
  reason: string;
}

export type LabJob = SuiteJob | SignoffCellJob | HealthJob;

/** The refusal of a job's data: which field, what was wrong. Not the worker's fault (exit 2). */
export class JobDataError extends UsageError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`job data: ${field}: ${problem}`);
  }
}

type Raw = Record<string, unknown>;

const KEYS: Record<LabJob['kind'], { required: string[]; optional: string[] }> = {
  suite: { required: ['kind', 'suite', 'rig', 'runId', 'by', 'enqueuedAt'], optional: ['campaign', 'images'] },
  'signoff-cell': { required: ['kind', 'signoff', 'cell', 'rig', 'runId', 'by', 'enqueuedAt'], optional: [] },
  health: { required: ['kind', 'rig', 'reason', 'by', 'enqueuedAt'], optional: [] },
};

/** Free text a person reads (who, why): printable, one line, bounded; never used as a name. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const TEXT = /^[^\x00-\x1f\x7f]{1,200}$/u;

function name(raw: Raw, field: string): string {
  const v = raw[field];
  if (typeof v !== 'string' || !NAME.test(v)) throw new JobDataError(field, `expected a name (letters, digits, . _ -, at most 64, not starting with . _ or -), got ${describe(v)}`);
  return v;
}

function text(raw: Raw, field: string): string {
  const v = raw[field];
  if (typeof v !== 'string' || !TEXT.test(v)) throw new JobDataError(field, `expected one line of printable text (1-200 characters), got ${describe(v)}`);
  return v;
}

function sha(v: unknown, field: string): string {
  if (typeof v !== 'string' || !SHA256.test(v)) throw new JobDataError(field, `expected a sha256 (64 lowercase hex digits), got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function onlyKeys(raw: Raw, allowed: string[], where: string): void {
  for (const k of Object.keys(raw)) if (!allowed.includes(k)) throw new JobDataError(where ? `${where}.${k}` : k, `unknown field (allowed: ${allowed.join(', ')})`);
}

function images(v: unknown): JobImages {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JobDataError('images', `expected { from, to, via? } of sha256, got ${describe(v)}`);
  const raw = v as Raw;
  onlyKeys(raw, ['from', 'to', 'via'], 'images');
  const out: JobImages = { from: sha(raw.from, 'images.from'), to: sha(raw.to, 'images.to') };
  if (raw.via !== undefined) {
    if (!Array.isArray(raw.via) || raw.via.length > 16) throw new JobDataError('images.via', `expected a list of at most 16 sha256, got ${describe(raw.via)}`);
    out.via = raw.via.map((x, i) => sha(x, `images.via[${i}]`));
  }
  return out;
}

/**
 * The job's data, checked: a known kind, exactly its fields, names that are names, sha256 that
 * are sha256. Throws JobDataError naming the field.
 */
export function parseJob(data: unknown): LabJob {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new JobDataError('(job)', `expected an object, got ${describe(data)}`);
  const raw = data as Raw;
  const kind = raw.kind;
  if (kind !== 'suite' && kind !== 'signoff-cell' && kind !== 'health') throw new JobDataError('kind', `expected suite, signoff-cell or health, got ${describe(kind)}`);
  const { required, optional } = KEYS[kind];
  onlyKeys(raw, [...required, ...optional], '');
  for (const k of required) if (raw[k] === undefined) throw new JobDataError(k, 'missing');
  const enqueuedAt = raw.enqueuedAt;
  if (typeof enqueuedAt !== 'number' || !Number.isSafeInteger(enqueuedAt) || enqueuedAt < 0) throw new JobDataError('enqueuedAt', `expected epoch milliseconds, got ${describe(enqueuedAt)}`);
  const common = { by: text(raw, 'by'), enqueuedAt };
  switch (kind) {
    case 'suite':
      return {
        kind,
        suite: name(raw, 'suite'),
        rig: name(raw, 'rig'),
        ...(raw.campaign !== undefined && { campaign: name(raw, 'campaign') }),
        ...(raw.images !== undefined && { images: images(raw.images) }),
        runId: name(raw, 'runId'),
        ...common,
      };
    case 'signoff-cell':
      return { kind, signoff: name(raw, 'signoff'), cell: name(raw, 'cell'), rig: name(raw, 'rig'), runId: name(raw, 'runId'), ...common };
    case 'health':
      return { kind, rig: name(raw, 'rig'), reason: text(raw, 'reason'), ...common };
  }
}

/** A run id: the UTC time and what was queued, e.g. 20261206T123000Z-nightly (a NAME). */
export function newRunId(what: string, now = new Date()): string {
  const t = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${t}-${what}`.slice(0, 64);
}
