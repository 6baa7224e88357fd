/**
 * The stop of hil run's Jest group when a worker's JavaScript is busy (Jest loading a test file's
 * ESM graph kept a worker's event loop from turning for 4-6 s under load, so SIGTERM was handled
 * that late; measured on the default suites): a worker whose mark says its rig is a twin is killed
 * shortly after SIGTERM; a worker that drives hardware still gets to finish its safe state.
 *
 * Real processes in their own group (like Jest's), each named jest-worker as Jest's are; the
 * marks are the files the worker environment writes.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcessGroup, watchProcessGroup } from '../../src/report/process-group.js';
import { workerHoldsHardware } from '../../src/report/worker-marks.js';
import { running, waitFor } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hil-stop-marks-'));
  mkdirSync(join(dir, 'workers'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A "worker" whose event loop never turns once started (its SIGTERM handler cannot run), and one
// that takes a second to reach its safe state after SIGTERM, as a relay's settle times would.
// Each says it is ready (its handler installed) in OUT.ready.
const BUSY = `const fs = require('fs'); process.on('SIGTERM', () => fs.writeFileSync(process.argv[1], 'handled')); setTimeout(() => { fs.writeFileSync(process.argv[1] + '.ready', ''); for (;;); }, 50);`;
const SAFE = `const fs = require('fs'); process.on('SIGTERM', () => setTimeout(() => { fs.writeFileSync(process.argv[1], 'safe'); process.exit(4); }, 1000)); fs.writeFileSync(process.argv[1] + '.ready', ''); setInterval(() => {}, 1000);`;
const LEADER = `
const { spawn } = require('child_process');
const busy = spawn(process.execPath, ['-e', ${JSON.stringify(BUSY)}, process.argv[1], 'jest-worker'], { stdio: 'ignore' });
const safe = spawn(process.execPath, ['-e', ${JSON.stringify(SAFE)}, process.argv[2], 'jest-worker'], { stdio: 'ignore' });
process.stdout.write(JSON.stringify({ busy: busy.pid, safe: safe.pid }) + '\\n');
setInterval(() => {}, 1000);
`;

describe('stopping workers by what they hold', () => {
  test('a busy twin-only worker is killed soon after SIGTERM; a hardware worker still finishes its safe state', async () => {
    const busyOut = join(dir, 'busy.out');
    const safeOut = join(dir, 'safe.out');
    const leader = execa(process.execPath, ['-e', LEADER, busyOut, safeOut], { detached: true, stdin: 'ignore', buffer: false, reject: false });
    let out = '';
    leader.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the leader to start both workers', () => out.includes('\n'), 60_000);
    const pids = JSON.parse(out) as { busy: number; safe: number };
    const workers = join(dir, 'workers');
    writeFileSync(join(workers, `${pids.busy}.json`), JSON.stringify({ hardware: false, testPath: 'twin.test.mjs' }));
    writeFileSync(join(workers, `${pids.safe}.json`), JSON.stringify({ hardware: true, testPath: 'bench.test.mjs' }));
    // The busy one is in its loop (its handler can no longer run), the other one handles SIGTERM.
    await waitFor('both workers to be ready', () => existsSync(`${busyOut}.ready`) && existsSync(`${safeOut}.ready`), 60_000);

    const group = watchProcessGroup(leader.pid!);
    try {
      // A grace far longer than the test's timeout: only the early kill can end the busy worker.
      await stopProcessGroup(group, { graceMs: 10 * 60_000, holdsNoHardware: (pid) => !workerHoldsHardware(workers, pid) });
    } finally {
      group.dispose();
    }
    await leader;
    expect(running(pids.busy)).toBe(false);
    expect(running(pids.safe)).toBe(false);
    expect(existsSync(busyOut)).toBe(false); // killed, its handler never ran
    expect(readFileSync(safeOut, 'utf8')).toBe('safe'); // not killed early: its safe state ran
  }, 120_000);

  test('only a readable mark saying "no hardware" lets a worker be killed early', () => {
    const workers = join(dir, 'workers');
    writeFileSync(join(workers, '101.json'), JSON.stringify({ hardware: false, testPath: 'x' }));
    writeFileSync(join(workers, '102.json'), JSON.stringify({ hardware: true, testPath: 'x' }));
    writeFileSync(join(workers, '103.json'), '{"hardware": fal');
    expect(workerHoldsHardware(workers, 101)).toBe(false);
    expect(workerHoldsHardware(workers, 102)).toBe(true);
    expect(workerHoldsHardware(workers, 103)).toBe(true); // half-written
    expect(workerHoldsHardware(workers, 104)).toBe(true); // no mark (between files, or never written)
  });
});
