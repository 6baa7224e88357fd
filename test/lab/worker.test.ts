/**
 * `hil worker` against a real redis-server, as real processes: a second worker for a rig is
 * refused loudly (same Pi: the file lock; another Pi: the Redis claim); job data that is not a
 * name is refused without touching the rig; a rig held by someone else makes the job wait; a
 * worker cut off from Redis for longer than its lease stops driving the rig and the job comes
 * back as a new attempt; Ctrl-C mid-job leaves the rig safe, the lease released, the job queued.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, type RedisProc } from './redis-server.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';
import { HIL, LAB_RIGS, makeLabWorkdir } from './helpers/lab-workdir.js';
import { killProcessesMentioning, startWorker, type WorkerProc } from './helpers/worker-proc.js';
import { waitFor } from '../helpers/wait-for.js';
import { auditKey, leaseKey, phaseKey, queuePrefix } from '../../src/lab/keys.js';
import { rigQueueName } from '../../src/lab/queues.js';
import { fetchResults } from '../../src/lab/results.js';
import { findDoubleBooking, readRigEvents } from '../../src/lab/exclusive-check.js';
import { RigLeases, isLease } from '../../src/lab/lease.js';
import { LeaseKeeper } from '../../src/lab/lease-keeper.js';
import type { LabConfig } from '../../src/lab/config.js';

jest.setTimeout(10 * 60_000);

let redis: RedisProc;
let lab: LabConfig;
let labFile: string;
let workdir: string;
let client: Redis;
const workers: WorkerProc[] = [];

beforeAll(async () => {
  redis = await startRedis();
  lab = redis.lab();
  labFile = redis.labFile();
  workdir = makeLabWorkdir();
  client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
});

afterAll(async () => {
  for (const w of workers) w.kill9();
  killProcessesMentioning(workdir);
  client?.disconnect();
  await redis?.stop();
});

function worker(id: string, rigs: string, file = labFile): WorkerProc {
  const w = startWorker({ cwd: workdir, rigs, labFile: file, id });
  workers.push(w);
  return w;
}

/** Asynchronous: a blocked test process would let a lease it keeps (alice's) lapse. */
function enqueue(what: string, rigs: string): Promise<{ runId: string; queued: { rig: string; id: string }[] }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [HIL, 'enqueue', what, '--rigs', rigs, '--lab', labFile, '--json'], { cwd: workdir, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`hil enqueue ${what} --rigs ${rigs}: ${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as { runId: string; queued: { rig: string; id: string }[] }),
    );
  });
}

function queueOf(rig: string): Queue {
  return new Queue(rigQueueName(rig), { connection: client, prefix: queuePrefix(lab.redis.prefix) });
}

async function stateOf(rig: string, id: string): Promise<string> {
  const q = queueOf(rig);
  try {
    return String(await q.getJobState(id));
  } finally {
    await q.close();
  }
}

const rigFile = (name: string) => join(LAB_RIGS, `${name}.yaml`);
const eventLog = (rig: string) => join(lab.state, 'events', `${rig}.jsonl`);
const eventCount = (rig: string) => (existsSync(eventLog(rig)) ? readRigEvents(eventLog(rig)).length : 0);
/** Whether the rig was driven under this lease token (a job's, not the start-up health check's). */
const drivenBy = (rig: string, token: number) => existsSync(eventLog(rig)) && readRigEvents(eventLog(rig)).some((e) => e.token === token);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const tokenOf = (line: string) => Number(/token (\d+)/.exec(line)![1]);

describe('hil worker', () => {
  test('a second worker for a rig refuses, loudly: on the same Pi (file lock), on another Pi (the claim in Redis)', async () => {
    const first = worker('pi-1', rigFile('lab-sfu-02'));
    await first.waitLine(/worker pi-1 ready/);
    const samePi = worker('pi-1b', rigFile('lab-sfu-02'));
    expect(await samePi.exited).toBe(3);
    expect(samePi.stderr()).toMatch(new RegExp(`rig lab-sfu-02 is locked by pid ${first.pid} on ${hostname()}`));
    // Another Pi: its own state directory, the same Redis.
    const otherPi = worker('pi-2', rigFile('lab-sfu-02'), redis.labFile({ state: mkdtempSync(join(tmpdir(), 'hilrig-pi2-')) }));
    expect(await otherPi.exited).toBe(3);
    expect(otherPi.stderr()).toMatch(new RegExp(`rig lab-sfu-02 is owned by worker pi-1 on ${hostname()} \\(pid ${first.pid}\\)`));
    first.sigint();
    expect(await first.exited).toBe(0);
  });

  test('job data naming a path is refused without touching the rig; a rig leased by hand makes the job wait, never run', async () => {
    const w = worker('pi-3', rigFile('lab-sfu-03'));
    await w.waitLine(/worker pi-3 ready/);
    // The worker's first scheduled health check drives the rig; what follows is counted after it.
    await w.waitLine(/health check \(scheduled/);
    const before = eventCount('lab-sfu-03');
    const q = queueOf('lab-sfu-03');
    const bad = await q.add('x', { kind: 'suite', suite: '../../etc/passwd', rig: 'lab-sfu-03', runId: 'r', by: 'mallory', enqueuedAt: 1 });
    await w.waitLine(new RegExp(`job ${bad.id} refused: job data: suite: expected a name`));
    await waitFor('the bad job failed', async () => (await stateOf('lab-sfu-03', bad.id!)) === 'failed');
    await q.close();
    expect(eventCount('lab-sfu-03')).toBe(before);
    const audit = await client.xrange(auditKey(lab.redis.prefix), '-', '+');
    expect(audit.map(([, f]) => f.join(' ')).join('\n')).toMatch(/refuse.*lab-sfu-03/);

    // Someone holds the rig by hand: the job waits for the lease, then runs.
    const leases = new RigLeases(client, lab);
    const held = await leases.acquire('lab-sfu-03', { workerId: 'alice', host: 'bench', pid: 1 });
    if (!isLease(held)) throw new Error('lease not granted');
    // Alice keeps her lease alive as long as she needs the rig.
    const own = mkdtempSync(join(tmpdir(), 'hilrig-alice-'));
    const keeper = new LeaseKeeper(leases, held, join(own, 'fence.json'), join(own, 'events.jsonl'));
    keeper.start();
    const { queued } = await enqueue('lab-sfu', 'lab-sfu-03');
    await w.waitLine(new RegExp(`job ${queued[0]!.id.replace(/\./g, '\\.')} waits \\d+ ms: lease held by alice \\(bench pid 1\\)`));
    expect(eventCount('lab-sfu-03')).toBe(before);
    keeper.stop();
    await leases.release(held);
    await w.waitLine(/job \S+ done: passed/);
    // The line comes before BullMQ's bookkeeping (the lease is released first).
    await waitFor('the job completed', async () => (await stateOf('lab-sfu-03', queued[0]!.id)) === 'completed');
    w.sigint();
    expect(await w.exited).toBe(0);
  });

  test('a worker cut off from Redis longer than its lease stops driving the rig; the job comes back as a new attempt', async () => {
    const proxy: TcpProxy = await startProxy(redis.port);
    try {
      const w = worker('pi-4', rigFile('lab-mcuboot-02'), redis.labFile({ redis: { port: proxy.port } }));
      await w.waitLine(/worker pi-4 ready/);
      const { queued, runId } = await enqueue('lab-mcuboot', 'lab-mcuboot-02');
      const token = tokenOf(await w.waitLine(new RegExp(`job ${esc(queued[0]!.id)} leased: token \\d+`)));
      await waitFor('the job driving its rig', () => drivenBy('lab-mcuboot-02', token), 120_000);
      const cutAt = Date.now();
      proxy.cut('blackhole');
      await w.waitLine(/job \S+: lease lost/, { safetyMs: 60_000 });
      // Past the lease, not one action more under the lost token (its fence file lapsed).
      const lastAllowed = cutAt + lab.lease.ttlMs;
      await waitFor('the lease to be over', () => Date.now() > lastAllowed + 500);
      const before = readRigEvents(eventLog('lab-mcuboot-02')).filter((e) => e.token === token);
      expect(before.length).toBeGreaterThan(0);
      // (but the fence's own safe state when the run noticed the loss: power off is always allowed)
      expect(before.filter((e) => e.at > lastAllowed && e.action !== 'safe-state (lease lost)')).toEqual([]);
      proxy.heal();
      await waitFor('the job completed', async () => (await stateOf('lab-mcuboot-02', queued[0]!.id)) === 'completed', 5 * 60_000);
      const events = readRigEvents(eventLog('lab-mcuboot-02'));
      expect(events.filter((e) => e.token === token && e.at > lastAllowed && e.action !== 'safe-state (lease lost)')).toEqual([]);
      expect(findDoubleBooking(events)).toEqual([]);
      const metas = await fetchResults(client, lab, mkdtempSync(join(tmpdir(), 'hilrig-res-')), { runId });
      const mine = metas.filter((m) => m.jobId === queued[0]!.id).sort((a, b) => a.attempt - b.attempt);
      expect(mine.at(-1)).toMatchObject({ outcome: 'passed' });
      expect(mine.at(-1)!.attempt).toBeGreaterThanOrEqual(2);
      expect(mine.slice(0, -1).every((m) => m.outcome === 'interrupted')).toBe(true);
      w.sigint();
      expect(await w.exited).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  test('a job whose attempt published its outcome before its worker died (or Redis went away) is completed, never run again', async () => {
    const rig = 'lab-stm32-03';
    // Queued as hil enqueue queues it (the rig has no worker yet: enqueue would refuse it).
    const add = async (id: string) => {
      const q = queueOf(rig);
      try {
        await q.add('lab-stm32', { kind: 'suite', suite: 'lab-stm32', rig, runId: '20261207T000000Z-test', by: 'test', enqueuedAt: Date.now() }, { jobId: id });
      } finally {
        await q.close();
      }
      return id;
    };
    const id = await add(`20261207T000000Z-test.lab-stm32.${rig}`);
    // What a worker leaves when it dies between publishing a passed run and telling the queue: the
    // attempt counter, the phase, and the mark published with the results (one transaction).
    const phaseId = `${rigQueueName(rig)}.${id}`;
    const p = lab.redis.prefix;
    await client.set(phaseKey(p, `${phaseId}.attempt`), '1');
    await client.set(phaseKey(p, phaseId), 'publishing');
    await client.set(phaseKey(p, `${phaseId}.published`), JSON.stringify({ attempt: 1, outcome: 'passed', summary: '2/2 cuts safe' }));
    const w = worker('pi-6', rigFile(rig));
    await w.waitLine(new RegExp(`job ${esc(id)} was finished by attempt 1 \\(passed, its results published\\): completed without running it again`));
    await waitFor('the job completed', async () => (await stateOf(rig, id)) === 'completed', 60_000);
    expect(w.lines.join('\n')).not.toMatch(new RegExp(`job ${esc(id)} (leased|running)`));
    expect(await client.get(phaseKey(p, `${phaseId}.attempt`))).toBe('1');
    expect(await client.get(phaseKey(p, phaseId))).toBe('done');
    // An attempt that published `interrupted` is run again (a new attempt, the rig health-checked first).
    const again = `20261207T000001Z-test.lab-stm32.${rig}`;
    const againId = `${rigQueueName(rig)}.${again}`;
    await client.set(phaseKey(p, `${againId}.attempt`), '1');
    await client.set(phaseKey(p, againId), 'interrupted');
    await client.set(phaseKey(p, `${againId}.published`), JSON.stringify({ attempt: 1, outcome: 'interrupted', summary: 'lease lost' }));
    await add(again);
    await w.waitLine(new RegExp(`job ${esc(again)} leased: token \\d+, attempt 2`));
    w.sigint();
    await w.exited;
  });

  test('Ctrl-C mid-job: the run is interrupted (reported), the rig left safe, the lease released, the job stays queued', async () => {
    const w = worker('pi-5', rigFile('lab-stm32-02'));
    await w.waitLine(/worker pi-5 ready/);
    const { queued, runId } = await enqueue('lab-stm32', 'lab-stm32-02');
    const token = tokenOf(await w.waitLine(new RegExp(`job ${esc(queued[0]!.id)} leased: token \\d+`)));
    await waitFor('the job driving its rig', () => drivenBy('lab-stm32-02', token), 120_000);
    w.sigint();
    expect(await w.exited).toBe(0);
    expect(w.lines.join('\n')).toMatch(/job \S+ interrupted \(attempt 1\): the worker was stopped/);
    expect(await client.exists(leaseKey(lab.redis.prefix, 'lab-stm32-02'))).toBe(0);
    expect(['delayed', 'wait', 'waiting']).toContain(await stateOf('lab-stm32-02', queued[0]!.id));
    const events = readRigEvents(eventLog('lab-stm32-02')).filter((e) => e.token === token);
    expect(events.at(-1)!.action).toMatch(/^(power\.off|safe)$/);
    const metas = await fetchResults(client, lab, mkdtempSync(join(tmpdir(), 'hilrig-res-')), { runId });
    expect(metas.map((m) => [m.jobId, m.outcome, m.attempt])).toEqual([[queued[0]!.id, 'interrupted', 1]]);
  });
});
