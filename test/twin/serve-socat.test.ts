/**
 * socat under the pty twin (issue 8):
 * - defect 20: a directory with socat's special characters (`,` `:` `!!` `{}` quotes, spaces) in
 *   its path works as any other: nothing from the path reaches socat's address syntax;
 * - defect 12 (transport half): socat dying while the twin is served is reported once, with the
 *   path that is gone; a normal close() is not a loss;
 * - defect 1 (pty half): socat dies with the process that owns the twin, even by SIGKILL.
 * Real socat, real serialport, real processes.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScaledClock } from '../../src/core/clock.js';
import type { ByteLink } from '../../src/drivers/console/byte-link.js';
import { openSerialLink } from '../../src/drivers/console/serial-link.js';
import { Rp2040SfuTwin } from '../../src/twin/sfu-ab/device.js';
import { socatPtyPairArgs } from '../../src/twin/transport/socat.js';
import { closeAllPtyTwins, startSocatPair, startTrackedPtyTwin, stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

const links: ByteLink[] = [];
const twins: Rp2040SfuTwin[] = [];

afterEach(async () => {
  twins.splice(0).forEach((t) => t.powerOff());
  await Promise.all(links.splice(0).map((l) => l.close()));
  await closeAllPtyTwins();
  await stopAllSocat();
});

/** A process is gone once /proc forgets it or it is a zombie nobody has reaped yet. */
async function processGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function sfuTwin(): Rp2040SfuTwin {
  const twin = new Rp2040SfuTwin({ clock: new ScaledClock(1), variant: 'correct', powerLoss: 'skip', seed: 1 });
  twins.push(twin);
  return twin;
}

const HOSTILE_DIRS = ['a,b', 'c:d', 'sp ace', 'bang!!bang', '{brace}', 'quo"te', "apo'strophe", 'back\\slash', 'x,link=stolen', 'pty,raw;echo=1', 'semi;colon$(true)'];

describe('socat never parses our paths (defect 20)', () => {
  it('gives socat only fixed link names, never a path', () => {
    expect(socatPtyPairArgs('twin-host', 'twin-dev')).toEqual(['-d', '-d', 'pty,raw,echo=0,link=twin-host', 'pty,raw,echo=0,link=twin-dev']);
    expect(() => socatPtyPairArgs('/tmp/a,b/twin-host', 'x')).toThrow(/only letters, digits/);
    expect(() => socatPtyPairArgs('a,fork', 'x')).toThrow(TypeError);
  });

  it.each(HOSTILE_DIRS)('serves the twin in a directory named %j', async (name) => {
    const parent = await tempDir();
    const dir = join(parent, name);
    await mkdir(dir);
    const pty = await startTrackedPtyTwin(sfuTwin(), { paceBaud: 921_600, dir });
    expect(pty.hostPath).toBe(join(dir, 'twin-host'));
    expect(existsSync(pty.hostPath)).toBe(true);
    // Nothing appeared anywhere else: no option reached socat.
    expect((await readdir(parent)).sort()).toEqual([name]);
    expect((await readdir(dir)).sort()).toEqual(['twin-dev', 'twin-host']);
    const link = await openSerialLink(pty.hostPath, { baud: 921_600 });
    links.push(link);
    let text = '';
    link.onData((b) => (text += b.toString('latin1')));
    twins.at(-1)!.powerOn();
    await waitFor('the boot text through the pty', () => text.includes('find_latest_variant'));
    await pty.close();
    expect(existsSync(dir)).toBe(true); // the caller's directory stays; only the links go
    expect(await readdir(dir)).toEqual([]);
  });

  it('the test helper pair works in such a directory too', async () => {
    const dir = join(await tempDir(), 'a,b:c !!{d}"e\'');
    await mkdir(dir);
    const pair = await startSocatPair(dir);
    const a = await openSerialLink(pair.a, { baud: 115_200 });
    const b = await openSerialLink(pair.b, { baud: 115_200 });
    links.push(a, b);
    let got = '';
    b.onData((x) => (got += x.toString()));
    await a.write(Buffer.from('through'));
    await waitFor('bytes across the pair', () => got === 'through');
  });
  // TMPDIR with such characters goes through the CLI in serve-cli.test.ts (os.tmpdir() reads the real environment).
});

describe('socat exit is noticed (defect 12, transport)', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)('onLost reports socat killed by %s once, naming the path that is gone', async (signal) => {
    const pty = await startTrackedPtyTwin(sfuTwin(), { paceBaud: 115_200 });
    const lost: string[] = [];
    pty.onLost((why) => lost.push(why));
    process.kill(pty.socatPid, signal);
    await waitFor('onLost', () => lost.length > 0);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toContain(pty.hostPath);
    expect(lost[0]).toContain(`socat (pid ${pty.socatPid})`);
    expect(lost[0]).toContain(signal);
    // A listener added afterwards still hears it.
    const late: string[] = [];
    pty.onLost((why) => late.push(why));
    expect(late).toEqual(lost);
    await pty.close();
  });

  it('a normal close() is not a loss', async () => {
    const pty = await startTrackedPtyTwin(sfuTwin(), { paceBaud: 115_200 });
    const lost: string[] = [];
    pty.onLost((why) => lost.push(why));
    await pty.close();
    expect(await processGone(pty.socatPid)).toBe(true);
    expect(lost).toEqual([]);
  });
});

describe('socat dies with its parent (defect 1, pty twin)', () => {
  it('SIGKILL of the node process that owns a pty twin takes socat with it', async () => {
    const owner = execa('node', ['--import', 'tsx', 'test/twin/fixtures/pty-owner.ts'], { reject: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: false });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        owner.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        void owner.then((r) => reject(new Error(`the owner exited before serving: ${String(r.exitCode ?? r.signal)}`)));
      });
      const { socatPid, hostPath, lifeline } = JSON.parse(line) as { socatPid: number; hostPath: string; lifeline: string };
      expect(lifeline).toBe('pdeathsig'); // setpriv (util-linux) is on this machine; without it there is no lifeline
      expect(await processGone(socatPid)).toBe(false);
      owner.kill('SIGKILL');
      await owner;
      await waitFor(`socat ${socatPid} to die with its parent`, () => processGone(socatPid));
      expect(existsSync(hostPath)).toBe(false); // dangling at most: no pty behind it
    } finally {
      owner.kill('SIGKILL');
    }
  }, 60_000);
});
