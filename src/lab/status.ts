/**
 * `hil lab status`: every registered rig with its worker, lease, queue, health and last result,
 * read from Redis alone (no worker is asked), as rows for --json or a table that fits a terminal.
 */
import type { Redis } from 'ioredis';
import type { LabConfig } from './config.js';

export interface RigStatus {
  rig: string;
  /** The worker that owns the rig now (its heartbeat is alive), if any. */
  worker?: { id: string; host: string; pid: number; since: number; scheme?: string; target?: string };
  /** Who holds the rig's lease, with its fencing token and when it expires (epoch ms). */
  lease?: { holder: string; host: string; pid: number; jobId?: string; token: number; expiresAt: number };
  queue: { waiting: number; active: number; delayed: number; paused: boolean };
  health: { state: 'ok' | 'failing' | 'paused' | 'unknown'; reason?: string; passes: number; failures: number; at?: number };
  /** The rig's last job (LREPORT's JobResultsMeta, as stored under lastKey). */
  last?: { outcome: string; summary: string; finishedAt: number; jobId: string; suite?: string };
}

export async function labStatus(redis: Redis, lab: LabConfig): Promise<RigStatus[]> {
  void redis;
  void lab;
  throw new Error('labStatus: not yet');
}

/** The rows as a table at most `width` columns wide. */
export function formatStatus(rows: RigStatus[], width: number, now = Date.now()): string {
  void rows;
  void width;
  void now;
  throw new Error('formatStatus: not yet');
}
