/**
 * Which worker owns which rig (ownerKey, kept alive by a heartbeat). A second worker that claims a
 * rig a live worker owns refuses to start, loudly, naming the owner: two Pis wired to one board is
 * a misconfiguration nobody should find out about from a fried board.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { RigConfig } from '../config/index.js';
import { RigError } from '../core/errors.js';
import { audit } from './audit.js';
import type { LabConfig } from './config.js';
import { ownerKey, rigsKey } from './keys.js';
import { isAlive } from './rig-lock.js';

export interface RigOwner {
  workerId: string;
  host: string;
  pid: number;
  since: number;
  /** The rig file on the owner's host. */
  file: string;
  scheme: string;
  target: string;
}

export class RigClaimedError extends RigError {
  constructor(
    readonly rig: string,
    readonly owner: RigOwner,
  ) {
    super(
      `rig ${rig} is owned by worker ${owner.workerId} on ${owner.host} (pid ${owner.pid}) since ${new Date(owner.since).toISOString()}: refusing to drive it too (stop that worker, or take ${rig} out of this one's --rigs)`,
    );
  }
}

/** Keeps the claimed rigs' owner keys alive; stop() deletes them (only if still ours). Emits 'lost' (rig, reason). */
export interface OwnerHeartbeat extends EventEmitter<{ lost: [rig: string, reason: string] }> {
  readonly rigs: readonly string[];
  stop(): Promise<void>;
}

// KEYS: owner. ARGV: owner JSON, ttl, the value it may replace ('' = only a free rig). -> {1} | {0, current}
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[3] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1}
`;

// KEYS: owner. ARGV: workerId, pid, ttl. -> 1 kept | 0 not ours any more
const KEEP = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local o = cjson.decode(cur)
if o.workerId ~= ARGV[1] or tonumber(o.pid) ~= tonumber(ARGV[2]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const DROP = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local o = cjson.decode(cur)
if o.workerId ~= ARGV[1] or tonumber(o.pid) ~= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

export async function readOwner(redis: Redis, lab: LabConfig, rig: string): Promise<RigOwner | undefined> {
  const text = await redis.get(ownerKey(lab.redis.prefix, rig));
  return text === null ? undefined : (JSON.parse(text) as RigOwner);
}

/**
 * Claims every rig or none: the first rig owned by another live worker throws RigClaimedError
 * (audited as `refuse`) and the rigs claimed before it are let go again. The same worker id on the
 * same host whose previous process is dead (a restart after kill -9) takes its rigs back. The
 * owner keys live lab.lease.ttlMs and are renewed every lab.lease.renewMs while the worker runs.
 */
export async function claimRigs(redis: Redis, lab: LabConfig, workerId: string, rigs: readonly RigConfig[]): Promise<OwnerHeartbeat> {
  const p = lab.redis.prefix;
  const host = hostname();
  const { ttlMs, renewMs } = lab.lease;
  const claimed: string[] = [];
  const dropAll = async (): Promise<void> => {
    for (const rig of claimed) await redis.eval(DROP, 1, ownerKey(p, rig), workerId, process.pid).catch(() => undefined);
  };
  for (const rig of rigs) {
    const owner: RigOwner = { workerId, host, pid: process.pid, since: Date.now(), file: rig.file, scheme: rig.scheme, target: rig.target };
    const key = ownerKey(p, rig.name);
    let answer = (await redis.eval(CLAIM, 1, key, JSON.stringify(owner), ttlMs, '')) as [number, string?];
    if (answer[0] !== 1) {
      const current = JSON.parse(answer[1]!) as RigOwner;
      // This worker restarted (kill -9, then systemd): the same id on this host, its old process dead.
      if (current.workerId === workerId && current.host === host && current.pid !== process.pid && !isAlive(current.pid)) {
        answer = (await redis.eval(CLAIM, 1, key, JSON.stringify(owner), ttlMs, answer[1]!)) as [number, string?];
      }
    }
    if (answer[0] !== 1) {
      const current = JSON.parse(answer[1]!) as RigOwner;
      await dropAll();
      await audit(redis, lab, { by: workerId, action: 'refuse', rig: rig.name, detail: `owned by worker ${current.workerId} on ${current.host} (pid ${current.pid})` }).catch(() => undefined);
      throw new RigClaimedError(rig.name, current);
    }
    claimed.push(rig.name);
  }
  if (rigs.length > 0) await redis.sadd(rigsKey(p), ...rigs.map((r) => r.name));

  const beat = new EventEmitter<{ lost: [rig: string, reason: string] }>() as OwnerHeartbeat;
  const live = new Set(claimed);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const keep = async (): Promise<void> => {
    for (const rig of [...live]) {
      try {
        const kept = (await redis.eval(KEEP, 1, ownerKey(p, rig), workerId, process.pid, ttlMs)) === 1;
        if (!kept && !stopped) {
          live.delete(rig);
          beat.emit('lost', rig, 'the owner key expired or another worker took the rig');
        }
      } catch {
        // A Redis outage: the key's TTL decides; the next beat tries again.
      }
    }
    if (!stopped) timer = setTimeout(() => void keep(), renewMs);
  };
  timer = setTimeout(() => void keep(), renewMs);
  Object.assign(beat, {
    rigs: claimed,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await dropAll();
    },
  });
  return beat;
}
