/**
 * socat pty pairs for serial tests, and one place that cleans every one of them up: call
 * `stopAllSocat()` (and `closeAllPtyTwins()`) in afterEach, or Jest will not exit.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TwinDevice } from '../../src/twin/device.js';
import { startPtyTwin, type PtyTwin, type PtyTwinOptions } from '../../src/twin/transport/pty.js';
import { spawnSocatPtyPair, type SocatChild } from '../../src/twin/transport/socat.js';
import { waitFor } from './wait-for.js';

export interface SocatPair {
  dir: string;
  /** The two ends (links to /dev/pts/N). */
  a: string;
  b: string;
  /** socat's process id (for tests that kill it themselves). */
  pid: number;
  /** SIGTERM (links removed by socat) or SIGKILL (links left dangling, like a crash). */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  readonly exited: boolean;
}

const pairs = new Set<{ pair: SocatPair; child: SocatChild }>();
const twins = new Set<PtyTwin>();
const dirs = new Set<string>();

/** A fresh temporary directory, removed by stopAllSocat(). */
export async function tempDir(prefix = 'hilrig-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/**
 * Starts `socat pty,raw,echo=0,link=a pty,raw,echo=0,link=b` inside `dir` (the same way the twin
 * does: no path in socat's address syntax, killed by the kernel if this process dies) and waits
 * for both links.
 */
export async function startSocatPair(dir?: string): Promise<SocatPair> {
  const d = dir ?? (await tempDir());
  const a = join(d, 'a');
  const b = join(d, 'b');
  await rm(a, { force: true });
  await rm(b, { force: true });
  const { child } = await spawnSocatPtyPair(d, 'a', 'b');
  child.stderr?.resume(); // socat's -d -d log: not needed here, but a full pipe would stall it
  let exited = false;
  const done = child.then(() => {
    exited = true;
  });
  const pair: SocatPair = {
    dir: d,
    a,
    b,
    pid: child.pid!,
    get exited() {
      return exited;
    },
    async kill(signal = 'SIGTERM') {
      if (!exited) child.kill(signal);
      await done;
    },
  };
  const entry = { pair, child };
  pairs.add(entry);
  // The links appear once socat has both ptys; it exiting first is a failure, not a wait.
  try {
    await waitFor(`socat to create ${a} and ${b}`, () => {
      if (exited) throw new Error(`socat exited before it created ${a} and ${b}`);
      return existsSync(a) && existsSync(b);
    });
  } catch (err) {
    await pair.kill('SIGKILL');
    throw err;
  }
  return pair;
}

/** startPtyTwin, remembered for closeAllPtyTwins(). */
export async function startTrackedPtyTwin(device: TwinDevice, opts: PtyTwinOptions): Promise<PtyTwin> {
  const twin = await startPtyTwin(device, opts);
  twins.add(twin);
  return twin;
}

export async function closeAllPtyTwins(): Promise<void> {
  const all = [...twins];
  twins.clear();
  await Promise.all(all.map((t) => t.close()));
}

/** Kills every socat this helper started and removes its links and directory. */
export async function stopAllSocat(): Promise<void> {
  const all = [...pairs];
  pairs.clear();
  await Promise.all(
    all.map(async ({ pair }) => {
      await pair.kill('SIGTERM');
      await rm(pair.a, { force: true });
      await rm(pair.b, { force: true });
      await rm(pair.dir, { recursive: true, force: true });
    }),
  );
  const left = [...dirs];
  dirs.clear();
  await Promise.all(left.map((d) => rm(d, { recursive: true, force: true })));
}
