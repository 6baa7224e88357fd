/**
 * Results come home through Redis: each finished (or interrupted) job's Allure results travel as
 * one entry of the lab's results stream, size-capped, and `hil report --lab` drains them to disk.
 * Redis is already the one service every Pi reaches (leases, queues); a shared directory needs an
 * NFS mount on every Pi and an S3 store one more service with its own credentials.
 */
import type { Redis } from 'ioredis';
import type { LabConfig } from './config.js';

/** What a job was and how it ended: the stream entry's head, and the rig's last result (lastKey). */
export interface JobResultsMeta {
  runId: string;
  jobId: string;
  rig: string;
  host: string;
  workerId: string;
  /** The job's kind (`suite`, `signoff-cell`, `health`). */
  kind: string;
  suite?: string;
  campaign?: string;
  /** 1 for the first run of a job; a stalled job's re-run after its interrupted record is 2, … */
  attempt: number;
  startedAt: number;
  finishedAt: number;
  outcome: 'passed' | 'failed' | 'broken' | 'interrupted';
  summary: string;
}

export interface PublishedResults {
  /** Bytes of the stream entry (meta and files). */
  bytes: number;
  /** Files left out or replaced by a note, each with why. */
  dropped: string[];
}

/**
 * Sends one job's results (the Allure results folder, and the run's results.jsonl beside it when
 * there is one) as one stream entry, capped per lab.yaml `store.results`, and records the rig's
 * last result.
 */
export async function publishResults(redis: Redis, lab: LabConfig, meta: JobResultsMeta, allureResultsDir?: string): Promise<PublishedResults> {
  void redis;
  void lab;
  void meta;
  void allureResultsDir;
  throw new Error('publishResults: not yet');
}

/** Drains the results stream (every entry, or one run's) into `outDir/<runId>/jobs/…`; returns what it wrote. */
export async function fetchResults(redis: Redis, lab: LabConfig, outDir: string, opts?: { runId?: string; since?: string }): Promise<JobResultsMeta[]> {
  void redis;
  void lab;
  void outDir;
  void opts;
  throw new Error('fetchResults: not yet');
}

/** The rig's last job's meta (lastKey), if any. */
export async function lastResult(redis: Redis, lab: LabConfig, rig: string): Promise<JobResultsMeta | undefined> {
  void redis;
  void lab;
  void rig;
  throw new Error('lastResult: not yet');
}
