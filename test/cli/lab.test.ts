// `hil lab status|release|resume` as an operator runs them (node bin/hil.js, a lab.yaml naming a
// real redis-server): the status table and --json, --watch printing again when a rig's health
// changes and ending on Ctrl-C with 0, release and resume written to the audit log with who and
// where, and bad input (an unknown rig, a stray argument, an unreachable Redis) refused with exit 2.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { loadRig, type RigConfig } from '../../src/config/index.js';
import { readAudit } from '../../src/lab/audit.js';
import type { LabConfig } from '../../src/lab/config.js';
import { readHealth, recordHealth, resumeRig, runHealthCheck } from '../../src/lab/health.js';
import { queuePrefix } from '../../src/lab/keys.js';
import { isLease, RigLeases } from '../../src/lab/lease.js';
import { claimRigs, type OwnerHeartbeat } from '../../src/lab/owner.js';
import { healthQueueName, rigQueueName } from '../../src/lab/queues.js';
import { startRedis, type RedisProc } from '../lab/redis-server.js';
import { waitForOutput } from '../helpers/wait-for.js';
import { ROOT, hil } from './hil.js';

const SFU = 'twin-rp2040-sfu';
const MCUBOOT = 'twin-nrf52840-mcuboot';
const ME = `${userInfo().username}@${hostname()}`;
let server: RedisProc;
let redis: Redis;
let lab: LabConfig;
let labFile: string;
let owner: OwnerHeartbeat;
let mcuboot: RigConfig;

beforeAll(async () => {
  server = await startRedis();
  const leases = { ttlMs: 600_000, renewMs: 100_000 };
  lab = server.lab({ lease: leases });
  labFile = server.labFile({ lease: leases });
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true, maxRetriesPerRequest: null });
  await redis.connect();
  mcuboot = await loadRig(join(ROOT, `rigs/${MCUBOOT}.yaml`));
  owner = await claimRigs(redis, lab, 'w1', [await loadRig(join(ROOT, `rigs/${SFU}.yaml`)), mcuboot]);
});

afterAll(async () => {
  await owner?.stop();
  redis?.disconnect();
  await server?.stop();
});

/** A failed health check (a boot timeout no boot can meet), recorded: the rig's queue pauses. */
async function pauseByHealth(): Promise<string> {
  const failed = await runHealthCheck(mcuboot, { ...lab, health: { ...lab.health, bootTimeoutMs: 1 } });
  await recordHealth(redis, lab, failed);
  return failed.reason!;
}

