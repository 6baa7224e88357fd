import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's per-thread times (USER_HZ: 100 on Linux for every architecture Node runs on). */
const TICKS_PER_S = 100;

/**
 * CPU ms this thread has used so far, or undefined where the system does not tell (not Linux).
 * process.cpuUsage() in a worker thread is the whole process's: with two workers, each would
 * report both threads' time (and the main thread's), which hid how much each thread costs.
 */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // Fields after the command name (which may hold spaces, hence from the last ')'): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}
