/**
 * The standalone uploader end to end: `hil twin serve` in one process on a real pty pair,
 * `hil sfu upload` in another, as a lab engineer would try a new bootloader build.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { ResultPromise } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SFU_SLOTS } from '../../src/targets/rp2040.js';
import { waitFor, waitForOutput } from '../helpers/wait-for.js';
import { hil, hilBackground } from './hil.js';

const servers: ResultPromise[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.kill('SIGINT');
    await s;
  }
});

/** Starts `hil twin serve` and resolves with the first stdout line (the host-side pty path). */
async function serve(args: string[]): Promise<{ path: string; server: ResultPromise }> {
  const server = hilBackground(['twin', 'serve', ...args]);
  servers.push(server);
  const lines = createInterface({ input: server.stdout! });
  const path = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    server.once('exit', (code) => reject(new Error(`hil twin serve exited ${code} before printing its path`)));
  });
  return { path, server };
}

describe('hil sfu upload against hil twin serve (two processes, real pty)', () => {
  it('uploads, prints only JSON on stdout, and the twin then runs the new image', async () => {
    const { path, server } = await serve(['--rig', 'twin-rp2040-sfu', '--reset-on-idle', '-v']);
    let served = '';
    server.stderr!.on('data', (b: Buffer) => (served += b.toString()));
    const r = await hil(['sfu', 'upload', '--port', path, 'firmware/app-v2.page2bin', '--json'], { timeoutMs: 60_000 });
    expect(r.stderr).toContain('waiting for the SFU bootloader');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, signed: true, slotBase: SFU_SLOTS.B.base, resyncs: 0 });
    expect(doc.bytes).toBeGreaterThan(100_000);
    expect(doc.bytesPerSecond).toBeGreaterThan(0); // the rate is the benchmark's business (bench:sfu), not a test's
    // The served twin, told nothing by the test, boots what was uploaded once the host goes quiet.
    await waitFor('the served twin to boot the uploaded image', () => /hilrig-app 2\.0\.0 running from slot B/.test(served));
  }, 90_000);

  it('a port that does not exist is "rig unavailable" (exit 3), naming the port', async () => {
    const r = await hil(['sfu', 'upload', '--port', '/dev/serial/by-id/usb-no-such-adapter', 'firmware/app-v2.page2bin', '--json']);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('/dev/serial/by-id/usb-no-such-adapter');
  });

  it('a port where nothing answers INFO fails with a clear timeout, not a hang', async () => {
    // The twin served with its app running and no idle reset: the app never answers INFO.
    // Wait for the app's banner (-v echoes device text), not for the window's length in wall time: on
    // a loaded machine the twin's timers run late, a fixed sleep ended inside the bootloader window
    // and the upload then succeeded.
    const { path, server } = await serve(['--rig', 'twin-rp2040-sfu', '-v']);
    await waitForOutput(server.stderr!, /device: hilrig-app \S+ running from slot/);
    const r = await hil(['sfu', 'upload', '--port', path, '--info-timeout-ms', '1500', 'firmware/app-v2.page2bin', '--json']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/INFO/);
  }, 30_000);
});

describe('hil sfu upload and hil cut refuse broken images before anything is sent (issue 8 defect 13)', () => {
  const v2 = readFileSync('firmware/app-v2.page2bin');
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  it.each([
    ['truncated (head -c 100001)', v2.subarray(0, 100_001), /whole 256-byte blocks/],
    ['the 8-byte header alone', v2.subarray(0, 8), /holds no block/],
    ['130 bytes', v2.subarray(0, 130), /whole 256-byte blocks/],
    ['264 bytes', v2.subarray(0, 264), /no app info block and no vector table decoded for slot A/],
    ['random bytes', Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff)), /no app info block and no vector table as a RAW image/],
  ])('%s: exit 2 naming the file; the port is never opened', async (_, bytes, why) => {
    dir = await mkdtemp(join(tmpdir(), 'hil-sfu-image-'));
    const file = join(dir, 'broken.page2bin');
    writeFileSync(file, bytes);
    // A port that does not exist: opening it first would give exit 3.
    const r = await hil(['sfu', 'upload', '--port', '/dev/serial/by-id/usb-no-such-adapter', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('hil cut --to a truncated stream: exit 2 naming it, before the twin runs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hil-sfu-image-'));
    const file = join(dir, 'cut.page2bin');
    writeFileSync(file, v2.subarray(0, 8 + 256 * 300)); // whole blocks, but short of the image
    const r = await hil(['cut', '--rig', 'twin-rp2040-sfu', '--from', 'firmware/app-v1.page2bin', '--to', file, '--trigger', 'console:/SIGNED/+1ms', '--json']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/truncated/);
  });
});

describe('a device that freezes mid-upload (issue 8 defect 15, part)', () => {
  it('hil twin serve stopped (SIGSTOP) during the write phase: exit 1, a device failure, naming the silence', async () => {
    const { path, server } = await serve(['--rig', 'twin-rp2040-sfu', '--reset-on-idle']);
    const upload = hilBackground(['sfu', 'upload', '--port', path, 'firmware/app-v2.page2bin']);
    let stderr = '';
    let stopped = false;
    try {
      await new Promise<void>((resolve, reject) => {
        upload.stderr!.on('data', (b: Buffer) => {
          stderr += b.toString();
          // Freeze the whole twin process once WRITEs are being acknowledged.
          if (!stopped && /write\s+[1-9]\d?%/.test(stderr)) {
            stopped = true;
            server.kill('SIGSTOP');
            resolve();
          }
        });
        upload.once('exit', () => reject(new Error(`the upload ended before its write phase: ${stderr}`)));
      });
      const r = await upload;
      expect(r.exitCode).toBe(1);
      expect(stderr).toMatch(/error: (the device stopped answering|waited \d+ ms for ERASE_PART|no START reply)/);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      if (stopped) server.kill('SIGCONT');
      upload.kill('SIGKILL');
    }
  }, 90_000);
});
