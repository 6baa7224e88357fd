// Health checks on twin rigs against a real redis-server: a healthy twin passes every named check;
// a twin whose banner never comes (no probe, so its blank flash holds no app) and a boot timeout
// too short for any boot fail with the reason; a failure pauses the rig's BullMQ queue (a real
// Worker gets the rig's job only after the resume) and is audited; N passing checks in a row bring
// it back by themselves; enqueueHealth keeps one check per rig; scheduleHealth is one job scheduler.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadRig, type RigConfig } from '../../src/config/index.js';
import { readAudit } from '../../src/lab/audit.js';
import type { LabConfig } from '../../src/lab/config.js';
import { enqueueHealth, recheckDelayMs, recordHealth, readHealth, resumeRig, runHealthCheck, scheduleHealth, type HealthResult } from '../../src/lab/health.js';
import { healthSchedulerId, jobReason } from '../../src/lab/health-queue.js';
import { queuePrefix } from '../../src/lab/keys.js';
import { healthQueueName, rigQueueName } from '../../src/lab/queues.js';
import { readRigEvents } from '../../src/lab/exclusive-check.js';
import { LeaseLostError, writeFenceFile } from '../../src/rig/fence.js';
import { startRedis, type RedisProc } from './redis-server.js';

const ROOT = join(import.meta.dirname, '../..');
let server: RedisProc;
let redis: Redis;
let lab: LabConfig;
let tmp: string;
let healthy: RigConfig;
let noProbe: RigConfig;

beforeAll(async () => {
  server = await startRedis();
  lab = server.lab({ health: { passesToResume: 2, everyMs: 60_000 } });
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true, maxRetriesPerRequest: null });
  await redis.connect();
  tmp = mkdtempSync(join(tmpdir(), 'hilrig-health-'));
  healthy = await loadRig(join(ROOT, 'rigs/twin-rp2040-sfu.yaml'));
  // The same twin without a debug probe: the check cannot program the known-good image, and a
  // fresh twin's flash is blank, so its bootloader waits and no banner ever comes.
  const text = readFileSync(join(ROOT, 'rigs/twin-rp2040-sfu.yaml'), 'utf8')
    .replace(/^name: .*$/m, 'name: lab-twin-no-probe')
    .replace(/^probe:\n( {2}.*\n)+/m, '');
  expect(text).not.toMatch(/^probe:/m);
  writeFileSync(join(tmp, 'lab-twin-no-probe.yaml'), text);
  noProbe = await loadRig(join(tmp, 'lab-twin-no-probe.yaml'));
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function queue(name: string): Queue {
  return new Queue(name, { connection: redis, prefix: queuePrefix(lab.redis.prefix) });
}

