/**
 * Results come home through Redis: each finished (or interrupted) job's Allure results travel as
 * one entry of the lab's results stream, size-capped, and `hil report --lab` drains them to disk.
 * Redis is already the one service every Pi reaches (leases, queues); a shared directory needs an
 * NFS mount on every Pi and an S3 store one more service with its own credentials. One entry per
 * job: a job's results arrive whole or not at all, and draining deletes only what is on disk.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import type { LabConfig } from './config.js';
import { lastKey, resultsKey } from './keys.js';

/** What a job was and how it ended: the stream entry's head, and the rig's last result (lastKey). */
export interface JobResultsMeta {
  runId: string;
  jobId: string;
  rig: string;
  host: string;
  workerId: string;
  /** The job's kind (`suite`, `signoff-cell`, `health`). */
  kind: string;
  suite?: string;
  campaign?: string;
  /** 1 for the first run of a job; a stalled job's re-run after its interrupted record is 2, … */
  attempt: number;
  startedAt: number;
  finishedAt: number;
  outcome: 'passed' | 'failed' | 'broken' | 'interrupted';
  summary: string;
  /** The rig's board (rig file `board:`): history follows the board, not the Pi. */
  board?: { serial?: string; label?: string };
}

export interface PublishedResults {
  /** Bytes of the stream entry (meta and files). */
  bytes: number;
  /** Files left out or replaced by a note, each with why. */
  dropped: string[];
}

/** What fetchResults wrote for one job. */
export interface DrainedJob {
  meta: JobResultsMeta;
  /** The stream entry's id. */
  id: string;
  dir: string;
  dropped: string[];
}

/**
 * Results older than this that nobody drained are trimmed when the next job publishes: with
 * `maxmemory-policy noeviction` a full Redis refuses writes, lease renewals included, so the stream
 * must not grow without bound on a lab where nobody runs `hil report --lab`.
 */
export const RESULTS_KEEP_MS = 7 * 24 * 3600_000;

/** How long publishResults keeps trying while Redis is away (a restart replays its AOF in seconds). */
export const PUBLISH_RETRY_MS = 120_000;

/** The run's records beside its Allure results (`hil run`'s results.jsonl): the merged report's history needs them. */
export const RECORDS_FILE = 'results.jsonl';
/** What a sign-off job leaves beside its results (runSignoff's `<reports>/signoff/`): its report JSON and its cells' maps. */
export const SIGNOFF_FILE = 'signoff.json';
export const SIGNOFF_MAPS = 'maps';

const OUTCOMES = new Set(['passed', 'failed', 'broken', 'interrupted']);
/** A name the stream may put on disk: one plain file name, never a path. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
/** Beside the results: a plain name, or one in the sign-off's maps folder. */
const BESIDE_NAME = new RegExp(`^(${SIGNOFF_MAPS}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`);
/** Field prefixes in a stream entry: an Allure results file, a file beside them. */
const ALLURE = 'allure:';
const BESIDE = 'beside:';

interface Attachment {
  name?: string;
  source?: string;
  type?: string;
}

/** Every attachment list in an Allure result or container (steps nest; befores/afters hold steps). */
function attachmentLists(node: unknown, out: Attachment[][] = []): Attachment[][] {
  if (Array.isArray(node)) for (const n of node) attachmentLists(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'attachments' && Array.isArray(v)) out.push(v as Attachment[]);
      else if (typeof v === 'object') attachmentLists(v, out);
    }
  }
  return out;
}

function isAttachment(name: string): boolean {
  return /-attachment(\.[A-Za-z0-9]+)?$/.test(name);
}

interface Files {
  allure: Map<string, Buffer>;
  beside: Map<string, Buffer>;
}

function readFiles(allureResultsDir: string | undefined): Files {
  const files: Files = { allure: new Map(), beside: new Map() };
  if (!allureResultsDir || !existsSync(allureResultsDir)) return files;
  for (const name of readdirSync(allureResultsDir).sort()) {
    // Allure's own half-written files (.allure-write-*.tmp) are no result.
    if (!FILE_NAME.test(name) || name.endsWith('.tmp')) continue;
    const file = join(allureResultsDir, name);
    if (statSync(file).isFile()) files.allure.set(name, readFileSync(file));
  }
  const above = dirname(allureResultsDir);
  for (const name of [RECORDS_FILE, SIGNOFF_FILE]) {
    const file = join(above, name);
    if (existsSync(file)) files.beside.set(name, readFileSync(file));
  }
  const maps = join(above, SIGNOFF_MAPS);
  if (files.beside.has(SIGNOFF_FILE) && existsSync(maps))
    for (const name of readdirSync(maps).sort()) if (FILE_NAME.test(name) && name.endsWith('.svg')) files.beside.set(`${SIGNOFF_MAPS}/${name}`, readFileSync(join(maps, name)));
  return files;
}

