// Rig leases against a real redis-server with AUTH: expiry on their own, no renewal after expiry,
// renewals that move the expiry forward (leases a test holds live 60 s: no assertion races a stall),
// monotonic fencing tokens (even across a Redis that lost its counter), force release audited,
// and leases kept across a Redis restart with appendonly.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { readAudit } from '../../src/lab/audit.js';
import type { LabConfig } from '../../src/lab/config.js';
import { connectRedis } from '../../src/lab/connection.js';
import { leaseKey } from '../../src/lab/keys.js';
import { RigLeases, driftMargin, isLease, type Lease, type LeaseHolder } from '../../src/lab/lease.js';
import { waitFor } from '../helpers/wait-for.js';
import { startRedis, type RedisProc } from './redis-server.js';

let server: RedisProc;
let lab: LabConfig;
let redis: Redis;
let leases: RigLeases;
/** Leases that outlive any stall of a busy machine: what a test asserts of a held lease never races its expiry. */
let longLab: LabConfig;
let longLeases: RigLeases;
const clients: Redis[] = [];

/**
 * The host clock the leases count on: a counter a second apart per reading, recording each
 * reading (`sent`: when each request went out), so validUntil is checked against the very
 * instant it was counted from without reading the machine's clock.
 */
const sent: number[] = [];
let clockAt = 1_800_000_000_000;
const hostClock = () => {
  clockAt += 1000;
  sent.push(clockAt);
  return clockAt;
};

const holder = (workerId: string, jobId?: string): LeaseHolder => ({ workerId, host: hostname(), pid: process.pid, ...(jobId && { jobId }) });

async function acquired(rig: string, who: LeaseHolder, on = leases): Promise<Lease> {
  const got = await on.acquire(rig, who);
  if (!isLease(got)) throw new Error(`expected the lease of ${rig}, held by ${got.heldBy.workerId}`);
  return got;
}

