// The lease keeper against a real redis-server: it keeps a lease alive past its TTL, survives a
// Redis restart shorter than the lease, and says 'lost' when Redis refuses (force release) or
// cannot be reached (a partition through the TCP proxy) — after which the fenced rig stops before
// its next action, and the next holder drives it with no double booking in the rig's event log.
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { loadRig } from '../../src/config/index.js';
import type { LabConfig } from '../../src/lab/config.js';
import { connectRedis } from '../../src/lab/connection.js';
import { findDoubleBooking, formatOverlap, readRigEvents } from '../../src/lab/exclusive-check.js';
import { LeaseKeeper } from '../../src/lab/lease-keeper.js';
import { RigLeases, isLease, type Lease } from '../../src/lab/lease.js';
import { LeaseLostError, fenceRig, readFenceFile } from '../../src/rig/fence.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { waitFor } from '../helpers/wait-for.js';
import { startRedis, type RedisProc } from './redis-server.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';

const RIG = 'twin-rp2040-sfu';
let server: RedisProc;
let lab: LabConfig;
const clients: Redis[] = [];
const keepers: LeaseKeeper[] = [];
const rigs: Rig[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  server = await startRedis({ password: 'keeper-pw', appendonly: true });
  lab = server.lab({ lease: { ttlMs: 1500, renewMs: 400 } });
});

afterEach(async () => {
  for (const k of keepers.splice(0)) k.stop();
  for (const r of rigs.splice(0)) await r.close().catch(() => undefined);
  for (const c of clients.splice(0)) c.disconnect();
  for (const p of proxies.splice(0)) await p.close();
});

afterAll(async () => {
  await server.stop();
});

async function client(config = lab): Promise<RigLeases> {
  const redis = await connectRedis(config);
  clients.push(redis);
  return new RigLeases(redis, config);
}

function paths(rig: string): { fenceFile: string; eventLog: string } {
  return { fenceFile: join(lab.state, 'fence', `${rig}.json`), eventLog: join(lab.state, 'events', `${rig}.jsonl`) };
}

async function lease(leases: RigLeases, rig: string, workerId: string): Promise<Lease> {
  const seen = readFenceFile(paths(rig).fenceFile)?.token ?? 0;
  const got = await waitFor(`the lease of ${rig} for ${workerId}`, async () => {
    const answer = await leases.acquire(rig, { workerId, host: hostname(), pid: process.pid }, seen);
    return isLease(answer) ? answer : undefined;
  });
  return got;
}

function keep(leases: RigLeases, l: Lease): LeaseKeeper {
  const { fenceFile, eventLog } = paths(l.rig);
  const keeper = new LeaseKeeper(leases, l, fenceFile, eventLog);
  keepers.push(keeper);
  keeper.start();
  return keeper;
}

async function fenced(rigName: string): Promise<Rig> {
  const config = await loadRig(RIG);
  const rig = fenceRig(await openRig({ ...config, name: rigName }), paths(rigName).fenceFile);
  rigs.push(rig);
  return rig;
}

test('renewals keep the lease and the fence file alive well past the TTL', async () => {
  const leases = await client();
  const l = await lease(leases, 'keep-1', 'w1');
  const keeper = keep(leases, l);
  const start = readFenceFile(paths('keep-1').fenceFile)!.validUntil;
  let renewals = 0;
  keeper.on('renewed', () => renewals++);
  await waitFor('three TTLs of renewals', () => renewals >= Math.ceil((3 * lab.lease.ttlMs) / lab.lease.renewMs));
  expect(keeper.lost).toBeUndefined();
  expect(readFenceFile(paths('keep-1').fenceFile)!.validUntil).toBeGreaterThan(start + 2 * lab.lease.ttlMs);
  expect(await leases.current('keep-1')).toMatchObject({ token: l.token });
  keeper.stop();
  expect(await leases.release(l)).toBe(true);
});

test('a force release is noticed at the next renewal: lost, and the fence closes at once', async () => {
  const leases = await client();
  const l = await lease(leases, 'keep-2', 'w1');
  const keeper = keep(leases, l);
  const rig = await fenced('keep-2');
  await rig.power.on();
  const lost = once(keeper, 'lost');
  await leases.forceRelease('keep-2', 'test@here');
  const [reason] = (await lost) as [string];
  expect(reason).toMatch(/renewal of lease token \d+ refused: the lease expired in Redis or was released by hand/);
  expect(readFenceFile(paths('keep-2').fenceFile)!.validUntil).toBe(0);
  await expect(rig.power.cycle(10)).rejects.toThrow(LeaseLostError);
  expect(rig.power.state).toBe('off');
});

