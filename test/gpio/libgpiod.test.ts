import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { RigError } from '../../src/core/errors.js';
import { detectLibgpiodVersion, Libgpiod } from '../../src/drivers/gpio/libgpiod.js';
import { releaseOnExit, type GpioLines, type HookProcess } from '../../src/drivers/gpio/lines.js';
import { alive, fakeTools, readLog, removeDir, tempDir, waitFor, type LogRecord } from './helpers.js';

let dir: string;
let logFile: string;
const open: GpioLines[] = [];
const pids: number[] = [];

beforeEach(() => {
  dir = tempDir('gpiod');
  logFile = join(dir, 'argv.log');
  process.env.FAKE_GPIO_LOG = logFile;
});
afterEach(async () => {
  for (const l of open.splice(0)) await l.release();
  for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  delete process.env.FAKE_GPIO_LOG;
  removeDir(dir);
});

const log = () => readLog(logFile);
const argvs = (tool: string) =>
  log()
    .filter((r) => r.tool === tool && r.argv?.[0] !== '--version')
    .map((r) => r.argv!);
const stdinOf = (pid: number) =>
  log()
    .filter((r) => r.pid === pid && r.stdin !== undefined)
    .map((r) => r.stdin);

async function request(g: Libgpiod, ...specs: Parameters<Libgpiod['requestOutputs']>[0]): Promise<GpioLines> {
  const l = await g.requestOutputs(specs);
  open.push(l);
  return l;
}

/** pids of the long-lived fake gpioset processes that logged an argv with `-i` or `--mode=signal`. */
function owners(): LogRecord[] {
  return log().filter((r) => r.tool === 'gpioset' && (r.argv?.includes('-i') || r.argv?.includes('--mode=signal')));
}

/**
 * v1 holders print nothing on success, so the driver returns once gpioset has not failed for a
 * moment, which can be before a (Node) fake has even logged its argv on a loaded machine: wait for
 * the log, which is the fake's "I hold the lines", instead of reading it at once.
 */
async function holders(n: number): Promise<LogRecord[]> {
  await waitFor(() => owners().length >= n, `${n} gpioset holder(s) in the fake's log`);
  return owners();
}

describe('libgpiod version detection', () => {
  test('gpioset --version: v1.6.3 -> 1, v2.1.3 -> 2 (fake gpioset v1, fake gpioset v2)', async () => {
    expect((await detectLibgpiodVersion(fakeTools('v1').gpioset)).major).toBe(1);
    expect((await detectLibgpiodVersion(fakeTools('v2').gpioset)).major).toBe(2);
    expect((await Libgpiod.open(fakeTools('v2'))).name).toBe('libgpiod-v2');
  });

  test('missing gpioset is a RigError naming the package (no binary)', async () => {
    const p = detectLibgpiodVersion(join(dir, 'no-such-gpioset'));
    await expect(p).rejects.toThrow(RigError);
    await expect(p).rejects.toThrow(/not found.*apt install gpiod/);
  });
});

