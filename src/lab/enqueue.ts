/**
 * `hil enqueue`: one job per (suite, rig) on each rig's queue — or per sign-off cell on its rig's —
 * or a job scheduler per (suite, rig) with `--every`. The rigs are those the lab's workers registered (rigsKey), matched by name; each
 * worker's owner record says the rig's scheme, so a suite only goes to rigs of its scheme (the
 * worker checks again, fully, with the rig's own file, as `hil run` does).
 */
import { basename } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { UsageError } from '../core/errors.js';
import { loadSuite, type SuiteConfig } from '../config/index.js';
import { loadCampaign } from '../config/campaign-schema.js';
import type { LabConfig } from './config.js';
import { loadSignoff } from '../signoff/load.js';
import { NAME, newRunId, type JobImages, type SignoffCellJob, type SuiteJob } from './jobs.js';
import { ownerKey, rigsKey } from './keys.js';
import { openRigQueue } from './queues.js';
import { cellRigName, signoffJobName, signoffMatrixFile } from './signoff-cell.js';
import { campaignFileOf, globRegExp, suiteFileOf } from './worker-rigs.js';

export interface EnqueueOptions {
  /** nightly (campaigns/nightly.yaml), signoff (./signoff.yaml's cells) or a suite name. */
  what: string;
  rigsGlob: string;
  priority?: number;
  images?: JobImages;
  /** A cron pattern or a number of milliseconds: install schedulers instead of jobs. */
  every?: string;
  by: string;
  now?: Date;
}

export interface Queued {
  rig: string;
  /** The suite's name, or the sign-off's for a sign-off cell. */
  suite: string;
  /** A sign-off cell's id (hil enqueue signoff). */
  cell?: string;
  /** The job's id, or the scheduler's with --every. */
  id: string;
}

export interface EnqueueResult {
  runId: string;
  campaign?: string;
  /** hil enqueue signoff: the sign-off's name and file. */
  signoff?: { name: string; file: string };
  queued: Queued[];
  skipped: { rig: string; suite?: string; reason: string }[];
  scheduled: boolean;
}

/** How often a job is tried: each interruption (lease lost, worker died, stop) costs one. */
export const JOB_ATTEMPTS = 20;
/** Pause between attempts: long enough for a lapsed lease or a restarting Redis. */
export const RETRY_DELAY_MS = 2000;

interface RegisteredRig {
  name: string;
  scheme?: string;
  workerId?: string;
}

async function registeredRigs(redis: Redis, lab: LabConfig): Promise<RegisteredRig[]> {
  const p = lab.redis.prefix;
  const names = (await redis.smembers(rigsKey(p))).sort();
  const rigs: RegisteredRig[] = [];
  for (const name of names) {
    const raw = await redis.get(ownerKey(p, name));
    let owner: { scheme?: string; workerId?: string } = {};
    try {
      owner = raw ? (JSON.parse(raw) as typeof owner) : {};
    } catch {
      owner = {};
    }
    rigs.push({ name, ...(owner.scheme && { scheme: owner.scheme }), ...(owner.workerId && { workerId: owner.workerId }) });
  }
  return rigs;
}

async function suitesOf(what: string): Promise<{ suites: SuiteConfig[]; campaign?: string }> {
  if (what === 'nightly') {
    const file = campaignFileOf(what);
    if (!file) throw new UsageError(`hil enqueue ${what}: no campaigns/${what}.yaml here or in the hilrig package`);
    const c = await loadCampaign(file);
    const seen = new Set<string>();
    const suites: SuiteConfig[] = [];
    for (const s of c.suites) {
      if (seen.has(s.file)) continue;
      seen.add(s.file);
      suites.push(await loadSuite(s.file));
    }
    return { suites, campaign: c.name };
  }
  if (!NAME.test(what)) throw new UsageError(`hil enqueue ${what}: expected nightly, signoff or a suite name (suites/NAME.yaml), not a path`);
  return { suites: [await loadSuite(suiteFileOf(what))] };
}

function suiteName(s: SuiteConfig): string {
  return basename(s.file).replace(/\.ya?ml$/, '');
}

function repeatOf(every: string): { pattern: string } | { every: number } {
  if (/^\d+$/.test(every)) {
    const ms = Number(every);
    if (ms < 1000) throw new UsageError(`--every ${every}: at least 1000 ms`);
    return { every: ms };
  }
  if (!/^\S+( \S+){4,5}$/.test(every)) throw new UsageError(`--every ${JSON.stringify(every)}: expected a cron pattern of 5 or 6 fields ('0 2 * * *') or milliseconds`);
  return { pattern: every };
}

const jobOpts = (o: EnqueueOptions) => ({
  attempts: JOB_ATTEMPTS,
  backoff: { type: 'fixed', delay: RETRY_DELAY_MS },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
  ...(o.priority !== undefined && { priority: o.priority }),
});

/**
 * `hil enqueue signoff`: one job per applicable cell of ./signoff.yaml whose rig is registered and
 * matches the glob. The job names the sign-off, the cell and the rig; the worker finds the cell
 * again in its own signoff.yaml and runs it as `hil signoff` does.
 */
