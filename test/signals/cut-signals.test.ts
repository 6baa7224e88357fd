/**
 * `hil cut` on a pty twin (real socat pair, serialport on the host end, real time) stopped by
 * SIGTERM during the update, SIGINT while an `after:` trigger is still far off, and SIGKILL:
 * exit code, time to exit, and no socat (or anything else hil started) left running.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../cli/hil.js';
import { descendants, running, since, startHil, waitFor, type Hil } from './helpers.js';

let tmp: string;
let rig: string;
const started: Hil[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-signals-cut-'));
  rig = join(tmp, 'twin-pty.yaml');
  writeFileSync(
    rig,
    readFileSync(join(ROOT, 'rigs/twin-rp2040-sfu.yaml'), 'utf8')
      .replace(/^name: .*/m, 'name: twin-pty-signals')
      .replace(/timeFactor: 0\b.*/, 'timeFactor: 1')
      .replace(/transport: in-process.*/, 'transport: pty'),
  );
});

afterEach(async () => {
  for (const h of started.splice(0)) {
    if (running(h.pid)) process.kill(h.pid, 'SIGKILL');
    await h.child;
  }
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cut(trigger: string, extra: string[] = []): Hil {
  const h = startHil(['cut', '--rig', rig, '--from', 'firmware/app-v1.page2bin', '--to', 'firmware/app-v2.page2bin', '--trigger', trigger, ...extra]);
  started.push(h);
  return h;
}

async function socatOf(h: Hil) {
  await waitFor('hil cut to start its pty twin (socat)', () => descendants(h.pid).some((p) => p.cmd.includes('socat')));
  return descendants(h.pid);
}

describe('hil cut on a pty twin under signals', () => {
  test('SIGTERM during the update: exit 4, socat gone', async () => {
    const h = cut('after:600s');
    const before = await socatOf(h);
    const t0 = performance.now();
    process.kill(h.pid, 'SIGTERM');
    const r = await h.child;
    console.log(`hil cut, SIGTERM during the update: exit ${r.exitCode} after ${since(t0)} s`);
    expect(r.exitCode).toBe(4);
    expect(h.stderr()).toMatch(/putting the rig in its safe state/);
    expect(before.filter((p) => running(p.pid)).map((p) => p.cmd)).toEqual([]);
  }, 90_000);

  test('SIGINT while after:600s is pending, the update long done: exit 4 at once, no cut made', async () => {
    const h = cut('after:600s', ['-v']);
    const before = await socatOf(h);
    // From the end of the update on, the only thing hil waits for is the 600 s trigger, which used
    // to ignore Ctrl-C: -v says when the update is done.
    await waitFor('hil cut -v to report the update done', () => /scenario update-done/.test(h.stderr()), 90_000);
    const t0 = performance.now();
    process.kill(h.pid, 'SIGINT');
    const r = await h.child;
    const s = since(t0);
    console.log(`hil cut, SIGINT during after:600s: exit ${r.exitCode} after ${s} s`);
    expect(r.exitCode).toBe(4);
    expect(h.stdout()).not.toMatch(/outcome/); // power was never cut
    expect(before.filter((p) => running(p.pid)).map((p) => p.cmd)).toEqual([]);
  }, 120_000);

  test('SIGKILL: socat does not outlive hil', async () => {
    const h = cut('after:600s');
    const before = await socatOf(h);
    const socat = before.filter((p) => p.cmd.includes('socat'));
    const t0 = performance.now();
    process.kill(h.pid, 'SIGKILL');
    await h.child;
    await waitFor('socat to end after hil was killed', () => !socat.some((p) => running(p.pid)), 20_000);
    console.log(`hil cut, SIGKILL: socat gone ${since(t0)} s after the kill`);
  }, 60_000);
});
