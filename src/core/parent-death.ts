/**
 * Tying a child process to our life. A process killed outright (SIGKILL, the OOM killer, a native
 * crash) runs no exit hook, so a child that must not outlive it (socat holding a pty, gpioset
 * holding a relay line) has to be stopped by the kernel instead: util-linux's
 * `setpriv --pdeathsig KILL -- <cmd>` sets PR_SET_PDEATHSIG and execs <cmd> (same pid), so the
 * kernel SIGKILLs <cmd> when the thread that started it dies.
 */
import { execa } from 'execa';

let support: Promise<boolean> | undefined;

/** Whether `setpriv --pdeathsig KILL` works here (checked once per process). */
export function parentDeathSignalSupported(): Promise<boolean> {
  support ??= execa('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', timeout: 5000 }).then(
    (r) => r.exitCode === 0,
    () => false,
  );
  return support;
}

/** [file, argv] that start `file args` killed with us when `guarded`, or plainly otherwise. */
export function withParentDeathSignal(guarded: boolean, file: string, args: readonly string[]): [string, string[]] {
  return guarded ? ['setpriv', ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, [...args]];
}

/** setpriv's answer when it could not exec the program (not a failure of the program itself). */
export const SETPRIV_EXEC_FAILED = 127;
