/**
 * The lab's scheduling cost: 64 twin rigs (generated into a temp dir from rigs/lab/lab-sfu-01.yaml)
 * served by 8 real `hil worker` processes on a real redis-server, each rig given N trivial jobs at
 * once: a health check (open the twin, safe state, program the known-good image, power-cycle,
 * banner), the lightest job a worker runs under the full machinery (BullMQ delivery, rig lease with
 * its fencing token and keeper, phase records, health record, release). A suite job adds `hil
 * run`'s Jest on top, seconds of its own that say nothing about scheduling.
 *
 * Prints, from BullMQ's own timestamps and the workers' CPU time (/proc):
 *   - jobs per second, all rigs together;
 *   - enqueue -> start on an idle lab (one job at a time: BullMQ's delivery alone), and of each
 *     rig's first job when all are queued at once (after one warm-up job per rig, not counted);
 *   - the gap between one job's end and the next job's start on the same rig (fetching the next);
 *   - start -> finish per job, and beside it the same health check timed alone in this process;
 *   - the workers' CPU per job beside the check's own CPU alone: what the lab adds per job (BullMQ,
 *     lease, keeper, phases, health record, release) is their difference, the steady figure on a shared box;
 *   - lease acquire + release, timed alone (RigLeases against the same Redis); the load average.
 *   npm run bench:lab -- [--json] [--rigs 64] [--workers 8] [--jobs 4] [--log]
 * Needs redis-server on PATH and the compiled code (the script builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis } from '../test/lab/redis-server.js';
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url).href;
const { loadRig } = (await import(dist('config/index.js'))) as typeof import('../src/config/index.js');
const { queuePrefix } = (await import(dist('lab/keys.js'))) as typeof import('../src/lab/keys.js');
const { healthQueueName } = (await import(dist('lab/queues.js'))) as typeof import('../src/lab/queues.js');
const { HEALTH_JOB } = (await import(dist('lab/health-queue.js'))) as typeof import('../src/lab/health-queue.js');
const { runHealthCheck } = (await import(dist('lab/health.js'))) as typeof import('../src/lab/health.js');
const { RigLeases, isLease } = (await import(dist('lab/lease.js'))) as typeof import('../src/lab/lease.js');

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { json: { type: 'boolean' }, log: { type: 'boolean' }, rigs: { type: 'string' }, workers: { type: 'string' }, jobs: { type: 'string' } } });
const RIGS = Number(values.rigs ?? 64);
const WORKERS = Number(values.workers ?? 8);
const JOBS = Number(values.jobs ?? 4);
if (![RIGS, WORKERS, JOBS].every((n) => Number.isInteger(n) && n > 0) || RIGS % WORKERS) throw new Error('--rigs, --workers, --jobs: positive integers, rigs a multiple of workers');

const tmp = mkdtempSync(join(tmpdir(), 'hilrig-bench-lab-'));
const server = await startRedis();
const lab = server.lab({ state: join(tmp, 'state'), lease: { ttlMs: 15000, renewMs: 5000 } });
const labFile = server.labFile({ state: join(tmp, 'state'), lease: { ttlMs: 15000, renewMs: 5000 } });
const p = lab.redis.prefix;

// 64 twin rigs: the lab's SFU twin under new names, WORKERS folders of RIGS/WORKERS each.
const template = readFileSync(join(ROOT, 'rigs/lab/lab-sfu-01.yaml'), 'utf8');
const rigNames: string[] = [];
for (let w = 0; w < WORKERS; w++) {
  mkdirSync(join(tmp, 'rigs', `w${w}`), { recursive: true });
  for (let i = 0; i < RIGS / WORKERS; i++) {
    const name = `bench-${String(w * (RIGS / WORKERS) + i).padStart(2, '0')}`;
    rigNames.push(name);
    writeFileSync(join(tmp, 'rigs', `w${w}`, `${name}.yaml`), template.replace(/^name: .*$/m, `name: ${name}`).replace(/serial: "[^"]*"/, `serial: "${name}"`));
  }
}

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<unknown>;
}
function startWorker(w: number): Proc {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/hil.js'), 'worker', '--rigs', join(tmp, 'rigs', `w${w}`, '*.yaml'), '--lab', labFile, '--id', `bench-w${w}`, '--reports', join(tmp, 'reports', `w${w}`)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  child.stdout!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  return { child, lines, exited: new Promise((resolve) => child.once('exit', resolve)) };
}
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`bench: ${what} not after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const ms = (x: number) => Number(x.toFixed(1));

const procs: Proc[] = [];
const queues: Queue[] = [];
const redis = new Redis({ host: server.host, port: server.port });
try {
  const load0 = loadavg()[0]!;
  for (let w = 0; w < WORKERS; w++) procs.push(startWorker(w));
  await until('every worker ready', () => procs.every((pr) => pr.lines.some((l) => / ready: /.test(l)) || pr.child.exitCode !== null));
  const dead = procs.find((pr) => pr.child.exitCode !== null);
  if (dead) throw new Error(`a worker exited (${dead.child.exitCode}):\n${dead.lines.slice(-20).join('\n')}`);
  for (const rig of rigNames) queues.push(new Queue(healthQueueName(rig), { connection: { host: server.host, port: server.port }, prefix: queuePrefix(p) }));
  const add = (i: number, tag: string, n: number) =>
    queues[i]!.addBulk(
      Array.from({ length: n }, (_, k) => ({
        name: HEALTH_JOB,
        data: { kind: 'health', rig: rigNames[i]!, reason: `bench ${tag} ${k + 1}`, by: 'bench', enqueuedAt: Date.now() },
        opts: { jobId: `bench-${tag}-${rigNames[i]}-${k}`, removeOnComplete: false, removeOnFail: false },
      })),
    );
  const finished = async () => (await Promise.all(queues.map((q) => q.getJobCounts('completed', 'failed')))).reduce((a, c) => a + (c.completed ?? 0) + (c.failed ?? 0), 0);
  // Warm-up: one job per rig, not counted (each rig's first open loads its images and modules).
  await Promise.all(queues.map((_, i) => add(i, 'warm', 1)));
  await until('the warm-up jobs', async () => (await finished()) >= RIGS, 10 * 60_000);
  const cpu0 = procs.map((pr) => cpuSeconds(pr.child.pid!));

  const t0 = Date.now();
  await Promise.all(queues.map((_, i) => add(i, 'run', JOBS)));
  const total = RIGS * JOBS;
  await until(`${total} jobs finished`, async () => (await finished()) >= RIGS + total, 30 * 60_000);
  const cpu = procs.reduce((a, pr, i) => a + cpuSeconds(pr.child.pid!) - cpu0[i]!, 0);
  const load1 = loadavg()[0]!;

  const jobs: Job[][] = (await Promise.all(queues.map((q) => q.getJobs(['completed', 'failed'], 0, -1, true)))).map((list) => list.filter((j) => j.id?.startsWith('bench-run-')));

  // Delivery on an idle lab: one job at a time, each rig in turn, enqueue -> start.
  const idle: number[] = [];
  for (const [i, q] of queues.entries()) {
    const [job] = await add(i, 'idle', 1);
    await until(`idle job on ${rigNames[i]}`, async () => ['completed', 'failed'].includes(await job!.getState()));
    const done = await Job.fromId(q, job!.id!);
    idle.push(done!.processedOn! - done!.timestamp);
  }
  const failed = jobs.flat().filter((j) => j.failedReason);
  const end = Math.max(...jobs.flat().map((j) => j.finishedOn ?? 0));
  const firstStart: number[] = [];
  const gaps: number[] = [];
  const run: number[] = [];
  for (const list of jobs) {
    const s = [...list].sort((a, b) => (a.processedOn ?? 0) - (b.processedOn ?? 0));
    firstStart.push(s[0]!.processedOn! - s[0]!.timestamp);
    for (let k = 0; k < s.length; k++) {
      run.push(s[k]!.finishedOn! - s[k]!.processedOn!);
      if (k) gaps.push(s[k]!.processedOn! - s[k - 1]!.finishedOn!);
    }
  }

  // The same health check alone, in this process (no queue, no lease): what a job costs by itself.
  const rig = await loadRig(join(tmp, 'rigs', 'w0', `${rigNames[0]}.yaml`));
  const alone: number[] = [];
  await runHealthCheck(rig, lab); // warm: the workers' module loading is not in their per-job CPU either
  const aloneCpu0 = process.cpuUsage();
  for (let k = 0; k < 5; k++) {
    const a = performance.now();
    const h = await runHealthCheck(rig, lab);
    if (!h.ok) throw new Error(`bench: health check alone failed: ${h.reason}`);
    alone.push(performance.now() - a);
  }
  const aloneCpu = process.cpuUsage(aloneCpu0);

  // Lease acquire + release alone, on every rig.
  const leases = new RigLeases(redis, lab);
  const leaseMs: number[] = [];
  for (let k = 0; k < 4; k++)
    for (const name of rigNames) {
      const a = performance.now();
      const got = await leases.acquire(`${name}-lease-bench`, { workerId: 'bench', host: 'bench', pid: process.pid });
      if (!isLease(got)) throw new Error(`bench: lease on ${name} held`);
      await leases.release(got);
      leaseMs.push(performance.now() - a);
    }

  const line = {
    rigs: RIGS,
    workers: WORKERS,
    jobsPerRig: JOBS,
    jobs: total,
    failed: failed.length,
    seconds: ms((end - t0) / 1000),
    jobsPerSecond: Number((total / ((end - t0) / 1000)).toFixed(2)),
    enqueueToStartMs: { median: ms(quantile(firstStart, 0.5)), p95: ms(quantile(firstStart, 0.95)) },
    idleEnqueueToStartMs: { median: ms(quantile(idle, 0.5)), p95: ms(quantile(idle, 0.95)) },
    nextJobGapMs: { median: ms(quantile(gaps, 0.5)), p95: ms(quantile(gaps, 0.95)) },
    jobMs: { median: ms(quantile(run, 0.5)), p95: ms(quantile(run, 0.95)) },
    healthCheckAloneMs: { median: ms(quantile(alone, 0.5)), cpu: ms((aloneCpu.user + aloneCpu.system) / 1000 / alone.length) },
    leaseAcquireReleaseMs: { median: ms(quantile(leaseMs, 0.5)), p95: ms(quantile(leaseMs, 0.95)) },
    workerCpuPerJobMs: ms((cpu * 1000) / total),
    load: [Number(load0.toFixed(2)), Number(load1.toFixed(2))],
  };
  // --log: the first worker's own lines (what a job did when), to see where a job's time goes.
  if (values.log) console.error(procs[0]!.lines.join('\n'));
  if (values.json) console.log(JSON.stringify(line));
  else
    console.log(
      [
        `${line.jobs} health jobs (${JOBS} per rig) on ${RIGS} twin rigs, ${WORKERS} hil worker processes: ${line.seconds} s = ${line.jobsPerSecond} jobs/s${failed.length ? ` (${failed.length} FAILED: ${failed[0]!.failedReason})` : ''}`,
        `  enqueue -> start, idle lab (one job at a time): median ${line.idleEnqueueToStartMs.median} ms, p95 ${line.idleEnqueueToStartMs.p95} ms`,
        `  enqueue -> start, all at once (first job per rig): median ${line.enqueueToStartMs.median} ms, p95 ${line.enqueueToStartMs.p95} ms`,
        `  one job's end -> next job's start (same rig): median ${line.nextJobGapMs.median} ms, p95 ${line.nextJobGapMs.p95} ms`,
        `  job start -> finish: median ${line.jobMs.median} ms, p95 ${line.jobMs.p95} ms; the health check alone: ${line.healthCheckAloneMs.median} ms (${line.healthCheckAloneMs.cpu} ms CPU)`,
        `  lease acquire + release alone: median ${line.leaseAcquireReleaseMs.median} ms, p95 ${line.leaseAcquireReleaseMs.p95} ms`,
        `  worker CPU per job, the check included: ${line.workerCpuPerJobMs} ms (the check alone: ${line.healthCheckAloneMs.cpu} ms); load average ${line.load.join(' -> ')}`,
      ].join('\n'),
    );
} finally {
  for (const pr of procs) if (pr.child.exitCode === null) pr.child.kill('SIGINT');
  await Promise.race([Promise.all(procs.map((pr) => pr.exited)), new Promise((r) => setTimeout(r, 30_000))]);
  for (const pr of procs) if (pr.child.exitCode === null && pr.child.signalCode === null) pr.child.kill('SIGKILL');
  await Promise.all(queues.map((q) => q.close()));
  redis.disconnect();
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
