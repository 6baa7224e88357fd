import { readFileSync, readdirSync } from 'node:fs';

/**
 * The process group of a child started with `detached: true`: Jest, its workers and whatever
 * they spawn (socat, openocd, gpioset) share it. Signalling the Jest parent alone (what execa's
 * cancelSignal did) left workers driving rigs. Signalling the whole group at once is not right
 * either: a gpioset killed before its worker can write the safe levels leaves the relay to the
 * kernel's default. So the Jest processes go first (each worker makes its rig safe and stops its
 * own helpers), then whatever is left of the group.
 */
export interface ProcessGroup {
  readonly pgid: number;
  /** Set once a stop has begun; later calls share it. */
  stopping?: Promise<void>;
  /** Removes the exit hook (the group is gone or no longer ours). */
  dispose(): void;
}

/** How long workers get to put their rigs in the safe state after SIGTERM before SIGKILL. */
const SAFE_STATE_GRACE_MS = 20_000;
/**
 * How long a worker that holds no hardware gets to exit by itself after SIGTERM before SIGKILL.
 * A worker's JavaScript can be busy for seconds without a turn of its event loop (Jest loading a
 * test file's ESM graph: 4-6 s under load), so its signal handler runs late; one that drives no
 * relay, pin or probe has no safe state to reach, so it need not be waited for.
 */
export const NO_HARDWARE_GRACE_MS = 300;
const POLL_MS = 50;

/**
 * Whether any process of the group is still running. A worker whose Jest parent died first is
 * reparented to init and stays a zombie until init reaps it (seconds, with some inits): it no
 * longer drives anything, so on Linux /proc is read and zombies do not count.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const running = runningMembers(pgid);
  return running === undefined || running > 0;
}

/**
 * Whether a process is running: a zombie (dead, not yet reaped by its parent or by init) is not.
 * kill(pid, 0) alone says yes to a zombie, which hid a SIGKILLed hil from its workers for seconds.
 */
export function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch (err) {
    // No /proc (not Linux): trust kill(). ENOENT: it went away meanwhile.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Non-zombie processes of the group from /proc, or undefined where there is no /proc. */
function runningMembers(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let n = 0;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') n++;
  }
  return n;
}

/** Jest's parent and its workers (jest-worker children): the processes that run rig code. */
function jestProcesses(pgid: number): number[] {
  const workers: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    // not Linux: the parent alone; the workers notice it is gone (their lifeline)
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pgid) continue;
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('jest-worker')) workers.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return [pgid, ...workers];
}

function signalPids(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

/**
 * Watches a group whose leader was just spawned. If hil exits while the group lives (a second
 * Ctrl-C, a crash), the exit hook sends it SIGTERM: workers then make their rigs safe and exit.
 */
export function watchProcessGroup(pgid: number): ProcessGroup {
  const onExit = () => signalPids(jestProcesses(pgid), 'SIGTERM');
  process.on('exit', onExit);
  return { pgid, dispose: () => process.off('exit', onExit) };
}

/**
 * Stops the group and resolves once none of it is left: SIGTERM to Jest and its workers, which
 * put their rigs in the safe state and exit (a grace for that); then SIGTERM to anything left
 * (a helper a worker did not stop), SIGKILL last. Resolves at once for an empty group.
 */
export interface StopOptions {
  graceMs?: number;
  /**
   * Whether a Jest process holds no hardware (no rig open, or a twin's only): such a process still
   * running NO_HARDWARE_GRACE_MS after SIGTERM is killed then; the others get the whole grace.
   */
  holdsNoHardware?: (pid: number) => boolean;
}

export function stopProcessGroup(group: ProcessGroup, opts: StopOptions | number = {}): Promise<void> {
  const { graceMs = SAFE_STATE_GRACE_MS, holdsNoHardware } = typeof opts === 'number' ? { graceMs: opts } : opts;
  group.stopping ??= (async () => {
    if (!groupAlive(group.pgid)) return;
    const jest = jestProcesses(group.pgid);
    signalPids(jest, 'SIGTERM');
    if (holdsNoHardware && !(await within(Math.min(NO_HARDWARE_GRACE_MS, graceMs), () => !jest.some(pidRunning)))) {
      signalPids(
        jest.filter((pid) => pidRunning(pid) && holdsNoHardware(pid)),
        'SIGKILL',
      );
    }
    await within(graceMs, () => !jest.some(pidRunning));
    if (!groupAlive(group.pgid)) return;
    signalGroup(group.pgid, 'SIGTERM');
    if (await within(2000, () => !groupAlive(group.pgid))) return;
    signalGroup(group.pgid, 'SIGKILL');
    await within(2000, () => !groupAlive(group.pgid));
  })();
  return group.stopping;
}

async function within(ms: number, done: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return true;
}