test.each(['blackhole', 'reset'] as const)('partitioned from Redis (%s) longer than the lease: the holder stops before its next action; the next holder is the only one driving', async (mode) => {
  const rigName = `keep-part-${mode}`;
  const proxy = await startProxy(server.port);
  proxies.push(proxy);
  const viaProxy = lab;
  const cutOff = await client({ ...viaProxy, redis: { ...viaProxy.redis, port: proxy.port } });
  const direct = await client();
  const old = await lease(cutOff, rigName, 'w-old');
  const keeper = keep(cutOff, old);
  const rig = await fenced(rigName);
  await rig.power.on();
  await rig.power.cycle(10);

  proxy.cut(mode);
  const trusted = old.validUntil;
  const [reason, lostAt] = (await once(keeper, 'lost')) as [string, number];
  // Not before the lease could have run out, and not on a failed request alone: when validUntil
  // passes without Redis's answer (the keeper never extends it by itself).
  expect(reason).toMatch(/ran out without a renewal from Redis/);
  // An order of events, not a speed: the keeper judged the loss no earlier than the lease's own end.
  expect(lostAt).toBeGreaterThanOrEqual(trusted);
  expect(old.validUntil).toBe(0);
  await expect(rig.power.cycle(10)).rejects.toThrow(/lease lost .*: stopped before power\.cycle/);
  expect(rig.power.state).toBe('off');

  // Redis lets the lease expire by itself; the next holder gets a larger token and drives the rig.
  const next = await lease(direct, rigName, 'w-next');
  expect(next.token).toBeGreaterThan(old.token);
  keep(direct, next);
  const rig2 = await fenced(rigName);
  await rig2.power.on();
  await rig2.reset();
  // The partitioned holder keeps trying, and keeps being refused, even after the partition heals.
  await expect(rig.reset()).rejects.toThrow(LeaseLostError);
  proxy.heal();
  await expect(rig.power.on()).rejects.toThrow(LeaseLostError);
  await rig2.power.off();

  const events = readRigEvents(paths(rigName).eventLog);
  expect(findDoubleBooking(events).map(formatOverlap)).toEqual([]);
  expect(events.map((e) => [e.token, e.action])).toEqual([
    [old.token, 'power.on'],
    [old.token, 'power.cycle'],
    [old.token, 'safe-state (lease lost)'],
    [next.token, 'power.on'],
    [next.token, 'reset'],
    [next.token, 'power.off'],
  ]);
});

test('a Redis restart shorter than the lease is ridden out: no loss, renewals resume', async () => {
  const leases = await client(server.lab({ lease: { ttlMs: 4000, renewMs: 500 } }));
  const l = await lease(leases, 'keep-3', 'w1');
  const keeper = keep(leases, l);
  await once(keeper, 'renewed');
  await server.kill9();
  await server.restart();
  let renewed = 0;
  keeper.on('renewed', () => renewed++);
  await waitFor('a renewal after the restart', () => renewed > 0);
  expect(keeper.lost).toBeUndefined();
  expect(await leases.current('keep-3')).toMatchObject({ token: l.token });
});

test('a Redis restart WITHOUT appendonly loses the lease: the holder is told, and tokens still only grow (the fence file is the floor)', async () => {
  const volatile = await startRedis({ password: 'no-aof' });
  try {
    const config = volatile.lab({ lease: { ttlMs: 4000, renewMs: 500 }, state: lab.state });
    const redis = await connectRedis(config);
    clients.push(redis);
    const leases = new RigLeases(redis, config);
    const old = await lease(leases, 'keep-4', 'w-old');
    const keeper = keep(leases, old);
    const rig = await fenced('keep-4');
    await rig.power.on();
    const lost = once(keeper, 'lost');
    await volatile.kill9();
    await volatile.restart();
    const [reason] = (await lost) as [string];
    expect(reason).toMatch(/refused/);
    // Redis counts from 1 again; the host's fence file says it has seen old.token.
    const next = await lease(leases, 'keep-4', 'w-next');
    expect(next.token).toBe(old.token + 1);
    await expect(rig.power.off()).rejects.toThrow(LeaseLostError);
  } finally {
    await volatile.stop();
  }
});

test('stopping the keeper closes the fence: nothing acts on a lease nobody keeps, the safe state still happens', async () => {
  const leases = await client();
  const l = await lease(leases, 'keep-5', 'w1');
  const keeper = keep(leases, l);
  const rig = await fenced('keep-5');
  await rig.power.on();
  keeper.stop();
  expect(readFenceFile(paths('keep-5').fenceFile)).toMatchObject({ token: l.token, validUntil: 0 });
  await expect(rig.reset()).rejects.toThrow(LeaseLostError);
  expect(rig.power.state).toBe('off');
  await leases.release(l);
});
