/**
 * One lab job on one rig, from lease to release. The phase record (phaseKey) is what makes a
 * stalled job safe to pick up again: BullMQ hands a job whose worker died to the next worker as
 * if nothing happened, but a job that got past `leased` may have died mid-cut, with the rig in any
 * state. Such a job is reported `interrupted`, the rig is made safe and health-checked, and only
 * then does it run again, as a new attempt (its number in the results).
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { HilError } from '../core/errors.js';
import type { RigConfig } from '../config/index.js';
import { readFenceFile, writeFenceFile } from '../rig/fence.js';
import { audit } from './audit.js';
import type { LabConfig } from './config.js';
import { enqueueHealth, recordHealth, runHealthCheck } from './health.js';
import { newRunId, parseJob, type LabJob } from './jobs.js';
import { phaseKey } from './keys.js';
import { isLease, type Lease, type RigLeases } from './lease.js';
import { LeaseKeeper } from './lease-keeper.js';
import { publishResults, type JobResultsMeta } from './results.js';
import { runSignoffCellJob, runSuiteJob } from './run-job.js';
import { findLabCell } from './signoff-cell.js';
import { suiteFileOf, suiteWithImages } from './worker-rigs.js';

export interface WorkerContext {
  lab: LabConfig;
  /** Phases, results, audit: a connection that waits out a Redis restart (leases have their own). */
  redis: Redis;
  leases: RigLeases;
  workerId: string;
  host: string;
  /** Jobs' run folders. */
  reports: string;
  /** Aborted when the worker stops: running jobs are interrupted, rigs made safe. */
  stopping: AbortSignal;
  log: (line: string) => void;
}

/** The phases a job goes through; a job found in one of PAST_LEASED was cut short by its worker's death. */
export type JobPhase = 'leased' | 'safe-state' | 'running' | 'cutting' | 'publishing' | 'done' | 'interrupted';
const PAST_LEASED: readonly string[] = ['safe-state', 'running', 'cutting', 'publishing'];
const WEEK_S = 7 * 24 * 3600;

/** Where the rig's fence file and event log live on this Pi (lab.yaml `state`). */
export function fencePaths(lab: LabConfig, rig: string): { fenceFile: string; eventLog: string } {
  for (const dir of ['fence', 'events']) mkdirSync(join(lab.state, dir), { recursive: true });
  return { fenceFile: join(lab.state, 'fence', `${rig}.json`), eventLog: join(lab.state, 'events', `${rig}.jsonl`) };
}

