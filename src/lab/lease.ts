/**
 * Rig leases in Redis: who may drive a rig right now. A lease is a key with a TTL (it expires on
 * its own when its holder dies or is cut off) and a fencing token (INCR of the rig's fence
 * counter, which never expires, so a later holder always has a larger token than any earlier one).
 * Every change is one Lua script: check-and-set is atomic in Redis, whatever the clients' timing.
 */
import type { Redis } from 'ioredis';
import { audit } from './audit.js';
import type { LabConfig } from './config.js';
import { fenceKey, leaseKey } from './keys.js';

export interface LeaseHolder {
  workerId: string;
  host: string;
  pid: number;
  jobId?: string;
}

export interface Lease {
  rig: string;
  token: number;
  holder: LeaseHolder;
  /**
   * Epoch ms on this host's clock: never later than Redis's expiry of the key (counted from when
   * the request was sent, less a margin for clock-rate drift). Updated by renew().
   */
  validUntil: number;
}

/** What acquire answers when someone else holds the rig. */
export interface LeaseHeld {
  heldBy: LeaseHolder;
  token: number;
  expiresInMs: number;
}

/** The lease key's JSON. */
export interface LeaseRecord {
  token: number;
  holder: LeaseHolder;
  /** Epoch ms (the acquiring host's clock). */
  since: number;
}

export function isLease(value: Lease | LeaseHeld): value is Lease {
  return 'validUntil' in value;
}

/**
 * Clocks on two hosts run at slightly different rates: the holder trusts its lease a little
 * less long than Redis keeps it (Redlock's drift factor, 1 %, plus 2 ms for timer granularity).
 */
export function driftMargin(ttlMs: number): number {
  return Math.ceil(ttlMs * 0.01) + 2;
}

// KEYS: lease, fence. ARGV: holder JSON, ttl ms, since, lowest acceptable token. -> {1, record} | {0, record, pttl}
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur, redis.call('PTTL', KEYS[1])} end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[4]) > last then redis.call('SET', KEYS[2], ARGV[4]) end
local token = redis.call('INCR', KEYS[2])
local rec = '{"token":' .. token .. ',"holder":' .. ARGV[1] .. ',"since":' .. ARGV[3] .. '}'
redis.call('SET', KEYS[1], rec, 'PX', ARGV[2])
return {1, rec}
`;

// KEYS: lease. ARGV: token, ttl ms. -> 1 renewed | 0 not ours (gone or another token)
const RENEW = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if tonumber(cjson.decode(cur).token) ~= tonumber(ARGV[1]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

// KEYS: lease. ARGV: token. -> 1 released | 0 not ours
const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if tonumber(cjson.decode(cur).token) ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

// KEYS: lease. -> record | false
const TAKE = `
local cur = redis.call('GET', KEYS[1])
if cur then redis.call('DEL', KEYS[1]) end
return cur
`;

// KEYS: lease. -> {record, pttl} | false
const PEEK = `
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
return {cur, redis.call('PTTL', KEYS[1])}
`;

function parseRecord(rig: string, text: string): LeaseRecord {
  const record = JSON.parse(text) as LeaseRecord;
  if (typeof record?.token !== 'number' || typeof record.holder?.workerId !== 'string') {
    throw new Error(`lease of rig ${rig}: unreadable record ${JSON.stringify(text.slice(0, 200))}`);
  }
  return record;
}

export class RigLeases {
  private readonly p: string;

  constructor(
    readonly redis: Redis,
    readonly lab: LabConfig,
    /** The host's clock a lease's validUntil is counted on (when each request was sent). */
    readonly now: () => number = Date.now,
  ) {
    this.p = lab.redis.prefix;
  }

  private get ttl(): number {
    return this.lab.lease.ttlMs;
  }

  /**
   * The lease, or who holds it (and for how much longer, by Redis's clock). `seenToken`: the
   * largest token this host has seen for the rig (its fence file's): the new token is larger
   * even if Redis lost its fence counter (restarted without AOF), so tokens stay monotonic.
   */
  async acquire(rig: string, holder: LeaseHolder, seenToken = 0): Promise<Lease | LeaseHeld> {
    const sentAt = this.now();
    const holderJson = JSON.stringify({ workerId: holder.workerId, host: holder.host, pid: holder.pid, ...(holder.jobId !== undefined && { jobId: holder.jobId }) });
    const answer = (await this.redis.eval(ACQUIRE, 2, leaseKey(this.p, rig), fenceKey(this.p, rig), holderJson, this.ttl, sentAt, Math.max(0, Math.floor(seenToken)))) as [number, string, number?];
    const record = parseRecord(rig, answer[1]);
    if (answer[0] === 1) return { rig, token: record.token, holder: record.holder, validUntil: sentAt + this.ttl - driftMargin(this.ttl) };
    return { heldBy: record.holder, token: record.token, expiresInMs: Math.max(0, answer[2] ?? 0) };
  }

  /**
   * true: renewed, lease.validUntil moved on (from when the request was SENT: the answer may come
   * late, the key's new expiry is counted from when Redis got it, which is later still).
   * false: lost (expired, released by hand, or someone else's now). Throws on a network error:
   * the lease may still be ours, and validUntil has not moved.
   */
  async renew(lease: Lease): Promise<boolean> {
    const sentAt = this.now();
    const ok = (await this.redis.eval(RENEW, 1, leaseKey(this.p, lease.rig), lease.token, this.ttl)) === 1;
    if (ok) lease.validUntil = Math.max(lease.validUntil, sentAt + this.ttl - driftMargin(this.ttl));
    return ok;
  }

  /** Frees the rig if the lease is still this one; false when it was not (expired or taken). */
  async release(lease: Lease): Promise<boolean> {
    const ok = (await this.redis.eval(RELEASE, 1, leaseKey(this.p, lease.rig), lease.token)) === 1;
    // Whatever Redis said, this holder must not act on the lease any more.
    lease.validUntil = 0;
    return ok;
  }

  /**
   * Frees a rig whoever holds it (`hil lab release RIG`), written to the audit stream with who did
   * it. The old holder learns at its next renewal (refused) and its fence stops it; the next
   * holder gets a larger token, so anything the old one still does is told apart in the event log.
   */
  async forceRelease(rig: string, by: string): Promise<{ holder: LeaseHolder; token: number } | undefined> {
    const text = (await this.redis.eval(TAKE, 1, leaseKey(this.p, rig))) as string | null;
    if (text === null) return undefined;
    const record = parseRecord(rig, text);
    const { workerId, host, pid, jobId } = record.holder;
    await audit(this.redis, this.lab, {
      by,
      action: 'release',
      rig,
      detail: `lease token ${record.token} of worker ${workerId} on ${host} (pid ${pid}${jobId !== undefined ? `, job ${jobId}` : ''}) freed by hand`,
    });
    return { holder: record.holder, token: record.token };
  }

  /** Who holds the rig now, with which token, for how much longer (Redis's PTTL); undefined: free. */
  async current(rig: string): Promise<{ holder: LeaseHolder; token: number; since: number; expiresInMs: number } | undefined> {
    const answer = (await this.redis.eval(PEEK, 1, leaseKey(this.p, rig))) as [string, number] | null;
    if (answer === null) return undefined;
    const record = parseRecord(rig, answer[0]);
    return { holder: record.holder, token: record.token, since: record.since, expiresInMs: Math.max(0, answer[1]) };
  }

  /** The last token handed out for the rig (0: never leased). */
  async lastToken(rig: string): Promise<number> {
    return Number((await this.redis.get(fenceKey(this.p, rig))) ?? 0);
  }
}
