/**
 * Signals as a service manager sends them: `hil` runs in its own session (like `setsid`, a
 * container, a CI runner) and only its own pid is signalled, never its process group, so hil
 * itself must pass the stop on to everything it started.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../cli/hil.js';
import { waitFor as sharedWaitFor } from '../helpers/wait-for.js';

const BIN = join(ROOT, 'bin/hil.js');

export interface Hil {
  child: ResultPromise;
  pid: number;
  stdout(): string;
  stderr(): string;
}

/** Starts `hil …` in a new session, output collected as it comes. */
export function startHil(args: string[], env: Record<string, string> = {}): Hil {
  const child = execa(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    reject: false,
    stdin: 'ignore',
    detached: true,
    buffer: false,
    env: { NO_COLOR: '1', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err };
}

/** Polls `cond` until true; fails naming what it waited for. Only a guard against a hang. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  await sharedWaitFor(what, cond, timeoutMs);
}

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  cmd: string;
}

function procs(): Proc[] {
  const list: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.exec(e)) continue; // only process folders
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      list.push({ pid: Number(e), ppid: Number(f[1]), state: f[0]!, cmd });
    } catch {
      // exited meanwhile
    }
  }
  return list;
}

/** Every running process below `pid` (children, grandchildren …), with its command line. */
export function descendants(pid: number): Proc[] {
  const all = procs();
  const out: Proc[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const c of all.filter((x) => x.ppid === p && x.state !== 'Z')) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** Whether a pid is still a running process (a zombie waiting for its reaper is not). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A process's command line as `ps` shows it (hil sets its title to `hil <args>` once it handles signals). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** Lines of results.jsonl, each parsed (a half-written line throws). */
export function resultLines(reports: string): unknown[] {
  const f = join(reports, '.run/results.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The Allure results folder: no temporary file left, and every result file is whole JSON. */
export function allureResults(dir: string): { results: { status: string; name: string }[]; partial: string[] } {
  if (!existsSync(dir)) return { results: [], partial: [] };
  const files = readdirSync(dir);
  return {
    partial: files.filter((f) => f.endsWith('.tmp')),
    results: files.filter((f) => f.endsWith('-result.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8'))),
  };
}

/** Seconds since `t0` (performance.now()), for the printed figures. */
export function since(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(2);
}