beforeAll(async () => {
  server = await startRedis({ password: 'lease-test-pw', appendonly: true });
  lab = server.lab({ lease: { ttlMs: 1000, renewMs: 300 } });
  redis = await connectRedis(lab);
  clients.push(redis);
  leases = new RigLeases(redis, lab, hostClock);
  longLab = server.lab({ lease: { ttlMs: 60000, renewMs: 20000 } });
  longLeases = new RigLeases(redis, longLab, hostClock);
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

test('one holder at a time; the other is told who holds it and for how long', async () => {
  const lease = await acquired('rig-a', holder('w1', 'job-1'), longLeases);
  expect(lease.token).toBe(1);
  // Counted from when the request was sent, less the drift margin (never from when Redis answered).
  expect(lease.validUntil).toBe(sent.at(-1)! + longLab.lease.ttlMs - driftMargin(longLab.lease.ttlMs));
  const other = await longLeases.acquire('rig-a', holder('w2'));
  expect(isLease(other)).toBe(false);
  if (isLease(other)) return;
  expect(other.heldBy).toEqual(holder('w1', 'job-1'));
  expect(other.token).toBe(1);
  expect(other.expiresInMs).toBeGreaterThan(0);
  expect(other.expiresInMs).toBeLessThanOrEqual(longLab.lease.ttlMs);
  expect(await longLeases.current('rig-a')).toMatchObject({ holder: holder('w1', 'job-1'), token: 1 });
  expect(await longLeases.release(lease)).toBe(true);
  expect(lease.validUntil).toBe(0);
  expect(await longLeases.current('rig-a')).toBeUndefined();
});

test('a lease nobody renews expires by itself; renewing it afterwards fails; the next holder gets a larger token', async () => {
  const lease = await acquired('rig-b', holder('w1'));
  await waitFor('the lease of rig-b to expire in Redis', async () => (await leases.current('rig-b')) === undefined);
  expect(await leases.renew(lease)).toBe(false);
  const next = await acquired('rig-b', holder('w2'));
  expect(next.token).toBeGreaterThan(lease.token);
  // The old holder can neither renew nor release the new holder's lease.
  expect(await leases.renew(lease)).toBe(false);
  expect(await leases.release(lease)).toBe(false);
  expect(await leases.current('rig-b')).toMatchObject({ token: next.token, holder: holder('w2') });
  await leases.release(next);
});

test('each renewal gives the key in Redis a whole TTL again, and moves validUntil with it', async () => {
  const lease = await acquired('rig-c', holder('w1'), longLeases);
  const first = lease.validUntil;
  const key = leaseKey(lab.redis.prefix, 'rig-c');
  const ttl = longLab.lease.ttlMs;
  for (let i = 0; i < 4; i++) {
    // Half the TTL taken away first: only a renewal gives it back (no wait, no timing).
    await redis.pexpire(key, ttl / 2);
    expect(await longLeases.renew(lease)).toBe(true);
    expect(lease.validUntil).toBe(sent.at(-1)! + ttl - driftMargin(ttl));
    const left = await redis.pttl(key);
    expect(left).toBeGreaterThan(ttl / 2);
    expect(left).toBeLessThanOrEqual(ttl);
  }
  expect(lease.validUntil).toBeGreaterThan(first);
  expect(await longLeases.current('rig-c')).toMatchObject({ token: lease.token });
  await longLeases.release(lease);
});

test('fencing tokens only grow, per rig, over many holders', async () => {
  const tokens: number[] = [];
  for (let i = 0; i < 20; i++) {
    const lease = await acquired('rig-d', holder(`w${i % 3}`));
    tokens.push(lease.token);
    await leases.release(lease);
  }
  expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
  expect(new Set(tokens).size).toBe(tokens.length);
  expect(await leases.lastToken('rig-d')).toBe(tokens.at(-1));
  // Another rig counts on its own.
  expect((await acquired('rig-d2', holder('w1'))).token).toBe(1);
});

test('contending acquirers: exactly one wins each round', async () => {
  const others = await Promise.all([connectRedis(lab), connectRedis(lab), connectRedis(lab)]);
  clients.push(...others);
  const many = others.map((c) => new RigLeases(c, lab));
  const seen = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const answers = await Promise.all(many.map((l, i) => l.acquire('rig-e', holder(`c${i}`))));
    const winners = answers.filter(isLease);
    expect(winners).toHaveLength(1);
    expect(seen.has(winners[0]!.token)).toBe(false);
    seen.add(winners[0]!.token);
    await leases.release(winners[0]!);
  }
});

test('a token the host has seen (its fence file) stays a floor: monotonic even if Redis lost its counter', async () => {
  const lease = await acquired('rig-f', holder('w1'));
  await leases.release(lease);
  const got = await leases.acquire('rig-f', holder('w1'), 41);
  expect(isLease(got) && got.token).toBe(42);
  if (isLease(got)) await leases.release(got);
});

test('force release frees a live lease, says whose it was, and is audited', async () => {
  const lease = await acquired('rig-g', holder('w1', 'job-9'), longLeases);
  const freed = await longLeases.forceRelease('rig-g', 'alice@desk');
  expect(freed).toEqual({ holder: holder('w1', 'job-9'), token: lease.token });
  expect(await longLeases.current('rig-g')).toBeUndefined();
  expect(await longLeases.renew(lease)).toBe(false);
  const [entry] = await readAudit(redis, lab, { rig: 'rig-g', count: 1 });
  expect(entry).toMatchObject({ by: 'alice@desk', action: 'release', rig: 'rig-g' });
  expect(entry!.detail).toContain(`lease token ${lease.token} of worker w1`);
  expect(entry!.detail).toContain('job job-9');
  // Nothing to free: nothing audited.
  expect(await longLeases.forceRelease('rig-g', 'alice@desk')).toBeUndefined();
  expect(await readAudit(redis, lab, { rig: 'rig-g' })).toHaveLength(1);
});

test('a Redis restart with appendonly keeps the lease, its TTL and the fence counter', async () => {
  const lease = await acquired('rig-h', holder('w1'), longLeases);
  await server.kill9();
  await server.restart();
  // The same client reconnects by itself; its first command may meet the reconnect.
  const held = await waitFor('the lease of rig-h after the restart', () => longLeases.current('rig-h').catch(() => undefined));
  expect(held).toMatchObject({ holder: holder('w1'), token: lease.token });
  expect(held.expiresInMs).toBeGreaterThan(0);
  expect(held.expiresInMs).toBeLessThanOrEqual(60000);
  expect(await longLeases.renew(lease)).toBe(true);
  await longLeases.release(lease);
  expect((await acquired('rig-h', holder('w2'), longLeases)).token).toBe(lease.token + 1);
  expect(await redis.pttl(leaseKey(lab.redis.prefix, 'rig-h'))).toBeGreaterThan(0);
});