async function enqueueSignoff(redis: Redis, lab: LabConfig, o: EnqueueOptions): Promise<EnqueueResult> {
  if (o.images) throw new UsageError('hil enqueue signoff: --from/--to do not apply: the sign-off names its images in its paths');
  const file = signoffMatrixFile();
  const plan = await loadSignoff(file);
  const name = signoffJobName(plan);
  const repeat = o.every !== undefined ? repeatOf(o.every) : undefined;
  const re = globRegExp(o.rigsGlob);
  const registered = new Map((await registeredRigs(redis, lab)).map((r) => [r.name, r]));
  const runId = repeat ? `${name}-every` : newRunId(name, o.now);
  const result: EnqueueResult = { runId, campaign: name, signoff: { name, file }, queued: [], skipped: [], scheduled: Boolean(repeat) };
  const cells = plan.cells.filter((c) => !c.notApplicable && re.test(cellRigName(c)));
  if (!cells.length) throw new UsageError(`--rigs ${o.rigsGlob}: matches none of the rigs of sign-off ${name}'s cells (${[...new Set(plan.cells.map(cellRigName))].join(', ')})`);
  const queues = new Map<string, Queue>();
  try {
    for (const cell of cells) {
      const rigName = cellRigName(cell);
      const rig = registered.get(rigName);
      const skip = (reason: string) => result.skipped.push({ rig: rigName, suite: `${name} ${cell.id}`, reason });
      if (!rig) skip("not a rig of the lab: no worker registered it (its cell is left out of the lab's page)");
      else if (!rig.scheme) skip('no live worker serves it (its scheme is unknown)');
      else if (rig.scheme !== cell.rig.config.scheme) skip(`the sign-off's rig ${rigName} is ${cell.rig.config.scheme}, the lab's is ${rig.scheme}: not the same rig`);
      if (!rig?.scheme || rig.scheme !== cell.rig.config.scheme) continue;
      let queue = queues.get(rigName);
      if (!queue) queues.set(rigName, (queue = await openRigQueue(lab, rigName)));
      const data: SignoffCellJob = { kind: 'signoff-cell', signoff: name, cell: cell.id, rig: rigName, runId, by: o.by, enqueuedAt: (o.now ?? new Date()).getTime() };
      if (repeat) {
        const id = `${name}.${cell.id}`;
        await queue.upsertJobScheduler(id, repeat, { name: id, data, opts: jobOpts(o) });
        result.queued.push({ rig: rigName, suite: name, cell: cell.id, id });
      } else {
        const job = await queue.add(`${name}.${cell.id}`, data, { ...jobOpts(o), jobId: `${runId}.${cell.id}.${rigName}` });
        result.queued.push({ rig: rigName, suite: name, cell: cell.id, id: String(job.id) });
      }
    }
  } finally {
    await Promise.allSettled([...queues.values()].map((q) => q.close()));
  }
  return result;
}

export async function enqueue(redis: Redis, lab: LabConfig, o: EnqueueOptions): Promise<EnqueueResult> {
  if (o.what === 'signoff') return enqueueSignoff(redis, lab, o);
  const { suites, campaign } = await suitesOf(o.what);
  const repeat = o.every !== undefined ? repeatOf(o.every) : undefined;
  const re = globRegExp(o.rigsGlob);
  const rigs = (await registeredRigs(redis, lab)).filter((r) => re.test(r.name));
  if (!rigs.length) throw new UsageError(`--rigs ${o.rigsGlob}: matches none of the rigs the lab's workers registered (hil lab status lists them)`);
  const label = campaign ?? suiteName(suites[0]!);
  const runId = repeat ? `${label}-every` : newRunId(label, o.now);
  const result: EnqueueResult = { runId, ...(campaign && { campaign }), queued: [], skipped: [], scheduled: Boolean(repeat) };
  const queues = new Map<string, Queue>();
  try {
    for (const rig of rigs) {
      for (const suite of suites) {
        const name = suiteName(suite);
        if (!rig.scheme) {
          result.skipped.push({ rig: rig.name, suite: name, reason: 'no live worker serves it (its scheme is unknown)' });
          continue;
        }
        if (suite.scheme !== undefined && suite.scheme !== rig.scheme) {
          if (!campaign) result.skipped.push({ rig: rig.name, suite: name, reason: `the suite is for ${suite.scheme}, the rig is ${rig.scheme}` });
          continue;
        }
        let queue = queues.get(rig.name);
        if (!queue) queues.set(rig.name, (queue = await openRigQueue(lab, rig.name)));
        const data: SuiteJob = {
          kind: 'suite',
          suite: name,
          rig: rig.name,
          ...(campaign && { campaign }),
          ...(o.images && { images: o.images }),
          runId,
          by: o.by,
          enqueuedAt: (o.now ?? new Date()).getTime(),
        };
        const opts = jobOpts(o);
        if (repeat) {
          const id = `${label}.${name}`;
          await queue.upsertJobScheduler(id, repeat, { name, data, opts });
          result.queued.push({ rig: rig.name, suite: name, id });
        } else {
          const job = await queue.add(name, data, { ...opts, jobId: `${runId}.${name}.${rig.name}` });
          result.queued.push({ rig: rig.name, suite: name, id: String(job.id) });
        }
      }
    }
  } finally {
    await Promise.allSettled([...queues.values()].map((q) => q.close()));
  }
  return result;
}