describe('libgpiod v2: one long-lived gpioset -i owns the outputs (fake gpioset v2)', () => {
  test('v2 syntax, initial levels with active-low inversion, sets written through the one owner, killed on release (fake gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await request(
      g,
      { id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 0, safe: 0, activeLow: true },
      { id: 'boot', line: { chip: 'gpiochip0', offset: 27 }, initial: 1, safe: 0 },
    );
    expect(argvs('gpioset')).toEqual([['-c', 'gpiochip0', '-C', 'hil', '-i', '--', '17=1', '27=1']]);
    const [owner] = owners();
    expect(alive(owner.pid)).toBe(true);
    await lines.set('relay', 1);
    await lines.set('relay', 0);
    await lines.set('boot', 0);
    expect(lines.get('relay')).toBe(0);
    expect(lines.get('boot')).toBe(0);
    expect(stdinOf(owner.pid)).toEqual(['set 17=0', 'set 17=1', 'set 27=0']);
    await lines.release();
    await lines.release(); // idempotent
    expect(stdinOf(owner.pid)).toEqual(['set 17=0', 'set 17=1', 'set 27=0', 'set 17=1 27=0']);
    expect(log().some((r) => r.pid === owner.pid && r.signal === 'SIGTERM')).toBe(true);
    expect(alive(owner.pid)).toBe(false);
    // one gpioset process for the whole run
    expect(argvs('gpioset')).toHaveLength(1);
    await expect(lines.set('relay', 1)).rejects.toThrow(/already released/);
  });

  test('lines by name are passed as NAME=value without -c (fake gpioset v2)', async () => {
    const g = await Libgpiod.open({ ...fakeTools('v2'), consumer: 'rig-7' });
    const lines = await request(g, { id: 'relay', line: { name: 'GPIO17' }, initial: 1, safe: 0 });
    expect(argvs('gpioset')).toEqual([['-C', 'rig-7', '-i', '--', 'GPIO17=1']]);
    await lines.set('relay', 0);
    expect(stdinOf(owners()[0].pid)).toEqual(['set GPIO17=0']);
  });

  test('an owner that died is respawned with the intended levels on its command line (fake gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await request(g, { id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 0, safe: 0 });
    const first = owners()[0].pid;
    process.kill(first, 'SIGKILL');
    // Reaped (kill(pid, 0) fails) only once Node's exit handler ran, which is what the driver checks.
    await waitFor(() => !alive(first), 'the killed owner reaped');
    await lines.set('relay', 1);
    const all = owners();
    expect(all).toHaveLength(2);
    expect(all[1].argv).toEqual(['-c', 'gpiochip0', '-C', 'hil', '-i', '--', '17=1']);
  });

  test('a gpioset error reply is a RigError; a missing chip fails the request (fake gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await request(g, { id: 'bad', line: { name: 'BAD' }, initial: 0, safe: 0 });
    await expect(lines.set('bad', 1)).rejects.toThrow(/gpioset refused "set BAD=1": error: unknown line "BAD"/);
    await expect(g.requestOutputs([{ id: 'r', line: { chip: 'nochip', offset: 1 }, initial: 0, safe: 0 }])).rejects.toThrow(/could not take the lines.*No such file or directory/);
  });

  test('inputs: gpiomon -e both --format, edges parsed and active-low inverted, killed on close (fake gpiomon v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const seen: unknown[] = [];
    const w = await g.watch({ line: { chip: 'gpiochip0', offset: 5 }, edge: 'both', activeLow: true }, (e) => seen.push(e));
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual([
      { edge: 'falling', level: 0 },
      { edge: 'rising', level: 1 },
    ]);
    expect(argvs('gpiomon')).toEqual([['-e', 'both', '-C', 'hil', '--format=%E %o', '-c', 'gpiochip0', '--', '5']]);
    const pid = log().find((r) => r.tool === 'gpiomon')!.pid;
    await w.close();
    expect(alive(pid)).toBe(false);
  });
});

describe('libgpiod v1 (fake gpioset v1)', () => {
  test('v1 syntax: --mode=signal chip offset=value; each set replaces the holder; release runs --mode=exit with safe levels (fake gpioset v1)', async () => {
    const g = await Libgpiod.open(fakeTools('v1'));
    expect(g.version).toBe(1);
    const lines = await request(g, { id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 0, safe: 0, activeLow: true });
    await holders(1); // the first holder is up before it is replaced
    await lines.set('relay', 1);
    const both = await holders(2);
    expect(both.map((h) => h.argv)).toEqual([
      ['--mode=signal', '--', 'gpiochip0', '17=1'],
      ['--mode=signal', '--', 'gpiochip0', '17=0'],
    ]);
    expect(log().some((r) => r.pid === both[0].pid && r.signal === 'SIGTERM')).toBe(true);
    await lines.release();
    expect(alive(both[1].pid)).toBe(false);
    expect(argvs('gpioset').at(-1)).toEqual(['--mode=exit', '--', 'gpiochip0', '17=1']);
  });

  test('v1 line names go through gpiofind; gpiomon uses -r and %e (fake gpiofind v1, fake gpiomon v1)', async () => {
    const g = await Libgpiod.open(fakeTools('v1'));
    const lines = await request(g, { id: 'relay', line: { name: 'GPIO17' }, initial: 1, safe: 0 });
    expect(argvs('gpiofind')).toEqual([['--', 'GPIO17']]);
    expect((await holders(1)).map((h) => h.argv)).toEqual([['--mode=signal', '--', 'gpiochip0', '17=1']]);
    expect(lines.resolved).toEqual([{ id: 'relay', chip: 'gpiochip0', offset: 17 }]);
    await expect(g.requestOutputs([{ id: 'x', line: { name: 'MISSING' }, initial: 0, safe: 0 }])).rejects.toThrow(/no line named "MISSING"/);
    const seen: unknown[] = [];
    const w = await g.watch({ line: { chip: 'gpiochip0', offset: 6 }, edge: 'rising' }, (e) => seen.push(e));
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual([
      { edge: 'rising', level: 1 },
      { edge: 'falling', level: 0 },
    ]);
    expect(argvs('gpiomon')).toEqual([['-r', '--format=%e %o', '--', 'gpiochip0', '6']]);
    await w.close();
  });
});

