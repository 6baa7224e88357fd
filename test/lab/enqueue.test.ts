/**
 * `hil enqueue` against a real redis-server: the rigs workers registered, matched by name; suites
 * to rigs of their scheme; strict job data; schedulers with --every; bad input refused with the
 * option named, before anything is queued.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, type RedisProc } from './redis-server.js';
import { HIL, LAB_RIGS, makeLabWorkdir } from './helpers/lab-workdir.js';
import { loadRig } from '../../src/config/index.js';
import { claimRigs, type OwnerHeartbeat } from '../../src/lab/owner.js';
import { queuePrefix } from '../../src/lab/keys.js';
import { rigQueueName } from '../../src/lab/queues.js';
import { parseJob } from '../../src/lab/jobs.js';
import type { LabConfig } from '../../src/lab/config.js';

let redis: RedisProc;
let lab: LabConfig;
let labFile: string;
let workdir: string;
let client: Redis;
let claim: OwnerHeartbeat;

const RIGS = ['lab-sfu-01', 'lab-sfu-02', 'lab-stm32-01', 'lab-mcuboot-01'];

beforeAll(async () => {
  redis = await startRedis();
  lab = redis.lab();
  labFile = redis.labFile();
  workdir = makeLabWorkdir();
  client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
  // What a worker does at start: its rigs registered, with their scheme, in Redis.
  claim = await claimRigs(client, lab, 'pi-e', await Promise.all(RIGS.map((r) => loadRig(join(LAB_RIGS, `${r}.yaml`)))));
});

afterAll(async () => {
  await claim?.stop();
  client?.disconnect();
  await redis?.stop();
});

/** Asynchronous: this process keeps the rigs' owner keys alive meanwhile (a blocked loop would let them lapse). */
function hil(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HIL, 'enqueue', ...args, '--lab', labFile], { cwd: workdir, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

function queue(rig: string): Queue {
  return new Queue(rigQueueName(rig), { connection: client, prefix: queuePrefix(lab.redis.prefix) });
}

describe('hil enqueue', () => {
  test('nightly: one job per registered rig matching GLOB, each suite on the rigs of its scheme, data that parseJob accepts', async () => {
    const r = await hil('nightly', '--rigs', 'lab-s*', '--priority', '3', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; campaign: string; queued: { rig: string; suite: string; id: string }[] };
    expect(out.campaign).toBe('nightly');
    expect(out.runId).toMatch(/^\d{8}T\d{6}Z-nightly$/);
    expect(out.queued.map((q) => `${q.suite}@${q.rig}`).sort()).toEqual(['lab-sfu@lab-sfu-01', 'lab-sfu@lab-sfu-02', 'lab-stm32@lab-stm32-01']);
    for (const q of out.queued) {
      const qq = queue(q.rig);
      const job = await qq.getJob(q.id);
      await qq.close();
      expect(job?.opts.priority).toBe(3);
      expect(parseJob(job!.data)).toMatchObject({ kind: 'suite', suite: q.suite, rig: q.rig, campaign: 'nightly', runId: out.runId });
    }
  });

  test('a suite on a rig of another scheme is skipped with the reason; nothing queued is exit 2', async () => {
    const r = await hil('lab-sfu', '--rigs', 'lab-stm32-01');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/skipped lab-sfu on lab-stm32-01: the suite is for sfu-ab, the rig is stm32-dualbank/);
  });

  test('images by sha256 go into the job; --every installs a scheduler per rig instead of a job', async () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const r = await hil('lab-mcuboot', '--rigs', 'lab-mcuboot-*', '--from', a, '--to', b.toUpperCase(), '--every', '0 2 * * *');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^scheduled lab-mcuboot on lab-mcuboot-01: lab-mcuboot\.lab-mcuboot$/m);
    const q = queue('lab-mcuboot-01');
    const schedulers = await q.getJobSchedulers();
    await q.close();
    expect(schedulers).toEqual([expect.objectContaining({ key: 'lab-mcuboot.lab-mcuboot', pattern: '0 2 * * *' })]);
    expect(parseJob(schedulers[0]!.template!.data)).toMatchObject({ images: { from: a, to: b }, runId: 'lab-mcuboot-every' });
  });

  test.each([
    [['../suites/lab-sfu.yaml', '--rigs', '*'], /expected nightly, signoff or a suite name \(suites\/NAME\.yaml\), not a path/],
    [['no-such-suite', '--rigs', '*'], /suite no-such-suite: no suites\/no-such-suite\.yaml/],
    [['lab-sfu', '--rigs', 'nothing-*'], /--rigs nothing-\*: matches none of the rigs the lab's workers registered/],
    [['lab-sfu'], /--rigs is required/],
    [['lab-sfu', '--rigs', '*', '--from', 'a'.repeat(64)], /--from and --to go together/],
    [['lab-sfu', '--rigs', '*', '--from', 'firmware/app-v1.bin', '--to', 'b'.repeat(64)], /--from firmware\/app-v1\.bin: expected a sha256/],
    [['lab-sfu', '--rigs', '*', '--priority', '0'], /--priority: expected an integer >= 1/],
    [['lab-sfu', '--rigs', '*', '--every', 'nightly'], /--every "nightly": expected a cron pattern/],
    [['lab-sfu', '--rigs', '*', '--every', '10'], /--every 10: at least 1000 ms/],
  ])('refuses %j', async (args, message) => {
    const r = await hil(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
