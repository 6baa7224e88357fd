/**
 * Keeps a lease alive while a job runs: renews every lab.lease.renewMs, rewrites the rig's fence
 * file after each renewal, and says `'lost'` (with the reason) the moment the lease cannot be
 * trusted any more: a renewal refused, or validUntil reached without Redis's answer.
 */
import { EventEmitter } from 'node:events';
import type { Lease, RigLeases } from './lease.js';

export class LeaseKeeper extends EventEmitter {
  constructor(
    readonly leases: RigLeases,
    readonly lease: Lease,
    readonly fenceFile: string,
    readonly eventLog: string,
  ) {
    super();
  }

  start(): void {
    throw new Error('not yet');
  }

  stop(): void {
    throw new Error('not yet');
  }
}