describe('hostile names reach the tools as single argv elements', () => {
  const hostile = ['a b; rm -rf /', '$(reboot)', '--help'];

  test.each(hostile)('chip %j is one argv element after -c (fake gpioset v2)', async (chip) => {
    const g = await Libgpiod.open(fakeTools('v2'));
    await request(g, { id: 'r', line: { chip, offset: 3 }, initial: 1, safe: 0 });
    expect(argvs('gpioset')).toEqual([['-c', chip, '-C', 'hil', '-i', '--', '3=1']]);
  });

  test.each(['$(reboot)', '--help', '`id`'])('line name %j is one argv element after -- and one stdin token (fake gpioset v2)', async (name) => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await request(g, { id: 'r', line: { name }, initial: 1, safe: 0 });
    await lines.set('r', 0);
    expect(argvs('gpioset')).toEqual([['-C', 'hil', '-i', '--', `${name}=1`]]);
    expect(stdinOf(owners()[0].pid)).toEqual([`set ${name}=0`]);
  });

  test('a v2 line name with whitespace is refused (gpioset -i could not address it) (fake gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    await expect(g.requestOutputs([{ id: 'r', line: { name: 'a b; rm -rf /' }, initial: 0, safe: 0 }])).rejects.toThrow(/contains whitespace/);
    expect(argvs('gpioset')).toEqual([]);
  });

  test.each(hostile)('v1: name %j goes to gpiofind and chip to gpioset as one element each (fake gpioset v1)', async (bad) => {
    const g = await Libgpiod.open(fakeTools('v1'));
    await request(g, { id: 'n', line: { name: bad }, initial: 0, safe: 0 });
    await request(g, { id: 'c', line: { chip: bad, offset: 2 }, initial: 1, safe: 0 });
    expect(argvs('gpiofind')).toEqual([['--', bad]]);
    // Two holders started one right after the other: their logs may come in either order.
    const argvOf = (await holders(2)).map((h) => h.argv);
    expect(argvOf).toHaveLength(2);
    expect(argvOf).toEqual(
      expect.arrayContaining([
        ['--mode=signal', '--', 'gpiochip0', '17=0'],
        ['--mode=signal', '--', bad, '2=1'],
      ]),
    );
  });
});

describe('release hooks', () => {
  test('SIGINT-style hook returns the lines to safe levels and kills the owner; registering twice is a no-op (fake gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await request(g, { id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 0, safe: 0, activeLow: true });
    await lines.set('relay', 1);
    const proc = new EventEmitter();
    const exits: number[] = [];
    const off1 = releaseOnExit(lines, { proc: proc as unknown as HookProcess, exit: (c) => exits.push(c) });
    const off2 = releaseOnExit(lines, { proc: proc as unknown as HookProcess, exit: (c) => exits.push(c) });
    expect(proc.listenerCount('SIGINT')).toBe(1);
    expect(proc.listenerCount('exit')).toBe(1);
    proc.emit('SIGINT', 'SIGINT');
    await waitFor(() => exits.length === 1);
    expect(exits).toEqual([130]);
    const owner = owners()[0].pid;
    expect(stdinOf(owner)).toEqual(['set 17=0', 'set 17=1']);
    expect(alive(owner)).toBe(false);
    expect(lines.get('relay')).toBe(0);
    off1();
    off2();
    expect(proc.listenerCount('SIGINT')).toBe(0);
    expect(proc.listenerCount('exit')).toBe(0);
  });

  test('process exit hook: synchronous kill + one-shot gpioset -t 0 with the safe levels (fake gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await request(g, { id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 1, safe: 0 });
    const proc = new EventEmitter();
    const off = releaseOnExit(lines, { proc: proc as unknown as HookProcess, exit: null });
    proc.emit('exit', 0);
    const owner = owners()[0].pid;
    await waitFor(() => !alive(owner));
    expect(argvs('gpioset').at(-1)).toEqual(['-c', 'gpiochip0', '-C', 'hil', '-t', '0', '--', '17=0']);
    off();
  });
});
