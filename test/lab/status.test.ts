// `hil lab status`'s rows from a real redis-server, as workers, leases, health checks and results
// leave it: two twin rigs claimed by a worker, one leased by a job, the other paused by a failed
// health check with two jobs waiting; and the table: its columns, cut to fit any width.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadRig } from '../../src/config/index.js';
import type { LabConfig } from '../../src/lab/config.js';
import { recordHealth, runHealthCheck } from '../../src/lab/health.js';
import { queuePrefix } from '../../src/lab/keys.js';
import { isLease, RigLeases } from '../../src/lab/lease.js';
import { claimRigs, type OwnerHeartbeat } from '../../src/lab/owner.js';
import { rigQueueName } from '../../src/lab/queues.js';
import { publishResults } from '../../src/lab/results.js';
import { formatStatus, labStatus, type RigStatus } from '../../src/lab/status.js';
import { COLUMNS, fit, shortDuration } from '../../src/lab/status-table.js';
import { startRedis, type RedisProc } from './redis-server.js';

const ROOT = join(import.meta.dirname, '../..');
let server: RedisProc;
let redis: Redis;
let lab: LabConfig;
let owner: OwnerHeartbeat;
let rows: RigStatus[];
let pauseReason: string;
const SFU = 'twin-rp2040-sfu';
const MCUBOOT = 'twin-nrf52840-mcuboot';

beforeAll(async () => {
  server = await startRedis();
  // Long leases: the rows are read once, and nothing here renews.
  lab = server.lab({ lease: { ttlMs: 600_000, renewMs: 100_000 } });
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true, maxRetriesPerRequest: null });
  await redis.connect();
  const sfu = await loadRig(join(ROOT, `rigs/${SFU}.yaml`));
  const mcuboot = await loadRig(join(ROOT, `rigs/${MCUBOOT}.yaml`));
  owner = await claimRigs(redis, lab, 'w1', [sfu, mcuboot]);
  const lease = await new RigLeases(redis, lab).acquire(SFU, { workerId: 'w1', host: 'pi-3', pid: process.pid, jobId: '42' });
  expect(isLease(lease)).toBe(true);
  await publishResults(redis, lab, {
    runId: 'nightly-1',
    jobId: '41',
    rig: SFU,
    host: 'pi-3',
    workerId: 'w1',
    kind: 'suite',
    suite: 'brownout-sfu',
    attempt: 1,
    startedAt: Date.now() - 60_000,
    finishedAt: Date.now() - 30_000,
    outcome: 'passed',
    summary: '5 passed',
  });
  const queue = new Queue(rigQueueName(MCUBOOT), { connection: redis, prefix: queuePrefix(lab.redis.prefix) });
  await queue.add('suite', { n: 1 });
  await queue.add('suite', { n: 2 });
  await queue.close();
  const failed = await runHealthCheck(mcuboot, { ...lab, health: { ...lab.health, bootTimeoutMs: 1 } });
  pauseReason = failed.reason!;
  await recordHealth(redis, lab, failed);
  rows = await labStatus(redis, lab);
});

afterAll(async () => {
  await owner?.stop();
  redis?.disconnect();
  await server?.stop();
});