describe('runHealthCheck', () => {
  it('passes a healthy twin: safe state, known-good image by probe, power-cycle, banner, probe', async () => {
    const r = await runHealthCheck(healthy, lab);
    expect(r.ok).toBe(true);
    expect(r.reason).toBeUndefined();
    expect(r.rig).toBe('twin-rp2040-sfu');
    expect(r.checks.map((c) => c.name)).toEqual(['open', 'safe-state', 'image', 'power-cycle', 'banner', 'probe']);
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(r.checks.find((c) => c.name === 'image')!.detail).toBe('programmed app-v1.page2bin 1.0.0 through the probe');
    expect(r.checks.find((c) => c.name === 'banner')!.detail).toMatch(/^1\.0\.0 running from slot A after \d+ ms$/);
    expect(r.checks.find((c) => c.name === 'probe')!.detail).toBe('read 256 of 256 B of slotA at 0x10010000');
  });

  it('fails a twin whose banner never comes, naming the check and what the console showed', async () => {
    const r = await runHealthCheck(noProbe, lab);
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === 'image')).toEqual({ name: 'image', ok: true, detail: 'no probe: the board keeps the image it holds, any banner counts' });
    expect(r.checks.at(-1)!.name).toBe('banner');
    expect(r.reason).toMatch(/^banner: no banner within 6000 ms: a device that spoke but ran no app; last line: ".+"$/);
  });

  it('fails when the boot timeout (lab.yaml health.bootTimeoutMs) is shorter than any boot', async () => {
    const r = await runHealthCheck(healthy, { ...lab, health: { ...lab.health, bootTimeoutMs: 1 } });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^banner: no banner within 1 ms: /);
  });

  it("fenced by the job's fence file: every action in the rig's event log with the job's token", async () => {
    const eventLog = join(tmp, 'events', 'twin-rp2040-sfu.jsonl');
    const fenceFile = join(tmp, 'fence-ok.json');
    writeFenceFile(fenceFile, { rig: 'twin-rp2040-sfu', token: 5, holder: 'w1', validUntil: Date.now() + 600_000, eventLog });
    const r = await runHealthCheck(healthy, lab, { fenceFile });
    expect(r.ok).toBe(true);
    const events = readRigEvents(eventLog);
    expect(new Set(events.map((e) => e.token))).toEqual(new Set([5]));
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['safe', 'power.cycle']));
    expect(events.some((e) => e.action.startsWith('probe.'))).toBe(true);
  });

  it('rejects with LeaseLostError when the lease behind the fence has run out: not a verdict on the rig', async () => {
    const fenceFile = join(tmp, 'fence-expired.json');
    writeFenceFile(fenceFile, { rig: 'twin-rp2040-sfu', token: 6, holder: 'w1', validUntil: Date.now() - 1, eventLog: join(tmp, 'events', 'expired.jsonl') });
    await expect(runHealthCheck(healthy, lab, { fenceFile })).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('rejects a known-good image it cannot read (a ConfigError naming the file) before touching the rig', async () => {
    const missing = join(tmp, 'no-such-image.page2bin');
    await expect(runHealthCheck(healthy, lab, { image: missing })).rejects.toThrow(/no-such-image\.page2bin: cannot read image/);
  });

  it('rejects on abort: a stopped check is not a verdict on the rig', async () => {
    const ac = new AbortController();
    ac.abort(new Error('worker stopping'));
    await expect(runHealthCheck(healthy, lab, { signal: ac.signal })).rejects.toThrow('worker stopping');
  });
});

describe('recordHealth', () => {
  it('pauses the rig queue on a failure (audited, reason kept) and resumes it after passesToResume passes', async () => {
    const rig = 'twin-rp2040-sfu';
    const failed = await runHealthCheck(healthy, { ...lab, health: { ...lab.health, bootTimeoutMs: 1 } });
    expect(await recordHealth(redis, lab, failed)).toEqual({ paused: true, resumed: false });
    const rigQueue = queue(rigQueueName(rig));
    expect(await rigQueue.isPaused()).toBe(true);
    expect(await readHealth(redis, lab, rig)).toMatchObject({ state: 'paused', reason: failed.reason, passes: 0, failures: 1 });
    // A second failure keeps it paused and counts, without a second 'pause' entry in the audit.
    expect(await recordHealth(redis, lab, { ...failed, at: Date.now() })).toEqual({ paused: true, resumed: false });
    expect((await readHealth(redis, lab, rig)).failures).toBe(2);
    // Each failure asked for a recheck in a minute (the schedule here is a minute too): one is pending, not two.
    const healthQueue = queue(healthQueueName(rig));
    const rechecks = await healthQueue.getJobs(['delayed']);
    expect(rechecks).toHaveLength(1);
    expect(rechecks[0]!.opts.delay).toBe(60_000);
    expect(rechecks[0]!.data).toMatchObject({ kind: 'health', rig, by: 'health', reason: jobReason(`recheck of a paused rig: ${failed.reason}`) });
    await healthQueue.close();
    const pauses = (await readAudit(redis, lab, { rig })).filter((e) => e.action === 'pause');
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatchObject({ by: 'health', action: 'pause', rig, detail: failed.reason });

    // A real worker on the rig's queue: the job waits while the queue is paused.
    let resumed = false;
    const ran: boolean[] = [];
    const worker = new Worker(rigQueueName(rig), async () => void ran.push(resumed), {
      connection: { host: server.host, port: server.port, maxRetriesPerRequest: null },
      prefix: queuePrefix(lab.redis.prefix),
    });
    const done = new Promise((resolve) => worker.once('completed', resolve));
    await rigQueue.add('suite', { kind: 'suite' });
    await worker.waitUntilReady();
    expect(await rigQueue.getJobCounts('waiting', 'active')).toEqual({ waiting: 1, active: 0 });

    const pass1 = await runHealthCheck(healthy, lab);
    expect(await recordHealth(redis, lab, pass1)).toEqual({ paused: true, resumed: false });
    expect(await rigQueue.isPaused()).toBe(true);
    expect(await readHealth(redis, lab, rig)).toMatchObject({ state: 'paused', passes: 1, failures: 0 });
    resumed = true;
    const pass2 = await runHealthCheck(healthy, lab);
    expect(await recordHealth(redis, lab, pass2)).toEqual({ paused: false, resumed: true });
    expect(await rigQueue.isPaused()).toBe(false);
    await done;
    expect(ran).toEqual([true]);
    expect(await readHealth(redis, lab, rig)).toEqual({ state: 'ok', passes: 2, failures: 0, at: pass2.at });
    const [last] = await readAudit(redis, lab, { rig, count: 1 });
    expect(last).toMatchObject({ by: 'health', action: 'resume', rig });
    expect(last!.detail).toContain('2 passing health checks in a row (paused for: banner: no banner within 1 ms');
    await worker.close();
    await rigQueue.close();
  });

  it('a pass on a healthy rig leaves its queue alone', async () => {
    const result: HealthResult = await runHealthCheck(healthy, lab);
    const r = { ...result, rig: 'lab-twin-always-ok' };
    expect(await recordHealth(redis, lab, r)).toEqual({ paused: false, resumed: false });
    expect(await queue(rigQueueName('lab-twin-always-ok')).isPaused()).toBe(false);
    expect(await readHealth(redis, lab, 'lab-twin-always-ok')).toMatchObject({ state: 'ok', passes: 1 });
  });

  it('resumeRig (hil lab resume) resumes by hand, resets health to unknown and audits who', async () => {
    const failed = await runHealthCheck(noProbe, lab);
    await recordHealth(redis, lab, failed);
    expect(await queue(rigQueueName('lab-twin-no-probe')).isPaused()).toBe(true);
    const r = await resumeRig(redis, lab, 'lab-twin-no-probe', 'alice@bench-laptop');
    expect(r.wasPaused).toBe(true);
    expect(await queue(rigQueueName('lab-twin-no-probe')).isPaused()).toBe(false);
    expect(await readHealth(redis, lab, 'lab-twin-no-probe')).toMatchObject({ state: 'unknown', passes: 0, failures: 0 });
    const [entry] = await readAudit(redis, lab, { rig: 'lab-twin-no-probe', count: 1 });
    expect(entry).toMatchObject({ by: 'alice@bench-laptop', action: 'resume', detail: `was paused for: ${failed.reason}` });
  });
});