export async function processLabJob(ctx: WorkerContext, rig: RigConfig, job: Job, token: string | undefined): Promise<{ outcome: string; summary: string }> {
  const { lab, redis } = ctx;
  const p = lab.redis.prefix;
  const jobId = String(job.id);
  // Job ids are per queue (a health queue's '1' is not the rig queue's): phases are kept per queue.
  const phaseId = `${job.queueName}.${jobId}`;
  let data: LabJob;
  try {
    data = parseJob(job.data);
    if (data.rig !== rig.name) throw new HilError(`job data: rig: the job is for ${data.rig}, found on the queue of ${rig.name}`, 2);
  } catch (err) {
    // Never run, never retried: the data is wrong, not the rig.
    const text = (err as Error).message;
    ctx.log(`rig ${rig.name}: job ${jobId} refused: ${text}`);
    await audit(redis, lab, { by: ctx.workerId, action: 'refuse', rig: rig.name, detail: `job ${jobId}: ${text}` }).catch(() => undefined);
    throw new UnrecoverableError(text);
  }

  // Its last attempt published a final outcome: the job was finished, and its worker died (or Redis
  // went away) before the queue heard of it. Completed now, never run again.
  const finished = await finishedAttempt(redis, p, phaseId);
  if (finished) {
    await redis.set(phaseKey(p, phaseId), 'done', 'EX', WEEK_S);
    ctx.log(`rig ${rig.name}: job ${jobId} was finished by attempt ${finished.attempt} (${finished.outcome}, its results published): completed without running it again`);
    return { outcome: finished.outcome, summary: finished.summary };
  }

  const { fenceFile, eventLog } = fencePaths(lab, rig.name);
  // The host's last token is a floor: tokens stay monotonic even if Redis lost its counter.
  const got = await ctx.leases.acquire(rig.name, { workerId: ctx.workerId, host: ctx.host, pid: process.pid, jobId }, readFenceFile(fenceFile)?.token ?? 0);
  if (!isLease(got)) {
    // Someone holds the rig (a hand lease, a lapsing one of a dead worker): wait, never run.
    const waitMs = Math.max(got.expiresInMs, 250);
    ctx.log(`rig ${rig.name}: job ${jobId} waits ${waitMs} ms: lease held by ${got.heldBy.workerId} (${got.heldBy.host} pid ${got.heldBy.pid}) token ${got.token}`);
    await job.moveToDelayed(Date.now() + waitMs, token);
    throw new DelayedError();
  }
  const lease = got;
  const previous = await redis.get(phaseKey(p, phaseId));
  const attemptKey = phaseKey(p, `${phaseId}.attempt`);
  const attempt = await redis.incr(attemptKey);
  await redis.expire(attemptKey, WEEK_S);
  const setPhase = (phase: JobPhase) => redis.set(phaseKey(p, phaseId), phase, 'EX', WEEK_S);
  await setPhase('leased');
  ctx.log(`rig ${rig.name}: job ${jobId} leased: token ${lease.token}, attempt ${attempt}${previous ? ` (previous attempt ended in phase ${previous})` : ''}`);

  writeFenceFile(fenceFile, { rig: rig.name, token: lease.token, holder: ctx.workerId, validUntil: lease.validUntil, eventLog });
  const keeper = new LeaseKeeper(ctx.leases, lease, fenceFile, eventLog);
  const abort = new AbortController();
  let lost: string | undefined;
  keeper.on('lost', (reason: unknown) => {
    lost = String(reason ?? 'lease lost');
    ctx.log(`rig ${rig.name}: job ${jobId}: lease lost (${lost}): stopping the run, rig to its safe state`);
    abort.abort();
  });
  const onStop = () => abort.abort();
  ctx.stopping.addEventListener('abort', onStop, { once: true });
  if (ctx.stopping.aborted) abort.abort();
  keeper.start();
  const startedAt = Date.now();
  const meta = (outcome: JobResultsMeta['outcome'], summary: string, n = attempt): JobResultsMeta => ({
    runId: runIdOf(job, data),
    jobId,
    rig: rig.name,
    host: hostname(),
    workerId: ctx.workerId,
    kind: data.kind,
    ...(rig.board && { board: { ...(rig.board.serial !== undefined && { serial: rig.board.serial }), ...(rig.board.label !== undefined && { label: rig.board.label }) } }),
    ...(data.kind === 'suite' && { suite: data.suite, ...(data.campaign && { campaign: data.campaign }) }),
    // A sign-off's cells are one campaign: its history is the sign-off's own.
    ...(data.kind === 'signoff-cell' && { campaign: data.signoff }),
    attempt: n,
    startedAt,
    finishedAt: Date.now(),
    outcome,
    summary,
  });
  try {
    if (previous && (PAST_LEASED.includes(previous) || previous === 'interrupted')) {
      if (previous !== 'interrupted') {
        const summary = `interrupted in phase ${previous}: its worker stopped answering (attempt ${attempt - 1}); the rig is made safe and health-checked before attempt ${attempt}`;
        await publishResults(redis, lab, meta('interrupted', summary, attempt - 1));
        await audit(redis, lab, { by: ctx.workerId, action: 'interrupted', rig: rig.name, detail: `job ${jobId}: ${summary}` });
        ctx.log(`rig ${rig.name}: job ${jobId} reported interrupted (attempt ${attempt - 1}, phase ${previous})`);
      }
      await setPhase('safe-state');
      const health = await runHealthCheck(rig, lab, healthOpts(abort.signal, fenceFile));
      await recordHealth(redis, lab, health);
      ctx.log(`rig ${rig.name}: job ${jobId}: health check before attempt ${attempt}: ${health.ok ? 'ok' : `FAILED: ${health.reason}`}`);
      if (!health.ok) {
        await setPhase('interrupted');
        throw new Error(`rig ${rig.name} failed its health check (${health.reason ?? 'no reason'}): the job waits for the rig to come back`);
      }
    }
    if (data.kind === 'health') {
      await setPhase('running');
      const health = await runHealthCheck(rig, lab, healthOpts(abort.signal, fenceFile));
      const { paused, resumed } = await recordHealth(redis, lab, health);
      await setPhase('done');
      const summary = health.ok ? 'ok' : `FAILED: ${health.reason ?? ''}`;
      ctx.log(`rig ${rig.name}: health check (${data.reason}): ${summary}${paused ? '; queue paused' : ''}${resumed ? '; queue resumed' : ''}`);
      return { outcome: health.ok ? 'passed' : 'failed', summary };
    }
    // The job's files on this Pi (its data named them): a suite file, or this directory's sign-off and the cell in it.
    let suiteFile = '';
    let signoffFile = '';
    try {
      if (data.kind === 'signoff-cell') signoffFile = (await findLabCell(data.signoff, data.cell, rig.file)).file;
      else {
        suiteFile = suiteFileOf(data.suite);
        if (data.images) suiteFile = await suiteWithImages(lab, suiteFile, data.images, join(ctx.reports, `${jobId}-${attempt}`, 'suite'));
      }
    } catch (err) {
      const summary = (err as Error).message;
      await publishResults(redis, lab, meta('broken', summary));
      await setPhase('done');
      ctx.log(`rig ${rig.name}: job ${jobId} broken: ${summary}`);
      throw new UnrecoverableError(summary);
    }
    await setPhase('running');
    const reports = join(ctx.reports, `${jobId}-${attempt}`);
    let run: Awaited<ReturnType<typeof runSuiteJob>>;
    if (data.kind === 'signoff-cell') {
      ctx.log(`rig ${rig.name}: job ${jobId} running: sign-off ${data.signoff} cell ${data.cell}, attempt ${attempt}`);
      run = await runSignoffCellJob({ signoffFile, signoff: data.signoff, cell: data.cell, rigFile: rig.file, reports, fenceFile, signal: abort.signal });
    } else {
      ctx.log(`rig ${rig.name}: job ${jobId} running: suite ${data.suite}, attempt ${attempt}`);
      run = await runSuiteJob({ suiteFile, rigFile: rig.file, campaign: data.campaign ?? 'lab', reports, fenceFile, signal: abort.signal });
    }
    await setPhase('publishing');
    lost ??= keeper.lost;
    const why = lost ? `lease lost (${lost})` : ctx.stopping.aborted ? 'the worker was stopped' : undefined;
    // A run that lost its lease ended on the fence (LeaseLostError: broken cuts) or on our SIGINT:
    // either way the rig's fault is not shown, the job was interrupted.
    const outcome = lost ? 'interrupted' : run.outcome;
    const summary = outcome === 'interrupted' && why ? `${why}: ${run.summary}` : run.summary;
    // A final outcome is published with the mark that says so (finishedAttempt), in one transaction.
    const mark = { key: phaseKey(p, `${phaseId}.published`), value: JSON.stringify({ attempt, outcome, summary }), ttlS: WEEK_S };
    const sent = await publishResults(redis, lab, meta(outcome, summary), run.resultsDir, outcome === 'interrupted' ? {} : { alsoSet: [mark] });
    if (outcome === 'interrupted') {
      await setPhase('interrupted');
      await audit(redis, lab, { by: ctx.workerId, action: lost ? 'lease-lost' : 'interrupted', rig: rig.name, detail: `job ${jobId} attempt ${attempt}: ${summary}` });
      ctx.log(`rig ${rig.name}: job ${jobId} interrupted (attempt ${attempt}): ${summary}`);
      // Retried later (the job's attempts): by then the rig is health-checked first.
      throw new Error(`interrupted: ${summary}`);
    }
    await setPhase('done');
    ctx.log(`rig ${rig.name}: job ${jobId} done: ${outcome}: ${summary} (${sent.bytes} bytes sent${sent.dropped.length ? `, ${sent.dropped.length} dropped` : ''})`);
    const what = data.kind === 'signoff-cell' ? `sign-off ${data.signoff} ${data.cell}` : data.suite;
    if (outcome === 'broken') await enqueueHealth(lab, rig.name, `job ${jobId} (${what}) broken: ${summary}`.slice(0, 200)).catch(() => undefined);
    return { outcome, summary };
  } finally {
    ctx.stopping.removeEventListener('abort', onStop);
    keeper.stop();
    await releaseLease(ctx, lease);
  }
}

