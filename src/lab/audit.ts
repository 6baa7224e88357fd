/**
 * The lab's audit log: who freed a lease by hand, who resumed a paused rig, which rig a health
 * check took out of rotation and why. A Redis stream (auditKey), so every Pi and every operator's
 * laptop appends to one log, in order, and `hil lab status` or `redis-cli XREVRANGE` reads it.
 */
import { hostname, userInfo } from 'node:os';
import type { Redis } from 'ioredis';
import type { LabConfig } from './config.js';
import { auditKey } from './keys.js';

/** Actions the lab records (others may add their own words; these are the ones it writes itself). */
export const AUDIT_ACTIONS = ['release', 'resume', 'pause', 'refuse', 'lease-lost', 'interrupted', 'health'] as const;

export interface AuditInput {
  /** Who: an operator (`user@host`), a worker id, or `health` for the automatic checks. */
  by: string;
  action: string;
  rig?: string;
  detail?: string;
}

export interface AuditEntry extends Required<Omit<AuditInput, 'rig' | 'detail'>> {
  /** The stream entry's id (`ms-seq`): the order Redis gave it. */
  id: string;
  /** Epoch ms on the machine that wrote it. */
  at: number;
  /** The machine that wrote it. */
  host: string;
  rig?: string;
  detail?: string;
}

/**
 * The log stays bounded without anyone trimming it: the newest entries are what an operator reads,
 * and a stream that grew forever would be the one key that fills a `noeviction` Redis.
 */
export const AUDIT_MAX_ENTRIES = 10_000;

/** Who is typing, for entries an operator causes (`hil lab release`): `user@host`. */
export function operator(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): the environment's name stands.
  }
  return `${user}@${hostname()}`;
}

/** Appends one entry; returns its stream id. */
export async function audit(redis: Redis, lab: LabConfig, entry: AuditInput, at = Date.now()): Promise<string> {
  const fields = ['at', String(at), 'by', entry.by, 'host', hostname(), 'action', entry.action, 'rig', entry.rig ?? '', 'detail', entry.detail ?? ''];
  const id = await redis.xadd(auditKey(lab.redis.prefix), 'MAXLEN', '~', String(AUDIT_MAX_ENTRIES), '*', ...fields);
  return id!;
}

/** The newest entries first (at most `count`), only one rig's when `rig` is given. */
export async function readAudit(redis: Redis, lab: LabConfig, opts: { count?: number; rig?: string } = {}): Promise<AuditEntry[]> {
  const count = opts.count ?? 100;
  const out: AuditEntry[] = [];
  let end = '+';
  // A rig filter reads in pages until it has `count` of that rig's entries or the stream ends.
  for (;;) {
    const page = await redis.xrevrange(auditKey(lab.redis.prefix), end, '-', 'COUNT', String(Math.max(count, 100)));
    for (const [id, flat] of page) {
      if (id === end) continue;
      const entry = toEntry(id, flat);
      if (opts.rig === undefined || entry.rig === opts.rig) out.push(entry);
      if (out.length >= count) return out;
    }
    if (page.length === 0 || (page.length === 1 && page[0]![0] === end)) return out;
    end = page.at(-1)![0];
  }
}

function toEntry(id: string, flat: string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return {
    id,
    at: Number(f.at),
    by: f.by ?? '',
    host: f.host ?? '',
    action: f.action ?? '',
    ...(f.rig && { rig: f.rig }),
    ...(f.detail && { detail: f.detail }),
  };
}
