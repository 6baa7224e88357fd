// The owner gpioset must not keep a relay powered after the hil process that owned it was killed
// outright (SIGKILL: no exit hook runs). Fake gpioset v1/v2 (no kernel GPIO here); the owner is a
// real child node process using the real driver, and setpriv/sh are the real ones.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parentDeathSignalSupported } from '../../src/core/parent-death.js';
import { Libgpiod } from '../../src/drivers/gpio/libgpiod.js';
import { waitForOutput } from '../helpers/wait-for.js';
import { FIXTURES, alive, fakeTools, onPath, readLog, removeDir, tempDir, waitFor, type LogRecord } from './helpers.js';

let dir: string;
let logFile: string;
const children: ChildProcess[] = [];
const strays: number[] = [];

beforeEach(() => {
  dir = tempDir('gpio-lifeline');
  logFile = join(dir, 'argv.log');
  process.env.FAKE_GPIO_LOG = logFile;
});
afterEach(async () => {
  // Killed and reaped: a child still exiting when the file ends is a handle the next file's worker inherits.
  const running = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    running.map((c) => {
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      return exited;
    }),
  );
  for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  delete process.env.FAKE_GPIO_LOG;
  removeDir(dir);
});

const gpiosets = (): LogRecord[] => readLog(logFile).filter((r) => r.tool === 'gpioset' && r.argv?.[0] !== '--version');
const isOwner = (r: LogRecord) => !!r.argv && (r.argv.includes('-i') || r.argv.includes('--mode=signal'));
const SAFE = { v1: ['--mode=exit', '--', 'gpiochip0', '17=0', '27=1'], v2: ['-c', 'gpiochip0', '-C', 'hil', '-t', '0', '--', '17=0', '27=1'] };

/** Whether /proc says the pid is a live (non-zombie) process. */
function running(pid: number): boolean {
  return alive(pid) && !/\) Z /.test(readProcStat(pid));
}
function readProcStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}
/** Live guardians started by this process (argv: sh -c <script> hil-gpio-guardian <our pid> …). */
function ourGuardians(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      } catch {
        return false;
      }
      return argv[3] === 'hil-gpio-guardian' && argv[4] === String(process.pid) && running(pid);
    });
}
/** Live (non-zombie) processes whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      const s = readProcStat(pid);
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return f[0] !== undefined && f[0] !== 'Z' && Number(f[2]) === pgid;
    });
}

describe.each(['v1', 'v2'] as const)('libgpiod %s owner lifeline (fake gpioset)', (flavour) => {
  test(`SIGKILL of the process holding the lines: the owner gpioset dies and a one-shot gpioset drives the safe levels (fake gpioset ${flavour})`, async () => {
    expect(await parentDeathSignalSupported()).toBe(true);
    const tools = fakeTools(flavour);
    const child = spawn(process.execPath, [join(FIXTURES, 'hold-lines.mjs'), flavour, tools.gpioset], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FAKE_GPIO_LOG: logFile },
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const out = await waitForOutput(child.stdout!, /"holding":true.*\n/).catch((e: Error) => {
      throw new Error(`${e.message}\nstderr: ${err}`);
    });
    const { guardians, pids } = JSON.parse(out.trim().split('\n').pop()!) as { guardians: number[]; pids: number[] };
    strays.push(...guardians);
    // The driver's current owner (v1 replaced it on the fixture's set()); wait until the fake
    // logged it, i.e. it is up and holding the lines.
    const ownerPid = pids[pids.length - 1];
    const owner = await waitFor(() => gpiosets().some((r) => r.pid === ownerPid && isOwner(r)), 'the owner gpioset in the log').then(() => ({ pid: ownerPid }));
    strays.push(owner.pid);
    expect(running(owner.pid)).toBe(true);
    const before = gpiosets().length;

    const killed = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await killed;

    await waitFor(() => !running(owner.pid), 'the owner gpioset to be gone after its parent was killed');
    const after = () => gpiosets().slice(before);
    await waitFor(() => after().some((r) => JSON.stringify(r.argv) === JSON.stringify(SAFE[flavour])), 'a one-shot gpioset with the safe levels after the kill');
    // The one-shot ran once, and nothing but it: the guardian then exits.
    expect(after().map((r) => r.argv)).toEqual([SAFE[flavour]]);
    const last = guardians[guardians.length - 1];
    await waitFor(() => !running(last), 'the guardian to exit after driving the safe levels');
  });

  test(`a normal release stops the guardian first: no guardian left, no gpioset run after the release (fake gpioset ${flavour})`, async () => {
    const g = await Libgpiod.open({ ...fakeTools(flavour), version: flavour === 'v1' ? 1 : 2 });
    const lines = await g.requestOutputs([
      { id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 1, safe: 0 },
      { id: 'boot', line: { chip: 'gpiochip0', offset: 27 }, initial: 0, safe: 0, activeLow: true },
    ]);
    await lines.set('relay', 0);
    await lines.set('relay', 1);
    const guardians = (lines as unknown as { guardians: number[] }).guardians;
    strays.push(...guardians);
    expect(guardians.length).toBeGreaterThan(0);
    const current = guardians[guardians.length - 1];
    expect(running(current)).toBe(true);
    await waitFor(() => guardians.slice(0, -1).every((p) => !running(p)), 'replaced guardians to be stopped');

    await lines.release();
    const count = gpiosets().length;
    // release() resolves after the guardian (the only thing that could still run gpioset) has exited.
    for (const p of guardians) expect(running(p)).toBe(false);
    // Its process group (sh and any `sleep`) is gone too.
    expect(groupMembers(current)).toEqual([]);
    expect(gpiosets().length).toBe(count);
  });
});

// v2 only: a v1 gpioset prints nothing on success, so the driver can only call it failed when it
// exits within a short window, which a loaded machine can miss; v2 waits for the prompt or the exit.
test('an owner that cannot take the lines leaves no guardian behind (fake gpioset v2)', async () => {
  const before = ourGuardians();
  const g = await Libgpiod.open({ ...fakeTools('v2'), version: 2 });
  await expect(g.requestOutputs([{ id: 'relay', line: { chip: 'nochip', offset: 17 }, initial: 1, safe: 0 }])).rejects.toThrow(/could not take the lines/);
  expect(ourGuardians().filter((p) => !before.includes(p))).toEqual([]);
});

test('without setpriv the owner is started as before, with no guardian, and the driver warns (fake gpioset v2)', async () => {
  // A PATH holding only what the fake gpioset runs on (bash and the tools it calls): setpriv is not found.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['bash', 'awk', 'sed', 'sleep']) symlinkSync(onPath(tool), join(bin, tool));
  const child = spawn(process.execPath, [join(FIXTURES, 'hold-lines.mjs'), 'v2', fakeTools('v2').gpioset], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: bin, FAKE_GPIO_LOG: logFile },
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const out = await waitForOutput(child.stdout!, /"holding":true.*\n/).catch((e: Error) => {
    throw new Error(`${e.message}\nstderr: ${err}`);
  });
  const { guardians, pids } = JSON.parse(out.trim().split('\n').pop()!) as { guardians: number[]; pids: number[] };
  strays.push(...pids);
  expect(guardians).toEqual([]);
  expect(err).toMatch(/warning: setpriv --pdeathsig is not available/);
});