/** The job's last attempt, when it published a final outcome (not `interrupted`): the mark set with its results. */
async function finishedAttempt(redis: Redis, p: string, phaseId: string): Promise<{ attempt: number; outcome: string; summary: string } | undefined> {
  const [mark, last] = await Promise.all([redis.get(phaseKey(p, `${phaseId}.published`)), redis.get(phaseKey(p, `${phaseId}.attempt`))]);
  if (mark === null || last === null) return undefined;
  let parsed: { attempt?: unknown; outcome?: unknown; summary?: unknown };
  try {
    parsed = JSON.parse(mark) as typeof parsed;
  } catch {
    return undefined;
  }
  const { attempt, outcome, summary } = parsed;
  if (attempt !== Number(last) || typeof outcome !== 'string' || outcome === 'interrupted' || typeof summary !== 'string') return undefined;
  return { attempt, outcome, summary };
}

/**
 * A scheduled job (hil enqueue --every) carries the schedule's fixed run id (`NAME-every`): each
 * firing becomes a run of its own, named by the minute it was due (the same for every rig).
 */
function runIdOf(job: Job, data: LabJob): string {
  if (!('runId' in data)) return `health-${data.rig}`;
  if (!data.runId.endsWith('-every')) return data.runId;
  const due = new Date(Math.floor((job.timestamp + (job.opts.delay ?? 0)) / 60_000) * 60_000);
  return newRunId(data.runId.slice(0, -'-every'.length), due);
}

async function releaseLease(ctx: WorkerContext, lease: Lease): Promise<void> {
  try {
    await ctx.leases.release(lease);
  } catch (err) {
    // It expires by itself: a release that cannot reach Redis costs one TTL of waiting.
    ctx.log(`rig ${lease.rig}: lease release failed (${(err as Error).message}); it expires by itself`);
  }
}

/** The check runs in this process, which serves other rigs too: the fence comes as a file, not $HIL_LAB_FENCE. */
function healthOpts(signal: AbortSignal, fenceFile: string): Parameters<typeof runHealthCheck>[2] {
  return { signal, fenceFile };
}
