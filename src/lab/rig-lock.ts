/**
 * A per-rig lock file on this host (<state>/locks/<rig>.lock, created O_EXCL): a second worker on
 * the same Pi is refused before it talks to Redis at all. A dead process's lock is taken over
 * (a worker killed with -9 leaves its lock behind; systemd restarts it).
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
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
    super(`rig ${rig} is locked by pid ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()} (${file}): another worker on this host drives it`);
  }
}

export interface RigFileLock {
  readonly rig: string;
  readonly file: string;
  /** Set when a dead process's lock was taken over. */
  readonly tookOver?: RigLockInfo;
  release(): void;
}

export function lockFilePath(stateDir: string, rig: string): string {
  return join(stateDir, 'locks', `${rig}.lock`);
}

/** Whether a process with this pid exists on this host (a lock's or a claim's holder). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When this process started (epoch ms): a lock naming our pid from before then is a reused pid's. */
const STARTED = Date.now() - process.uptime() * 1000;

function isLive(holder: RigLockInfo, host: string): boolean {
  if (holder.host !== host) return true;
  if (holder.pid === process.pid) return holder.since >= STARTED - 1000;
  return isAlive(holder.pid);
}

function sameInfo(a: RigLockInfo | undefined, b: RigLockInfo | undefined): boolean {
  return a?.pid === b?.pid && a?.since === b?.since && a?.host === b?.host;
}

function readInfo(file: string): RigLockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as RigLockInfo;
    return Number.isSafeInteger(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the rig's lock file or throws RigBusyError naming the live holder. A lock of a dead pid on
 * this host (or an unreadable one: a crash between create and write) is replaced, and said so in
 * `tookOver`. Lock files are per host (the state directory is local), so a lock naming another
 * host is someone copying state around: treated as held.
 */
export function lockRigFile(stateDir: string, rig: string): RigFileLock {
  const file = lockFilePath(stateDir, rig);
  mkdirSync(join(stateDir, 'locks'), { recursive: true });
  const me: RigLockInfo = { pid: process.pid, host: hostname(), since: Date.now() };
  let tookOver: RigLockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new RigError(`rig ${rig}: cannot create the lock file ${file}: ${(error as Error).message}`);
      const holder = readInfo(file);
      if (holder && isLive(holder, me.host)) throw new RigBusyError(rig, holder, file);
      // Stale: move it aside atomically, then make sure what was moved is the stale lock we looked
      // at and not a live one another process created meanwhile (two workers taking over at once).
      const aside = `${file}.stale.${process.pid}`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // someone else moved it first: look again
      }
      const moved = readInfo(aside);
      if (holder !== undefined && !sameInfo(moved, holder) && moved && isLive(moved, me.host)) {
        try {
          linkSync(aside, file);
        } catch {
          // A third lock exists now; it stands either way.
        }
        unlinkSync(aside);
        throw new RigBusyError(rig, moved, file);
      }
      unlinkSync(aside);
      tookOver = holder ?? { pid: -1, host: me.host, since: 0 };
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    let released = false;
    return {
      rig,
      file,
      ...(tookOver && { tookOver }),
      release() {
        if (released) return;
        released = true;
        // Only our own lock: after a takeover by another process, theirs stays.
        if (readInfo(file)?.pid === process.pid) unlinkSync(file);
      },
    };
  }
  throw new RigError(`rig ${rig}: could not take the lock file ${file} (it kept changing hands)`);
}

/** For tests and tools: writes a lock as if `info`'s process held it. */
export function writeLockFile(stateDir: string, rig: string, info: RigLockInfo): void {
  mkdirSync(join(stateDir, 'locks'), { recursive: true });
  writeFileSync(lockFilePath(stateDir, rig), JSON.stringify(info));
}