describe('hil lab status', () => {
  it('prints a table of the registered rigs that fits COLUMNS', async () => {
    const r = await hil(['lab', 'status', '--lab', labFile], { env: { COLUMNS: '100' } });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('2 rigs: 2 with a worker, 0 leased, 0 paused, 0 jobs waiting');
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['RIG', 'WORKER', 'LEASE', 'QUEUE w/a/d', 'HEALTH', 'LAST']);
    expect(lines[2]).toMatch(new RegExp(`^${MCUBOOT}\\s+w1@\\S+\\s+free\\s+0/0/0\\s+unknown\\s+-$`));
    expect(lines[3]).toMatch(new RegExp(`^${SFU}\\s+`));
    for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(100);
  });

  it('--json: every rig with worker, lease (holder, token, expiry), queue, health, and the audit entries', async () => {
    const lease = await new RigLeases(redis, lab).acquire(SFU, { workerId: 'w1', host: 'pi-3', pid: process.pid, jobId: '7' });
    expect(isLease(lease)).toBe(true);
    const reason = await pauseByHealth();
    const r = await hil(['lab', 'status', '--json', '--lab', labFile]);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { redis: string; rigs: Record<string, unknown>[]; audit: Record<string, unknown>[] };
    expect(doc.redis).toBe(`redis 127.0.0.1:${server.port}`);
    expect(doc.rigs.map((x) => x.rig)).toEqual([MCUBOOT, SFU]);
    expect(doc.rigs[0]).toMatchObject({ worker: { id: 'w1', scheme: 'mcuboot-swap' }, queue: { paused: true }, health: { state: 'paused', reason } });
    expect(doc.rigs[1]).toMatchObject({ lease: { workerId: 'w1', host: 'pi-3', jobId: '7', token: (lease as { token: number }).token } });
    expect(doc.audit[0]).toMatchObject({ by: 'health', action: 'pause', rig: MCUBOOT, detail: reason });
  });

  it('--watch --json prints a line per change (a rig paused by a failed check) and ends on Ctrl-C with exit 0', async () => {
    // Resumed by hand first, so the watch starts from a running rig.
    await resumeRig(redis, lab, MCUBOOT, 'test');
    const child = execa(process.execPath, [join(ROOT, 'bin/hil.js'), 'lab', 'status', '--watch', '--json', '--interval-ms', '100', '--lab', labFile], {
      reject: false,
      stdin: 'ignore',
      buffer: false,
      env: { NO_COLOR: '1' },
    });
    try {
      let seen = await waitForOutput(child.stdout!, /\n/);
      const states = () =>
        seen
          .split('\n')
          .slice(0, -1)
          .map((l) => (JSON.parse(l) as { rigs: { rig: string; health: { state: string } }[] }).rigs.find((x) => x.rig === MCUBOOT)!.health.state);
      expect(states()).toEqual(['unknown']);
      await pauseByHealth();
      seen = await waitForOutput(child.stdout!, /\n[^\n]*"state":"paused"[^\n]*\n/, undefined, seen);
      expect(states().at(-1)).toBe('paused');
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a stray argument and an unreachable Redis (exit 2, naming where)', async () => {
    const stray = await hil(['lab', 'status', SFU, '--lab', labFile]);
    expect(stray.exitCode).toBe(2);
    expect(stray.stderr).toContain('hil lab status takes no rig names');
    const gone = server.labFile({ redis: { port: 1 } });
    const r = await hil(['lab', 'status', '--lab', gone]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('redis 127.0.0.1:1');
  });
});

describe('hil lab release', () => {
  it("frees the rig's lease and logs who and where", async () => {
    const leases = new RigLeases(redis, lab);
    if (!(await leases.current(SFU))) await leases.acquire(SFU, { workerId: 'w2', host: 'pi-4', pid: 4242 });
    const held = (await leases.current(SFU))!;
    const r = await hil(['lab', 'release', SFU, '--lab', labFile]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `${SFU}: released the lease of ${held.holder.workerId} on ${held.holder.host} (pid ${held.holder.pid}${held.holder.jobId ? `, job ${held.holder.jobId}` : ''}, token ${held.token}); logged as ${ME}`,
    );
    expect(await leases.current(SFU)).toBeUndefined();
    const [entry] = await readAudit(redis, lab, { rig: SFU, count: 1 });
    expect(entry).toMatchObject({ by: ME, host: hostname(), action: 'release', rig: SFU });
    // Nothing held: nothing to free, still exit 0.
    const again = await hil(['lab', 'release', SFU, '--lab', labFile, '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ ok: true, rig: SFU, by: ME, released: null });
  });

  it('refuses a rig no worker registered, naming the close one', async () => {
    const r = await hil(['lab', 'release', 'twin-rp2040-sfx', '--lab', labFile]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`rig twin-rp2040-sfx is not in the lab at redis 127.0.0.1:${server.port}: no worker ever registered it (did you mean ${SFU}?)`);
    const none = await hil(['lab', 'release', '--lab', labFile]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('expected one rig name, got none');
  });
});

describe('hil lab resume and hil lab check', () => {
  it('resumes a paused rig, resets its health and logs who, where and why it was paused', async () => {
    const reason = await pauseByHealth();
    const queue = new Queue(rigQueueName(MCUBOOT), { connection: redis, prefix: queuePrefix(lab.redis.prefix) });
    expect(await queue.isPaused()).toBe(true);
    const r = await hil(['lab', 'resume', MCUBOOT, '--lab', labFile]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${MCUBOOT}: queue resumed (was paused for: ${reason}); health reset to unknown, its next check decides; logged as ${ME}`);
    expect(await queue.isPaused()).toBe(false);
    expect(await readHealth(redis, lab, MCUBOOT)).toMatchObject({ state: 'unknown', passes: 0, failures: 0 });
    const [entry] = await readAudit(redis, lab, { rig: MCUBOOT, count: 1 });
    expect(entry).toMatchObject({ by: ME, host: hostname(), action: 'resume', rig: MCUBOOT, detail: `was paused for: ${reason}` });
    await queue.close();
  });

  it("hil lab check queues one health check on the rig's health queue, by who asked", async () => {
    const r = await hil(['lab', 'check', MCUBOOT, '--lab', labFile, '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { queue: string; jobId: string; by: string };
    expect(doc).toMatchObject({ ok: true, rig: MCUBOOT, by: ME, queue: healthQueueName(MCUBOOT) });
    const queue = new Queue(healthQueueName(MCUBOOT), { connection: redis, prefix: queuePrefix(lab.redis.prefix) });
    const job = await queue.getJob(doc.jobId);
    expect(job!.data).toMatchObject({ kind: 'health', rig: MCUBOOT, by: ME, reason: `asked for by ${ME}` });
    await queue.close();
  });

  it('--help shows usage and examples', async () => {
    const r = await hil(['lab', 'resume', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('usage: hil lab resume RIG [--json] [--lab FILE]');
    expect(r.stdout).toContain('hil lab resume twin-lab-03');
  });
});