describe('labStatus', () => {
  it('has one row per registered rig, by name', () => {
    expect(rows.map((r) => r.rig)).toEqual([MCUBOOT, SFU]);
  });

  it('names the worker and host that own each rig', () => {
    for (const r of rows) expect(r.worker).toMatchObject({ id: 'w1', pid: process.pid });
    expect(rows.find((r) => r.rig === MCUBOOT)!.worker).toMatchObject({ scheme: 'mcuboot-swap', target: 'nrf52840' });
  });

  it('shows the lease holder, its fencing token and when it expires; a rig nobody leases is free', () => {
    const sfu = rows.find((r) => r.rig === SFU)!;
    expect(sfu.lease).toMatchObject({ workerId: 'w1', host: 'pi-3', jobId: '42', token: 1 });
    expect(sfu.lease!.expiresAt).toBeGreaterThan(Date.now());
    expect(rows.find((r) => r.rig === MCUBOOT)!.lease).toBeUndefined();
  });

  it('shows queue depth and a paused queue with the failed check as its health', () => {
    const m = rows.find((r) => r.rig === MCUBOOT)!;
    expect(m.queue).toEqual({ waiting: 2, active: 0, delayed: 0, paused: true });
    expect(m.health).toMatchObject({ state: 'paused', reason: pauseReason, passes: 0, failures: 1 });
    expect(pauseReason).toMatch(/^banner: no banner within 1 ms/);
    const s = rows.find((r) => r.rig === SFU)!;
    expect(s.queue).toEqual({ waiting: 0, active: 0, delayed: 0, paused: false });
    expect(s.health).toEqual({ state: 'unknown', passes: 0, failures: 0 });
  });

  it('shows the last result', () => {
    expect(rows.find((r) => r.rig === SFU)!.last).toMatchObject({ outcome: 'passed', summary: '5 passed', jobId: '41', suite: 'brownout-sfu' });
    expect(rows.find((r) => r.rig === MCUBOOT)!.last).toBeUndefined();
  });
});

describe('formatStatus', () => {
  const widths = (text: string) => text.split('\n').map((l) => Array.from(l).length);

  it('a wide terminal: a summary line, every column, every value whole', () => {
    const text = formatStatus(rows, 400);
    const [summary, head, ...lines] = text.split('\n');
    expect(summary).toBe('2 rigs: 2 with a worker, 1 leased, 1 paused, 2 jobs waiting');
    expect(head!.split(/\s{2,}/)).toEqual(COLUMNS.map((c) => c.head));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${MCUBOOT}\\s+w1@\\S+\\s+free\\s+2/0/0 paused\\s+paused: ${pauseReason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+-$`));
    expect(lines[1]).toMatch(new RegExp(`^${SFU}\\s+w1@\\S+\\s+w1 #1 \\d+m\\s+0/0/0\\s+unknown\\s+passed \\d+s ago brownout-sfu: 5 passed$`));
  });

  it.each([120, 80, 60, 40, 20])('never wider than the terminal (%i columns)', (width) => {
    for (const w of widths(formatStatus(rows, width))) expect(w).toBeLessThanOrEqual(width);
  });

  it('a 100-column terminal: every column kept, the health reason cut with …', () => {
    const [, head, paused] = formatStatus(rows, 100).split('\n');
    expect(head!.split(/\s{2,}/)).toEqual(COLUMNS.map((c) => c.head));
    expect(paused).toContain('paused: banner: no');
    expect(paused).toContain('…');
  });

  it('a narrower terminal leaves out the last result, then the worker and the lease; never the rig, queue and health', () => {
    const heads = (width: number) =>
      formatStatus(rows, width)
        .split('\n')[1]!
        .split(/\s{2,}/);
    expect(heads(80)).toEqual(['RIG', 'WORKER', 'LEASE', 'QUEUE w/a/d', 'HEALTH']);
    expect(heads(72)).toEqual(['RIG', 'LEASE', 'QUEUE w/a/d', 'HEALTH']);
    expect(heads(60)).toEqual(['RIG', 'QUEUE w/a/d', 'HEALTH']);
    expect(formatStatus(rows, 60).split('\n')[2]).toMatch(/^twin-nrf52840-mcuboot {2}2\/0\/0 paused {2}paused: banner: no ban…$/);
  });

  it('says what to do when no rig is registered', () => {
    expect(formatStatus([], 80)).toBe('no rigs registered: start `hil worker --rigs GLOB` on the Pis');
  });

  it('fit and shortDuration', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 3)).toBe('abc');
    expect([500, 12_000, 300_000, 7_200_000, 5 * 86_400_000].map(shortDuration)).toEqual(['500ms', '12s', '5m', '2h', '5d']);
  });
});
