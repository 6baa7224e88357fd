/**
 * The real DoctorEnv, the helpers every check uses to read the machine through it (paths under
 * `root`, /etc/group, PATH lookup), and a permission model from mode bits for simulated users.
 */
import { execa } from 'execa';
import { constants } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { readRegularFile } from '../config/file-read.js';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { DoctorEnv, RunResult } from './types.js';

const DEFAULT_TIMEOUT_MS = 10_000;

/** Runs a program the way every check does: argv array, no shell, no stdin, bounded in time. */
export async function runProgram(cmd: string, argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  try {
    const r = await execa(cmd, argv, { reject: false, stdin: 'ignore', timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, env: { LC_ALL: 'C' } });
    const code = (r.cause as { code?: string } | undefined)?.code;
    return {
      ...(typeof r.exitCode === 'number' && { exitCode: r.exitCode }),
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      notFound: code === 'ENOENT' || code === 'EACCES',
      timedOut: !!r.timedOut,
    };
  } catch (err) {
    return { stdout: '', stderr: (err as Error).message, notFound: true, timedOut: false };
  }
}

/** The machine hil runs on. */
export function realEnv(): DoctorEnv {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container with an arbitrary uid): keep $USER.
  }
  return {
    root: '/',
    nodeVersion: process.versions.node,
    uid: process.getuid?.() ?? -1,
    user,
    groups: [...new Set([process.getgid?.() ?? -1, ...(process.getgroups?.() ?? [])])],
    pathDirs: (process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    // fs.access asks the kernel, so ACLs (udev's uaccess tag) count too.
    access: async (file, mode) => {
      try {
        await access(file, (mode.includes('r') ? constants.R_OK : 0) | (mode.includes('w') ? constants.W_OK : 0));
        return true;
      } catch {
        return false;
      }
    },
    run: runProgram,
  };
}

/**
 * Permission from owner/group/other bits, for a user who is not the one running the tests (the
 * test runner may be root, for whom fs.access always says yes). No ACLs.
 */
export function modeBitsAccess(uid: number, groups: readonly number[]): DoctorEnv['access'] {
  return async (file, mode) => {
    if (uid === 0) return true;
    let s;
    try {
      s = await stat(file);
    } catch {
      return false;
    }
    const shift = s.uid === uid ? 6 : groups.includes(s.gid) ? 3 : 0;
    const bits = (s.mode >> shift) & 7;
    const need = (mode.includes('r') ? 4 : 0) | (mode.includes('w') ? 2 : 0);
    return (bits & need) === need;
  };
}

/** `/dev/x` -> `<root>/dev/x`. */
export function under(env: DoctorEnv, file: string): string {
  return env.root === '/' ? file : path.join(env.root, file);
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** A small text file (sysfs attribute, /etc/group); undefined when absent, not a regular file or too big. */
export async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readRegularFile(file, MAX_TEXT_BYTES)).toString('utf8').trim();
  } catch {
    return undefined;
  }
}

/** /etc/group on a big directory-backed host can be long; sysfs attributes are one line. */
const MAX_TEXT_BYTES = 1024 * 1024;

export async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

/** What a path is: missing, a link whose target is gone, or present (through links). */
export async function pathState(file: string): Promise<'missing' | 'dangling' | 'present'> {
  try {
    await lstat(file);
  } catch {
    return 'missing';
  }
  try {
    await stat(file);
    return 'present';
  } catch {
    return 'dangling';
  }
}

export async function resolveLink(file: string): Promise<string | undefined> {
  try {
    return await realpath(file);
  } catch {
    return undefined;
  }
}

export async function fileStat(file: string): Promise<{ uid: number; gid: number; mode: number } | undefined> {
  try {
    const s = await stat(file);
    return { uid: s.uid, gid: s.gid, mode: s.mode };
  } catch {
    return undefined;
  }
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** `<root>/etc/group`, parsed; empty when unreadable. */
export async function readGroups(env: DoctorEnv): Promise<GroupEntry[]> {
  const text = await readText(under(env, '/etc/group'));
  if (!text) return [];
  const groups: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, , gid, members] = line.split(':');
    if (!name || gid === undefined || !/^\d+$/.test(gid)) continue;
    groups.push({ name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) });
  }
  return groups;
}

/**
 * Where the user stands with a group: in it now, listed in /etc/group but not in this session
 * (added with usermod, not logged in again yet), or not a member.
 */
export async function groupMembership(env: DoctorEnv, name: string): Promise<{ gid?: number; state: 'member' | 'relogin' | 'absent' | 'no-group' }> {
  const entry = (await readGroups(env)).find((g) => g.name === name);
  if (!entry) return { state: 'no-group' };
  if (env.groups.includes(entry.gid)) return { gid: entry.gid, state: 'member' };
  if (env.user && entry.members.includes(env.user)) return { gid: entry.gid, state: 'relogin' };
  return { gid: entry.gid, state: 'absent' };
}

export async function groupName(env: DoctorEnv, gid: number): Promise<string | undefined> {
  return (await readGroups(env)).find((g) => g.gid === gid)?.name;
}

/** A program by name on PATH, or a path as given (relative to `cwd`); undefined when not executable. */
export async function which(env: DoctorEnv, program: string, cwd: string = process.cwd()): Promise<string | undefined> {
  const candidates = program.includes('/') ? [path.resolve(cwd, program)] : env.pathDirs.map((d) => path.join(d, program));
  for (const c of candidates) {
    try {
      const s = await stat(c);
      if (!s.isFile()) continue;
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/** `sudo usermod -aG GROUP $USER`, with what to do afterwards (the new group counts from the next login). */
export function addToGroupFix(group: string): string {
  return `sudo usermod -aG ${group} $USER   # then log out and in again (or run: newgrp ${group})`;
}
