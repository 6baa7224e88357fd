// Owner claims against a real redis-server: a second worker claiming a live worker's rig refuses,
// loudly, naming the owner (and the refusal is audited); the heartbeat keeps claims alive; a
// restarted worker (same id, same host, old process dead) takes its rigs back.
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { loadRig, type RigConfig } from '../../src/config/index.js';
import { RigError } from '../../src/core/errors.js';
import { readAudit } from '../../src/lab/audit.js';
import type { LabConfig } from '../../src/lab/config.js';
import { connectRedis } from '../../src/lab/connection.js';
import { ownerKey, rigsKey } from '../../src/lab/keys.js';
import { RigClaimedError, claimRigs, readOwner, type OwnerHeartbeat } from '../../src/lab/owner.js';
import { waitFor } from '../helpers/wait-for.js';
import { startRedis, type RedisProc } from './redis-server.js';

let server: RedisProc;
let lab: LabConfig;
let redis: Redis;
let rigs: RigConfig[];
const beats: OwnerHeartbeat[] = [];

beforeAll(async () => {
  server = await startRedis({ password: 'owner-pw' });
  lab = server.lab({ lease: { ttlMs: 1000, renewMs: 300 } });
  redis = await connectRedis(lab);
  const base = await loadRig('twin-rp2040-sfu');
  rigs = ['own-1', 'own-2', 'own-3'].map((name) => ({ ...base, name }));
});

afterEach(async () => {
  for (const b of beats.splice(0)) await b.stop();
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

async function claim(workerId: string, which: RigConfig[]): Promise<OwnerHeartbeat> {
  const beat = await claimRigs(redis, lab, workerId, which);
  beats.push(beat);
  return beat;
}

test('a claim records the owner, registers the rig, and the heartbeat keeps it past its TTL', async () => {
  const beat = await claim('w1', rigs.slice(0, 2));
  expect(beat.rigs).toEqual(['own-1', 'own-2']);
  expect(await readOwner(redis, lab, 'own-1')).toMatchObject({ workerId: 'w1', host: hostname(), pid: process.pid, scheme: 'sfu-ab', target: 'rp2040', file: rigs[0]!.file });
  expect(await redis.smembers(rigsKey(lab.redis.prefix))).toEqual(expect.arrayContaining(['own-1', 'own-2']));
  const since = Date.now();
  await waitFor('three TTLs', async () => Date.now() > since + 3 * lab.lease.ttlMs && (await redis.pttl(ownerKey(lab.redis.prefix, 'own-1'))) > 0);
  expect(await readOwner(redis, lab, 'own-2')).toMatchObject({ workerId: 'w1' });
  await beat.stop();
  expect(await readOwner(redis, lab, 'own-1')).toBeUndefined();
});

test("a second worker claiming a live worker's rig refuses loudly, claims nothing, and the refusal is audited", async () => {
  await claim('w1', [rigs[1]!]);
  let error: unknown;
  try {
    await claim('w2', [rigs[0]!, rigs[1]!, rigs[2]!]);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RigClaimedError);
  expect(error).toBeInstanceOf(RigError);
  expect((error as RigClaimedError).owner).toMatchObject({ workerId: 'w1', host: hostname(), pid: process.pid });
  expect((error as Error).message).toMatch(new RegExp(`rig own-2 is owned by worker w1 on ${hostname()} \\(pid ${process.pid}\\) since .*: refusing to drive it too`));
  // All or nothing: own-1, claimed before the refusal, is free again; own-3 was never claimed.
  expect(await readOwner(redis, lab, 'own-1')).toBeUndefined();
  expect(await readOwner(redis, lab, 'own-3')).toBeUndefined();
  const [entry] = await readAudit(redis, lab, { rig: 'own-2', count: 1 });
  expect(entry).toMatchObject({ by: 'w2', action: 'refuse', rig: 'own-2' });
  expect(entry!.detail).toContain('owned by worker w1');
});

test('a claim the worker stopped renewing lapses, and another worker may then claim the rig', async () => {
  const first = await claim('w1', [rigs[2]!]);
  await first.stop();
  await claim('w2', [rigs[2]!]);
  expect(await readOwner(redis, lab, 'own-3')).toMatchObject({ workerId: 'w2' });
});

test('the same worker id on this host, its old process dead (restarted after kill -9), takes its rigs back', async () => {
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  const old = { workerId: 'w9', host: hostname(), pid: dead, since: 1, file: rigs[0]!.file, scheme: 'sfu-ab', target: 'rp2040' };
  await redis.set(ownerKey(lab.redis.prefix, 'own-1'), JSON.stringify(old), 'PX', 60000);
  await claim('w9', [rigs[0]!]);
  expect(await readOwner(redis, lab, 'own-1')).toMatchObject({ workerId: 'w9', pid: process.pid });
  // The same id with a live process, or on another host, is refused like anyone else.
  await redis.set(ownerKey(lab.redis.prefix, 'own-2'), JSON.stringify({ ...old, pid: process.ppid }), 'PX', 60000);
  await expect(claim('w9', [rigs[1]!])).rejects.toThrow(RigClaimedError);
  await redis.set(ownerKey(lab.redis.prefix, 'own-2'), JSON.stringify({ ...old, host: 'another-pi' }), 'PX', 60000);
  await expect(claim('w9', [rigs[1]!])).rejects.toThrow(/owned by worker w9 on another-pi/);
  await redis.del(ownerKey(lab.redis.prefix, 'own-2'));
});

test('a claim taken away (expired during an outage, then claimed by another) is reported lost', async () => {
  const beat = await claim('w1', [rigs[0]!]);
  const lost = new Promise<[string, string]>((resolve) => beat.once('lost', (rig, reason) => resolve([rig, reason])));
  await redis.set(ownerKey(lab.redis.prefix, 'own-1'), JSON.stringify({ workerId: 'w5', host: 'another-pi', pid: 1, since: 1, file: 'x', scheme: 'sfu-ab', target: 'rp2040' }), 'PX', 60000);
  expect(await lost).toEqual(['own-1', 'the owner key expired or another worker took the rig']);
  // Stopping does not delete another worker's claim.
  await beat.stop();
  expect(await readOwner(redis, lab, 'own-1')).toMatchObject({ workerId: 'w5' });
  await redis.del(ownerKey(lab.redis.prefix, 'own-1'));
});
