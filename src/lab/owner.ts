/**
 * Which worker owns which rig (ownerKey, kept alive by a heartbeat). A second worker that claims a
 * rig a live worker owns refuses to start, loudly, naming the owner: two Pis wired to one board is
 * a misconfiguration nobody should find out about from a fried board.
 */
import type { Redis } from 'ioredis';
import type { RigConfig } from '../config/index.js';
import { RigError } from '../core/errors.js';
import type { LabConfig } from './config.js';

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
    super(`rig ${rig} is owned by worker ${owner.workerId} on ${owner.host} (pid ${owner.pid}) since ${new Date(owner.since).toISOString()}: refusing to drive it too`);
  }
}

/** Keeps the claimed rigs' owner keys alive; stop() deletes them (only if still ours). */
export interface OwnerHeartbeat {
  readonly rigs: readonly string[];
  stop(): Promise<void>;
}

export function claimRigs(_redis: Redis, _lab: LabConfig, _workerId: string, _rigs: readonly RigConfig[]): Promise<OwnerHeartbeat> {
  throw new Error('not yet');
}

export function readOwner(_redis: Redis, _lab: LabConfig, _rig: string): Promise<RigOwner | undefined> {
  throw new Error('not yet');
}
