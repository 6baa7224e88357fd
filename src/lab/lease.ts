/**
 * Rig leases in Redis: who may drive a rig right now. A lease is a key with a TTL (it expires on
 * its own when its holder dies or is cut off) and a fencing token (INCR of the rig's fence
 * counter, so a later holder always has a larger token than any earlier one).
 */
import type { Redis } from 'ioredis';
import type { LabConfig } from './config.js';

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
  /** Epoch ms on this host's clock: never later than Redis's expiry of the key. */
  validUntil: number;
}

/** What acquire answers when someone else holds the rig. */
export interface LeaseHeld {
  heldBy: LeaseHolder;
  token: number;
  expiresInMs: number;
}

export function isLease(value: Lease | LeaseHeld): value is Lease {
  return 'validUntil' in value;
}

export class RigLeases {
  constructor(
    readonly redis: Redis,
    readonly lab: LabConfig,
  ) {}

  acquire(_rig: string, _holder: LeaseHolder): Promise<Lease | LeaseHeld> {
    throw new Error('not yet');
  }

  /** false = lost. On success validUntil counts from when the request was sent. */
  renew(_lease: Lease): Promise<boolean> {
    throw new Error('not yet');
  }

  release(_lease: Lease): Promise<boolean> {
    throw new Error('not yet');
  }

  /** Frees a rig whoever holds it; written to the audit stream. */
  forceRelease(_rig: string, _by: string): Promise<{ holder: LeaseHolder; token: number } | undefined> {
    throw new Error('not yet');
  }

  current(_rig: string): Promise<{ holder: LeaseHolder; token: number; expiresInMs: number } | undefined> {
    throw new Error('not yet');
  }
}