function size(files: Files): number {
  let n = 0;
  for (const [k, v] of files.allure) n += ALLURE.length + k.length + v.length;
  for (const [k, v] of files.beside) n += BESIDE.length + k.length + v.length;
  return n;
}

/**
 * Replaces an attachment by a short text note (the results that name it then name the note), so
 * the report still shows that there was one and why it is not there.
 */
function replaceAttachment(files: Files, name: string, why: string): void {
  const original = files.allure.get(name)!;
  const note = name.replace(/(\.[A-Za-z0-9]+)?$/, '.txt');
  files.allure.delete(name);
  files.allure.set(note, Buffer.from(`${why}: ${name} (${original.length} bytes) was left on the worker and is not in this report.\n`));
  for (const [file, data] of files.allure) {
    if (!file.endsWith('-result.json') && !file.endsWith('-container.json')) continue;
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      continue;
    }
    let changed = false;
    for (const list of attachmentLists(json))
      for (const a of list)
        if (a.source === name) {
          a.source = note;
          a.type = 'text/plain';
          a.name = `${a.name ?? name} (left out: ${why})`;
          changed = true;
        }
    if (changed) files.allure.set(file, Buffer.from(JSON.stringify(json)));
  }
}

/** Applies lab.yaml `store.results`: each attachment, then the whole job (largest attachments first, then whole results). */
function capFiles(files: Files, caps: LabConfig['store']['results']): string[] {
  const dropped: string[] = [];
  for (const [name, data] of [...files.allure]) {
    if (isAttachment(name) && data.length > caps.maxAttachmentBytes) {
      const why = `attachment over maxAttachmentBytes (${data.length} > ${caps.maxAttachmentBytes})`;
      replaceAttachment(files, name, why);
      dropped.push(`${name}: ${why}`);
    }
  }
  // Notes are small; what is left to drop is attachments, then the results themselves.
  const bySize = (pred: (n: string) => boolean) =>
    [...files.allure]
      .filter(([n]) => pred(n))
      .sort((a, b) => b[1].length - a[1].length)
      .map(([n]) => n);
  for (const name of bySize((n) => isAttachment(n) && !n.endsWith('.txt'))) {
    if (size(files) <= caps.maxJobBytes) break;
    const why = `job over maxJobBytes (${caps.maxJobBytes})`;
    replaceAttachment(files, name, why);
    dropped.push(`${name}: ${why}`);
  }
  for (const name of bySize(() => true)) {
    if (size(files) <= caps.maxJobBytes) break;
    files.allure.delete(name);
    dropped.push(`${name}: job over maxJobBytes (${caps.maxJobBytes}), left out`);
  }
  for (const name of [...files.beside.keys()]) {
    if (size(files) <= caps.maxJobBytes) break;
    files.beside.delete(name);
    dropped.push(`${name}: job over maxJobBytes (${caps.maxJobBytes}), left out`);
  }
  return dropped;
}

/**
 * Sends one job's results (the Allure results folder, and the run's results.jsonl and a sign-off
 * cell's files beside it when there are) as one stream entry, capped per lab.yaml
 * `store.results`, and records the rig's last result. An interrupted job may have no folder:
 * its meta alone travels, and the merged report shows it broken.
 */
