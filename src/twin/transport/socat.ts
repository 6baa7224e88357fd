/**
 * Starting `socat` for a pty pair, safely and so that it never outlives us.
 *
 * Two things go wrong with a naive `socat pty,link=<path> …`:
 * - socat parses its address strings: `,` starts an option, `:` `!!` `{` `"` `'` `\` and spaces
 *   are special too. A directory such as `/tmp/a,b` (TMPDIR is the user's) would be read as
 *   options, and a hostile one could add its own (`exec`, `fork` …). So socat runs *inside* the
 *   directory and is given only fixed relative link names: nothing from outside ever reaches its
 *   address syntax, whatever the directory is called.
 * - A parent killed with SIGKILL cannot stop its children. socat is started through util-linux's
 *   `setpriv --pdeathsig KILL`, which asks the kernel to kill socat when its parent dies. Where
 *   setpriv (or that option) is missing, socat is started directly and `lifeline` says so.
 */
import { execa, type ResultPromise } from 'execa';
import { parentDeathSignalSupported, withParentDeathSignal } from '../../core/parent-death.js';

/** Link names socat is given: fixed, and plain enough for its address syntax. */
const SAFE_LINK_NAME = /^[A-Za-z0-9_.-]+$/;

export type SocatChild = ResultPromise<{ reject: false; cwd: string; stdin: 'ignore'; stdout: 'ignore'; stderr: 'pipe'; buffer: false }>;

export interface SocatPtyPairProcess {
  child: SocatChild;
  /** socat's own process id (setpriv execs socat: same process). */
  pid: number;
  /** How socat is tied to this process: killed by the kernel when we die, or not at all. */
  lifeline: 'pdeathsig' | 'none';
}

/** socat's argv for a raw pty pair whose links are `a` and `b`, relative to socat's working directory. */
export function socatPtyPairArgs(a: string, b: string): string[] {
  for (const name of [a, b]) {
    if (!SAFE_LINK_NAME.test(name)) throw new TypeError(`socat link name ${JSON.stringify(name)}: only letters, digits, '.', '_' and '-' are passed to socat`);
  }
  return ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`];
}

/**
 * Starts `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B` with `dir` as its working directory,
 * so the links are `dir/A` and `dir/B` whatever `dir` contains. stderr is a pipe (socat's -d -d
 * log); the caller waits for the links and owns the process.
 */
export async function spawnSocatPtyPair(dir: string, a: string, b: string): Promise<SocatPtyPairProcess> {
  const args = socatPtyPairArgs(a, b);
  const guarded = await parentDeathSignalSupported();
  const [file, argv] = withParentDeathSignal(guarded, 'socat', args);
  const child: SocatChild = execa(file, argv, { reject: false, cwd: dir, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false });
  return { child, pid: child.pid ?? -1, lifeline: guarded ? 'pdeathsig' : 'none' };
}