describe('enqueueHealth and scheduleHealth', () => {
  it('queues one check per rig at a time, its reason squeezed to one line', async () => {
    const rig = 'lab-twin-q';
    const id1 = await enqueueHealth(lab, rig, 'rig error: console\nport gone', { by: 'w1' });
    const id2 = await enqueueHealth(lab, rig, 'another rig error', { by: 'w1' });
    expect(id2).toBe(id1);
    const q = queue(healthQueueName(rig));
    const waiting = await q.getJobs(['waiting']);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.name).toBe('health');
    expect(waiting[0]!.data).toMatchObject({ kind: 'health', rig, reason: 'rig error: console port gone', by: 'w1' });
    await q.close();
  });

  it('recheckDelayMs: a minute while passing again, doubling per failure, never past the schedule', () => {
    const hourly = { ...lab, health: { ...lab.health, everyMs: 3_600_000 } };
    expect([1, 2, 3, 4, 10].map((failures) => recheckDelayMs(hourly, { passes: 0, failures }))).toEqual([60_000, 120_000, 240_000, 480_000, 3_600_000]);
    expect(recheckDelayMs(hourly, { passes: 1, failures: 0 })).toBe(60_000);
    expect(recheckDelayMs({ ...lab, health: { ...lab.health, everyMs: 10_000 } }, { passes: 0, failures: 1 })).toBe(10_000);
  });

  it('jobReason: control characters out, at most 200 characters', () => {
    expect(jobReason('a\tb\r\n\x07c')).toBe('a b c');
    expect(Array.from(jobReason('x'.repeat(500)))).toHaveLength(200);
    expect(jobReason(' \n ')).toBe('health check');
  });

  it('installs one job scheduler per rig, every lab.health.everyMs, replaced when installed again', async () => {
    const rig = 'lab-twin-s';
    await scheduleHealth(lab, rig);
    await scheduleHealth({ ...lab, health: { ...lab.health, everyMs: 120_000 } }, rig);
    const q = queue(healthQueueName(rig));
    const schedulers = await q.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: healthSchedulerId(rig), name: 'health', every: 120_000 });
    await q.close();
  });
});
