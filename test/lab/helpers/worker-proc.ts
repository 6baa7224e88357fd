/**
 * A real `node bin/hil.js worker` process for tests: its stdout read line by line (each line one
 * event of the worker), waits on those lines, SIGINT / kill -9, and a sweep that kills whatever a
 * killed worker left behind (its per-job `hil __lab-job` and that one's Jest).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { HIL } from './lab-workdir.js';
import { SAFETY_MS } from '../../helpers/wait-for.js';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file));

export interface WorkerProc {
  id: string;
  pid: number;
  /** Every stdout line so far. */
  lines: string[];
  stderr(): string;
  /** Resolves with the first line (from `from` on) matching `pattern`. */
  waitLine(pattern: RegExp, opts?: { from?: number; safetyMs?: number }): Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  sigint(): void;
  kill9(): void;
}

export function startWorker(opts: { cwd: string; rigs: string; labFile: string; id: string; env?: NodeJS.ProcessEnv }): WorkerProc {
  const args = [HIL, 'worker', '--rigs', opts.rigs, '--lab', opts.labFile, '--id', opts.id];
  // The worker dies with the test runner (a failed test never leaves it serving).
  const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', process.execPath, ...args]] : [process.execPath, args];
  const child: ChildProcess = spawn(file, argv, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (b: Buffer) => {
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-20000)));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  void exited.then(() => {
    for (const w of waiters) w();
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    id: opts.id,
    pid: child.pid!,
    lines,
    stderr: () => err,
    exited,
    waitLine(pattern, o = {}) {
      const from = o.from ?? 0;
      const safetyMs = o.safetyMs ?? SAFETY_MS * 4;
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = lines.slice(from).find((l) => pattern.test(l));
          if (hit !== undefined) {
            resolve(hit);
            return true;
          }
          if (done) {
            reject(new Error(`worker ${opts.id} exited before printing ${pattern}; stdout:\n${lines.slice(-30).join('\n')}\nstderr:\n${err.slice(-3000)}`));
            return true;
          }
          return false;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`worker ${opts.id}: no line ${pattern} after ${safetyMs} ms; stdout:\n${lines.slice(-30).join('\n')}\nstderr:\n${err.slice(-3000)}`));
        }, safetyMs);
        const w = () => {
          if (check()) {
            clearTimeout(timer);
            waiters.delete(w);
          }
        };
        waiters.add(w);
      });
    },
    sigint: () => child.kill('SIGINT'),
    kill9: () => child.kill('SIGKILL'),
  };
}

/** Kills (SIGKILL) every process whose command line mentions `marker` (a test's temp dir). */
export function killProcessesMentioning(marker: string): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(marker)) {
        process.kill(Number(name), 'SIGKILL');
        n++;
      }
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
