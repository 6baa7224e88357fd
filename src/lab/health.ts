/**
 * Health checks (LAVA's idea, without the admin): a rig that fails one is taken out of rotation
 * (its queue paused, with the reason) and comes back by itself after N passing checks in a row.
 */
import type { Redis } from 'ioredis';
import type { RigConfig } from '../config/index.js';
import type { LabConfig } from './config.js';

export interface HealthCheckStep {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HealthResult {
  rig: string;
  ok: boolean;
  /** The first failed check's detail, when one failed. */
  reason?: string;
  checks: HealthCheckStep[];
  /** Epoch ms when the check finished. */
  at: number;
}

export type HealthState = 'ok' | 'failing' | 'paused' | 'unknown';

/** Safe state, power-cycle, banner within the boot timeout, probe answers. */
export async function runHealthCheck(config: RigConfig, lab: LabConfig, opts: { signal?: AbortSignal } = {}): Promise<HealthResult> {
  void config;
  void lab;
  void opts;
  throw new Error('runHealthCheck: not yet');
}

/** Failed: pause the rig's queue with the reason (audited). N consecutive passes: resume it. */
export async function recordHealth(redis: Redis, lab: LabConfig, result: HealthResult): Promise<{ paused: boolean; resumed: boolean }> {
  void redis;
  void lab;
  void result;
  throw new Error('recordHealth: not yet');
}

/** Queues one health check of `rig` (after a rig error, by hand); one waiting check per rig at most. */
export async function enqueueHealth(lab: LabConfig, rig: string, reason: string): Promise<string | undefined> {
  void lab;
  void rig;
  void reason;
  throw new Error('enqueueHealth: not yet');
}

/** A job scheduler on the rig's health queue: a check every lab.health.everyMs. */
export async function scheduleHealth(lab: LabConfig, rig: string): Promise<void> {
  void lab;
  void rig;
  throw new Error('scheduleHealth: not yet');
}
