/**
 * A device end with no socat in between: a kernel pty pair made by python3's pty.openpty() in a
 * child process, which holds the master and plays the device. socat couples its two directions
 * (a write it cannot finish stops it forwarding the other way), so only a direct pty can show the
 * host's own behaviour when its write is blocked and the device talks meanwhile.
 */
import { execa, type ResultPromise } from 'execa';

export interface DirectPty {
  /** The slave end (/dev/pts/N): open it with openSerialLink. */
  path: string;
  /** Makes the device start its script. */
  go(): void;
  /** Resolves with what the device read from the host, in bytes, once its script ends. */
  done: Promise<number>;
  kill(): Promise<void>;
}

/**
 * The device script: after `go`, it reads nothing for `deafMs` while it sends `chunk` bytes every
 * `everyMs`; then it drains what the host wrote until it has `expect` bytes or `endMs` passed, and
 * prints the count.
 */
const SCRIPT = `
import os, pty, sys, time, tty, select
deaf_ms, every_ms, chunk, end_ms, want = (float(a) for a in sys.argv[1:6])
m, s = pty.openpty()
tty.setraw(s)
print(os.ttyname(s), flush=True)
sys.stdin.readline()
t0 = time.monotonic()
while (time.monotonic() - t0) * 1000 < deaf_ms:
    os.write(m, b'D' * int(chunk))
    time.sleep(every_ms / 1000)
got = 0
os.set_blocking(m, False)
while (time.monotonic() - t0) * 1000 < end_ms and got < want:
    r, _, _ = select.select([m], [], [], 0.05)
    if r:
        try:
            got += len(os.read(m, 65536))
        except OSError:
            break
print(got, flush=True)
`;

export async function startDirectPty(opts: { deafMs: number; everyMs: number; chunk: number; endMs: number; expect: number }): Promise<DirectPty> {
  const child: ResultPromise<{ stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; reject: false; buffer: false }> = execa(
    'python3',
    ['-c', SCRIPT, String(opts.deafMs), String(opts.everyMs), String(opts.chunk), String(opts.endMs), String(opts.expect)],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false },
  );
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (t: string) => {
    const parts = (partial + t).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = child.then(() => undefined);
  const line = async (n: number): Promise<string> => {
    while (lines.length <= n) {
      const more = new Promise<void>((r) => waiters.push(r));
      const end = exited.then(() => {
        throw new Error('python3 pty device exited early');
      });
      await Promise.race([more, end]);
    }
    return lines[n]!;
  };
  const path = await line(0);
  return {
    path,
    go: () => child.stdin.write('go\n'),
    done: line(1).then(Number),
    async kill() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