export async function publishResults(
  redis: Redis,
  lab: LabConfig,
  meta: JobResultsMeta,
  allureResultsDir?: string,
  /** `alsoSet`: keys set in the same transaction as the results (a job's "published" mark: both or neither), with their TTL in seconds. */
  opts: { retryForMs?: number; signal?: AbortSignal; alsoSet?: readonly { key: string; value: string; ttlS: number }[] } = {},
): Promise<PublishedResults> {
  const checked = parseMeta(JSON.parse(JSON.stringify(meta)) as unknown, 'publishResults meta');
  const files = readFiles(allureResultsDir);
  const dropped = capFiles(files, lab.store.results);
  const fields: (string | Buffer)[] = ['meta', JSON.stringify(checked), 'dropped', JSON.stringify(dropped)];
  for (const [k, v] of files.allure) fields.push(ALLURE + k, v);
  for (const [k, v] of files.beside) fields.push(BESIDE + k, v);
  const bytes = fields.reduce((n, f) => n + f.length, 0);
  const p = lab.redis.prefix;
  const send = async () => {
    const minId = String(Math.max(0, Date.now() - RESULTS_KEEP_MS));
    const multi = redis
      .multi()
      .xadd(resultsKey(p), 'MINID', '~', minId, '*', ...fields)
      .set(lastKey(p, checked.rig), JSON.stringify(checked));
    for (const s of opts.alsoSet ?? []) multi.set(s.key, s.value, 'EX', s.ttlS);
    const replies = await multi.exec();
    const err = replies?.find(([e]) => e)?.[0];
    if (err) throw err;
  };
  // A Redis restart (or a short partition) must not lose a job's results: try again until Redis is
  // back or the deadline. Sent twice (the first reply lost) is harmless: draining writes the same
  // job folder again.
  const deadline = Date.now() + (opts.retryForMs ?? PUBLISH_RETRY_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return { bytes, dropped };
    } catch (err) {
      if (Date.now() >= deadline || opts.signal?.aborted)
        throw new Error(`publishing results of job ${checked.jobId} (rig ${checked.rig}) to ${resultsKey(p)}: ${(err as Error).message} (${attempt} attempt(s))`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2000)));
    }
  }
}

function parseMeta(data: unknown, where: string): JobResultsMeta {
  const fail = (field: string, what: string): never => {
    throw new Error(`${where}: field ${field}: ${what}`);
  };
  if (!data || typeof data !== 'object' || Array.isArray(data)) fail('meta', 'not an object');
  const m = data as Record<string, unknown>;
  for (const k of ['runId', 'jobId', 'rig', 'host', 'workerId', 'kind', 'summary'] as const) if (typeof m[k] !== 'string') fail(k, 'missing or not a string');
  for (const k of ['runId', 'jobId', 'rig'] as const) if (!/^[A-Za-z0-9][A-Za-z0-9._:\-[\],]{0,127}$/.test(m[k] as string)) fail(k, `${JSON.stringify(m[k])} is not a name`);
  for (const k of ['attempt', 'startedAt', 'finishedAt'] as const) if (typeof m[k] !== 'number' || !Number.isFinite(m[k])) fail(k, 'missing or not a number');
  if (!OUTCOMES.has(m.outcome as string)) fail('outcome', `${JSON.stringify(m.outcome)} is not one of ${[...OUTCOMES].join(', ')}`);
  for (const k of ['suite', 'campaign'] as const) if (m[k] !== undefined && typeof m[k] !== 'string') fail(k, 'not a string');
  return data as JobResultsMeta;
}

