/**
 * Keeps a lease alive while a job runs: renews every lab.lease.renewMs, rewrites the rig's fence
 * file after each renewal, and says `'lost'` (once, with the reason and the host time it judged so) the moment the lease cannot
 * be trusted any more: a renewal refused, or validUntil reached without Redis's answer. validUntil
 * only ever moves on Redis's word; a network error is retried until then, not believed.
 * On loss the fence file's validUntil is set to 0, so fenced processes stop at their next action
 * even when the lease was taken away (by hand) long before it would have run out.
 */
import { EventEmitter } from 'node:events';
import { LeaseLostError, readFenceFile, writeFenceFile } from '../rig/fence.js';
import type { Lease, RigLeases } from './lease.js';

export interface LeaseKeeperEvents {
  lost: [reason: string, at: number];
  renewed: [validUntil: number];
}

export class LeaseKeeper extends EventEmitter<LeaseKeeperEvents> {
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private lostReason: string | undefined;
  private lastError: string | undefined;

  constructor(
    readonly leases: RigLeases,
    readonly lease: Lease,
    readonly fenceFile: string,
    readonly eventLog: string,
  ) {
    super();
  }

  /** Why the lease was lost; undefined while it holds. */
  get lost(): string | undefined {
    return this.lostReason;
  }

  start(): void {
    if (this.running || this.lostReason !== undefined) return;
    this.running = true;
    this.writeFence();
    this.armExpiry();
    this.scheduleRenew(this.leases.lab.lease.renewMs);
  }

  /**
   * Stops renewing (the lease then runs out in Redis unless released) and closes the fence (its
   * validUntil 0: a straggling child process of the job cannot act on a lease nobody keeps; the
   * safe state is still allowed). Never emits after this.
   */
  stop(): void {
    const wasRunning = this.running;
    this.halt();
    if (wasRunning) this.closeFence();
  }

  private halt(): void {
    this.running = false;
    clearTimeout(this.renewTimer);
    clearTimeout(this.expiryTimer);
  }

  private closeFence(): void {
    const current = readFenceFile(this.fenceFile);
    if (current && current.rig === this.lease.rig && current.token === this.lease.token && current.validUntil !== 0) {
      try {
        writeFenceFile(this.fenceFile, { ...current, validUntil: 0 });
      } catch {
        // Superseded meanwhile: the newer token already stops this holder's actions.
      }
    }
  }

  private scheduleRenew(delayMs: number): void {
    if (!this.running) return;
    this.renewTimer = setTimeout(() => void this.renewOnce(), delayMs);
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const left = this.lease.validUntil - this.leases.now();
    this.expiryTimer = setTimeout(
      () => {
        // A timer runs on the monotonic clock and may fire a millisecond before the host clock
        // reaches validUntil: the lease has not run out until it has.
        if (this.lease.validUntil > this.leases.now()) return this.armExpiry();
        const why = this.lastError ? `: last renewal failed: ${this.lastError}` : '';
        this.loseLease(`lease token ${this.lease.token} ran out without a renewal from Redis${why}`);
      },
      Math.max(0, left),
    );
  }

  private async renewOnce(): Promise<void> {
    if (!this.running) return;
    let renewed: boolean;
    try {
      renewed = await this.leases.renew(this.lease);
    } catch (error) {
      // The lease may still be ours: try again soon, and let the expiry timer decide.
      this.lastError = (error as Error).message;
      this.scheduleRenew(Math.max(50, Math.floor(this.leases.lab.lease.renewMs / 4)));
      return;
    }
    if (!this.running) return;
    if (!renewed) {
      this.loseLease(`renewal of lease token ${this.lease.token} refused: the lease expired in Redis or was released by hand`);
      return;
    }
    this.lastError = undefined;
    if (this.lease.validUntil <= this.leases.now()) {
      this.loseLease(`lease token ${this.lease.token}: the renewal came back after the lease's validUntil`);
      return;
    }
    try {
      this.writeFence();
    } catch (error) {
      this.loseLease(error instanceof LeaseLostError ? error.message : `cannot write the fence file ${this.fenceFile}: ${(error as Error).message}`);
      return;
    }
    this.armExpiry();
    this.emit('renewed', this.lease.validUntil);
    this.scheduleRenew(this.leases.lab.lease.renewMs);
  }

  private writeFence(): void {
    writeFenceFile(this.fenceFile, { rig: this.lease.rig, token: this.lease.token, holder: this.lease.holder.workerId, validUntil: this.lease.validUntil, eventLog: this.eventLog });
  }

  private loseLease(reason: string): void {
    if (this.lostReason !== undefined || !this.running) return;
    this.lostReason = reason;
    this.halt();
    this.lease.validUntil = 0;
    this.closeFence();
    this.emit('lost', reason, this.leases.now());
  }
}
