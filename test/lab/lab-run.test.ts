/**
 * Issue 14's done-when, as one test: two `hil worker` processes and a real redis-server (AOF on)
 * run a nightly over the dozen twin rigs of rigs/lab/; one worker is killed with SIGKILL in the
 * middle of a job (and started again, as systemd would), Redis is restarted mid-run; in the end
 * every job has its result, the killed job is reported interrupted before it ran again, and the
 * rigs' own event logs show no rig driven by two leases at once.
 */
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, type RedisProc } from './redis-server.js';
import { HIL, LAB_RIGS, makeLabWorkdir, NIGHTLY_SUITES } from './helpers/lab-workdir.js';
import { killProcessesMentioning, startWorker, type WorkerProc } from './helpers/worker-proc.js';
import { waitFor } from '../helpers/wait-for.js';
import { queuePrefix, leaseKey } from '../../src/lab/keys.js';
import { rigQueueName } from '../../src/lab/queues.js';
import { fetchResults, type JobResultsMeta } from '../../src/lab/results.js';
import { findDoubleBooking, readRigEvents } from '../../src/lab/exclusive-check.js';
import type { LabConfig } from '../../src/lab/config.js';

jest.setTimeout(15 * 60_000);

const RIGS_A = `${LAB_RIGS}/lab-sfu-*.yaml`;
const RIGS_B = `${LAB_RIGS}/lab-stm32-*.yaml,${LAB_RIGS}/lab-mcuboot-*.yaml`;
const RIG_NAMES = readdirSync(LAB_RIGS)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

let redis: RedisProc;
let lab: LabConfig;
let labFile: string;
let workdir: string;
let client: Redis;
const workers: WorkerProc[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendonly: true });
  // Twelve Jest runs starting at once on a 2-core box delay a worker's timers by seconds: leases
  // of 8 s renewed every 2 s ride that out (3 s leases were lost under that load, correctly).
  const lease = { ttlMs: 8000, renewMs: 2000 };
  lab = redis.lab({ lease });
  labFile = redis.labFile({ lease });
  workdir = makeLabWorkdir();
  client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
});

afterAll(async () => {
  // What each worker said, beside the run (the temp working dir stays for a post-mortem).
  writeFileSync(join(workdir, 'workers.log'), workers.map((w) => `--- ${w.id} pid ${w.pid}\n${w.lines.join('\n')}\n${w.stderr()}`).join('\n'));
  for (const w of workers) w.kill9();
  killProcessesMentioning(workdir);
  client?.disconnect();
  await redis?.stop();
});

function enqueueNightly(): { runId: string; queued: { rig: string; suite: string; id: string }[] } {
  const out = execFileSync(process.execPath, [HIL, 'enqueue', 'nightly', '--rigs', '*', '--lab', labFile, '--json'], { cwd: workdir, encoding: 'utf8' });
  return JSON.parse(out) as { runId: string; queued: { rig: string; suite: string; id: string }[] };
}

async function jobState(rig: string, id: string): Promise<string> {
  const q = new Queue(rigQueueName(rig), { connection: client, prefix: queuePrefix(lab.redis.prefix) });
  try {
    return (await q.getJobState(id)) as string;
  } finally {
    await q.close();
  }
}