/** A job's folder name under its run: rig, job and attempt, nothing a stream could make a path of. */
export function jobDirName(meta: Pick<JobResultsMeta, 'rig' | 'jobId' | 'attempt'>): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${safe(meta.rig)}--${safe(meta.jobId)}--a${meta.attempt}`;
}

/** Where drained results go: `outDir/<runId>/jobs/<rig>--<job>--a<attempt>/`. */
export function runDir(outDir: string, runId: string): string {
  return join(outDir, runId.replace(/[^A-Za-z0-9._-]+/g, '_'));
}

/** The drained jobs of one run, from disk. */
export function readDrainedJobs(dir: string): DrainedJob[] {
  const jobs = join(dir, 'jobs');
  if (!existsSync(jobs)) return [];
  return readdirSync(jobs)
    .sort()
    .flatMap((name) => {
      const file = join(jobs, name, 'job.json');
      if (!existsSync(file)) return [];
      const j = JSON.parse(readFileSync(file, 'utf8')) as Omit<DrainedJob, 'dir'>;
      return [{ ...j, dir: join(jobs, name) }];
    });
}

/** Writes one entry's job folder whole (a temporary folder renamed): a reader never sees half a job. */
function writeJob(outDir: string, key: string, id: string, fields: Buffer[]): DrainedJob {
  const get = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) get.set(fields[i]!.toString('utf8'), fields[i + 1]!);
  const where = `${key} entry ${id}`;
  const metaText = get.get('meta');
  if (!metaText) throw new Error(`${where}: field meta: missing`);
  let data: unknown;
  try {
    data = JSON.parse(metaText.toString('utf8'));
  } catch (err) {
    throw new Error(`${where}: field meta: not JSON (${(err as Error).message})`, { cause: err });
  }
  const meta = parseMeta(data, where);
  let dropped: string[];
  try {
    dropped = JSON.parse(get.get('dropped')?.toString('utf8') ?? '[]') as string[];
  } catch {
    dropped = ['(the entry’s list of dropped files was unreadable)'];
  }
  const dir = join(runDir(outDir, meta.runId), 'jobs', jobDirName(meta));
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'allure-results'), { recursive: true });
  for (const [k, v] of get) {
    const [prefix, name] = k.startsWith(ALLURE) ? [ALLURE, k.slice(ALLURE.length)] : k.startsWith(BESIDE) ? [BESIDE, k.slice(BESIDE.length)] : [undefined, ''];
    if (!prefix) continue;
    if (!(prefix === ALLURE ? FILE_NAME : BESIDE_NAME).test(name)) throw new Error(`${where}: field ${JSON.stringify(k)}: not a plain file name`);
    const file = prefix === ALLURE ? join(tmp, 'allure-results', name) : join(tmp, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, v);
  }
  const job: Omit<DrainedJob, 'dir'> = { meta, id, dropped };
  writeFileSync(join(tmp, 'job.json'), JSON.stringify(job, null, 2) + '\n');
  // A job drained before (its XDEL lost to a crash) is replaced by the same content.
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { ...job, dir };
}

export interface FetchOptions {
  /** Only this run's jobs (the others stay in the stream). */
  runId?: string;
  /** Start after this stream id. */
  since?: string;
  /** Leave drained entries in the stream (a second reader will see them too). */
  keep?: boolean;
  /** An entry that cannot be read is reported here and left in the stream; without it, it throws. */
  onProblem?: (message: string) => void;
  /** Entries read per XRANGE (bounds memory: a job is up to maxJobBytes). */
  batch?: number;
}

/**
 * Drains the results stream (every entry, or one run's) into `outDir/<runId>/jobs/…`, deleting
 * each entry once its folder is on disk; returns what it wrote, oldest first.
 */
export async function fetchResults(redis: Redis, lab: LabConfig, outDir: string, opts: FetchOptions = {}): Promise<JobResultsMeta[]> {
  return (await drainResults(redis, lab, outDir, opts)).map((j) => j.meta);
}

/** fetchResults with each job's folder and stream id. */
export async function drainResults(redis: Redis, lab: LabConfig, outDir: string, opts: FetchOptions = {}): Promise<DrainedJob[]> {
  const key = resultsKey(lab.redis.prefix);
  const out: DrainedJob[] = [];
  // A job's attempt sent twice (a Redis restart lost the first reply: publishResults sends again)
  // lands in its one folder twice: it is one job, listed once.
  const byDir = new Map<string, number>();
  let start = opts.since ? `(${opts.since}` : '-';
  for (;;) {
    const entries = await redis.xrangeBuffer(key, start, '+', 'COUNT', opts.batch ?? 8);
    if (!entries.length) break;
    const done: string[] = [];
    for (const [idBuf, fields] of entries) {
      const id = idBuf.toString('utf8');
      try {
        const metaAt = fields.findIndex((f, i) => i % 2 === 0 && f.toString('utf8') === 'meta');
        if (opts.runId !== undefined && metaAt >= 0) {
          const runId = (JSON.parse(fields[metaAt + 1]!.toString('utf8')) as { runId?: unknown }).runId;
          if (runId !== opts.runId) continue;
        }
        const job = writeJob(outDir, key, id, fields);
        const seen = byDir.get(job.dir);
        if (seen === undefined) byDir.set(job.dir, out.push(job) - 1);
        else out[seen] = job;
        done.push(id);
      } catch (err) {
        if (!opts.onProblem) throw err;
        opts.onProblem((err as Error).message);
      }
    }
    if (done.length && !opts.keep) await redis.xdel(key, ...done);
    start = `(${entries.at(-1)![0].toString('utf8')}`;
  }
  return out;
}

/** The rig's last job's meta (lastKey), if any. */
export async function lastResult(redis: Redis, lab: LabConfig, rig: string): Promise<JobResultsMeta | undefined> {
  const text = await redis.get(lastKey(lab.redis.prefix, rig));
  if (!text) return undefined;
  try {
    return parseMeta(JSON.parse(text) as unknown, lastKey(lab.redis.prefix, rig));
  } catch {
    return undefined;
  }
}
