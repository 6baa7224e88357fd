/**
 * How soon `hil sfu upload` speaks: from spawning `node bin/hil.js sfu upload` to the last byte of
 * its first INFO frame arriving at the other end of a socat pty pair (read by this process, as a
 * bootloader would). Covers Node's start, loading the command, checking the image and opening
 * the port. No device answers: once the frame is seen, hil is stopped. Goal (issue 9): ≤ 0.3 s.
 *   npx tsx bench/sfu-first-info.ts [--json] [--runs 7]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeFrame } from '../src/protocols/sfu/frame.js';
import { SfuCode } from '../src/protocols/sfu/constants.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INFO = encodeFrame('host', SfuCode.INFO);

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One measurement, in seconds. */
export async function firstInfoSeconds(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'hil-bench-info-'));
  const socat = spawn('socat', ['pty,raw,echo=0,link=host', 'pty,raw,echo=0,link=dev'], { cwd: dir, stdio: 'ignore' });
  try {
    await until('socat links', () => existsSync(join(dir, 'host')) && existsSync(join(dir, 'dev')));
    const dev = new ReadStream(openSync(join(dir, 'dev'), constants.O_RDWR | constants.O_NOCTTY));
    dev.setRawMode(true);
    let seen = Buffer.alloc(0);
    const t0 = performance.now();
    const hil = spawn(process.execPath, [join(ROOT, 'bin/hil.js'), 'sfu', 'upload', '--port', join(dir, 'host'), '--info-timeout-ms', '20000', join(ROOT, 'firmware/app-v2.page2bin')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    hil.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((r) => hil.once('exit', () => r()));
    try {
      const t1 = await new Promise<number>((resolve, reject) => {
        dev.on('data', (d: Buffer) => {
          seen = Buffer.concat([seen, d]);
          if (seen.includes(INFO)) resolve(performance.now());
        });
        void exited.then(() => reject(new Error(`hil exited before sending INFO: ${stderr}`)));
      });
      return (t1 - t0) / 1000;
    } finally {
      hil.kill('SIGTERM');
      await exited;
      dev.destroy();
    }
  } finally {
    socat.kill('SIGTERM');
    await new Promise((r) => socat.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function firstInfo(runs: number): Promise<{ medianSeconds: number; samples: number[] }> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await firstInfoSeconds());
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianSeconds: sorted[Math.floor(sorted.length / 2)]!, samples };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { json: { type: 'boolean' }, runs: { type: 'string', default: '7' } } });
  const r = await firstInfo(Number(values.runs));
  if (values.json) console.log(JSON.stringify(r));
  else console.log(`hil sfu upload: first INFO frame on the wire after ${r.medianSeconds.toFixed(3)} s (median of ${r.samples.length}; goal <= 0.3 s)`);
}