test('two workers run a nightly over twelve twin rigs, through a killed worker and a Redis restart: every job reported, no rig driven twice', async () => {
  expect(RIG_NAMES).toHaveLength(12);
  const start = (id: string, rigs: string) => {
    const w = startWorker({ cwd: workdir, rigs, labFile, id });
    workers.push(w);
    return w;
  };
  let a = start('pi-a', RIGS_A);
  const b = start('pi-b', RIGS_B);
  await Promise.all([a.waitLine(/worker pi-a ready: 6 rig/), b.waitLine(/worker pi-b ready: 6 rig/)]);

  const { runId, queued } = enqueueNightly();
  // One job per rig: each rig's scheme has one suite in the nightly.
  expect(queued.map((q) => q.rig).sort()).toEqual(RIG_NAMES);
  expect(new Set(queued.map((q) => q.suite))).toEqual(new Set(NIGHTLY_SUITES));

  // kill -9 of worker A in the middle of a job: after its lease, before its results.
  const running = await a.waitLine(/job \S+ running: suite/);
  const killedJob = /job (\S+) running/.exec(running)![1]!;
  const killedRig = /rig (\S+):/.exec(running)![1]!;
  // …once the job has driven its rig (a power or probe action in the rig's own event log).
  const killedLog = join(lab.state, 'events', `${killedRig}.jsonl`);
  // (its newest attempt, running, with an action under that attempt's token: never between attempts)
  await waitFor(
    `a hardware action of the running job on ${killedRig}`,
    () => {
      const mine = a.lines.filter((l) => l.includes(`rig ${killedRig}: job ${killedJob}`));
      const lastLeased = mine.filter((l) => / leased: token \d+/.test(l)).at(-1);
      if (!lastLeased || !/ running: suite/.test(mine.at(-1) ?? '')) return false;
      const token = Number(/token (\d+)/.exec(lastLeased)![1]);
      return existsSync(killedLog) && readRigEvents(killedLog).some((e) => e.token === token);
    },
    120_000,
  );
  a.kill9();
  await a.exited;

  // Redis restarted (SIGTERM: the AOF is flushed) while B's jobs run and A is gone.
  await b.waitLine(/job \S+ done: /);
  await redis.restart();

  // A comes back (systemd's Restart=always); it may have to wait for its dead self's claims.
  await waitFor(
    'the dead worker A to let go of its claims',
    async () => {
      const w = start('pi-a', RIGS_A);
      const outcome = await Promise.race([w.waitLine(/worker pi-a ready/).then(() => 'ready' as const), w.exited.then(() => 'exited' as const)]);
      if (outcome === 'ready') return w;
      expect(w.stderr()).toMatch(/owned by worker pi-a|locked by pid/);
      return undefined;
    },
    60_000,
  ).then((w) => (a = w));

  // The killed job: reported interrupted by the worker that picked it up, then run again.
  await a.waitLine(new RegExp(`job ${killedJob.replace(/\./g, '\\.')} reported interrupted \\(attempt \\d+, phase [a-z-]+\\)`));

  // Every job ends completed (each one's final attempt passed).
  await waitFor(
    'all 12 jobs completed',
    async () => {
      const states = await Promise.all(queued.map((q) => jobState(q.rig, q.id)));
      return states.every((s) => s === 'completed') ? states : undefined;
    },
    10 * 60_000,
  );

  const metas: JobResultsMeta[] = await fetchResults(client, lab, mkdtempSync(join(tmpdir(), 'hilrig-labres-')), { runId });
  for (const q of queued) {
    const mine = metas.filter((m) => m.jobId === q.id).sort((x, y) => x.attempt - y.attempt);
    expect({ job: q.id, outcome: mine.at(-1)?.outcome }).toEqual({ job: q.id, outcome: 'passed' });
    // A job is interrupted only where we interrupted it, never re-run silently.
    const interrupted = mine.filter((m) => m.outcome === 'interrupted');
    if (q.id === killedJob) {
      // Reported by the worker that picked it up, for the attempt the dead one was running.
      expect(interrupted.some((m) => /^interrupted in phase [a-z-]+: its worker stopped answering/.test(m.summary))).toBe(true);
      expect(mine.at(-1)!.attempt).toBeGreaterThanOrEqual(2);
    }
    for (const m of mine.slice(0, -1)) expect(m.outcome).toBe('interrupted');
  }
  expect(queued.some((q) => q.id === killedJob && q.rig === killedRig)).toBe(true);

  // Zero double-booking, from the rigs' own event logs.
  for (const rig of RIG_NAMES) {
    const log = join(lab.state, 'events', `${rig}.jsonl`);
    expect(existsSync(log)).toBe(true);
    const events = readRigEvents(log);
    expect(events.length).toBeGreaterThan(0);
    expect({ rig, overlaps: findDoubleBooking(events) }).toEqual({ rig, overlaps: [] });
  }
  // The killed job's rig was driven under two tokens: the dead worker's and the new attempt's.
  expect(new Set(readRigEvents(killedLog).map((e) => e.token)).size).toBeGreaterThanOrEqual(2);

  // Stopping: rigs safe, leases released, exit 0.
  a.sigint();
  b.sigint();
  expect(await a.exited).toBe(0);
  expect(await b.exited).toBe(0);
  for (const rig of RIG_NAMES) expect(await client.exists(leaseKey(lab.redis.prefix, rig))).toBe(0);
});
