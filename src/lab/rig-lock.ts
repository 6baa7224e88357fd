/**
 * A per-rig lock file on this host (<state>/locks/<rig>.lock, created O_EXCL): a second worker on
 * the same Pi is refused before it talks to Redis at all. A dead process's lock is taken over.
 */
import { RigError } from '../core/errors.js';

export interface RigLockInfo {
  pid: number;
  host: string;
  since: number;
}

export class RigBusyError extends RigError {
  constructor(
    readonly rig: string,
    readonly holder: RigLockInfo,
    readonly file: string,
  ) {
    super(`rig ${rig} is locked by pid ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()} (${file})`);
  }
}

export interface RigFileLock {
  readonly rig: string;
  readonly file: string;
  /** Set when a dead process's lock was taken over. */
  readonly tookOver?: RigLockInfo;
  release(): void;
}

export function lockRigFile(_stateDir: string, _rig: string): RigFileLock {
  throw new Error('not yet');
}
