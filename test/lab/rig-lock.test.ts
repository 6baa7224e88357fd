// The per-rig lock file on this host: one holder; a live holder named in the refusal; a dead
// process's lock taken over; release only removes one's own lock.
import { beforeEach, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RigError } from '../../src/core/errors.js';
import { RigBusyError, lockFilePath, lockRigFile, writeLockFile } from '../../src/lab/rig-lock.js';

let state: string;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'hilrig-lock-'));
});

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('one lock per rig; the second is refused naming the holder', () => {
  const lock = lockRigFile(state, 'rig-1');
  expect(lock.file).toBe(join(state, 'locks', 'rig-1.lock'));
  expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
  expect(lock.tookOver).toBeUndefined();
  let error: unknown;
  try {
    lockRigFile(state, 'rig-1');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RigBusyError);
  expect(error).toBeInstanceOf(RigError);
  expect((error as Error).message).toMatch(new RegExp(`rig rig-1 is locked by pid ${process.pid} on ${hostname()} since .*another worker on this host drives it`));
  // Another rig is independent.
  lockRigFile(state, 'rig-2').release();
  lock.release();
  expect(existsSync(lock.file)).toBe(false);
  lockRigFile(state, 'rig-1').release();
});

test('a live process of another pid holds its lock', () => {
  writeLockFile(state, 'rig-1', { pid: process.ppid, host: hostname(), since: Date.now() });
  expect(() => lockRigFile(state, 'rig-1')).toThrow(new RegExp(`locked by pid ${process.ppid}`));
});

test("a dead process's lock (a worker killed with -9) is taken over, and said so", () => {
  const dead = deadPid();
  writeLockFile(state, 'rig-1', { pid: dead, host: hostname(), since: 1 });
  const lock = lockRigFile(state, 'rig-1');
  expect(lock.tookOver).toEqual({ pid: dead, host: hostname(), since: 1 });
  expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
  lock.release();
});

test('an unreadable lock (a crash between create and write) is taken over', () => {
  writeLockFile(state, 'rig-1', { pid: 1, host: hostname(), since: 1 });
  writeFileSync(lockFilePath(state, 'rig-1'), '');
  const lock = lockRigFile(state, 'rig-1');
  expect(lock.tookOver).toMatchObject({ pid: -1 });
  lock.release();
});

test('our own pid from before this process started is a reused pid: taken over', () => {
  writeLockFile(state, 'rig-1', { pid: process.pid, host: hostname(), since: Date.now() - 10 * 24 * 3600 * 1000 });
  const lock = lockRigFile(state, 'rig-1');
  expect(lock.tookOver).toMatchObject({ pid: process.pid });
  lock.release();
});

test("release leaves another process's lock alone", () => {
  const lock = lockRigFile(state, 'rig-1');
  writeLockFile(state, 'rig-1', { pid: process.ppid, host: hostname(), since: Date.now() });
  lock.release();
  expect(JSON.parse(readFileSync(lockFilePath(state, 'rig-1'), 'utf8')).pid).toBe(process.ppid);
});

test('a lock naming another host is held (state copied between Pis is not a free rig)', () => {
  writeLockFile(state, 'rig-1', { pid: 999999, host: 'another-pi', since: 5 });
  expect(() => lockRigFile(state, 'rig-1')).toThrow(/locked by pid 999999 on another-pi/);
});
