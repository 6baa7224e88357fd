// A slow or failing libgpiod tool is never read as success (issue 9 item 6). Every misbehaviour is
// a mode of the fake tools (fixtures/fake-libgpiod.sh); "late" is a gate file the test creates, so
// nothing here depends on how fast the machine is. The small timeoutMs values are the hang guard
// under test (a tool that never answers), not a speed limit.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from '../../src/core/errors.js';
import { Libgpiod } from '../../src/drivers/gpio/libgpiod.js';
import { releaseOnExit, type GpioLines, type HookProcess } from '../../src/drivers/gpio/lines.js';
import { alive, fakeTools, readLog, removeDir, tempDir, waitFor } from './helpers.js';

let dir: string;
let logFile: string;
let gate: string;
const open: GpioLines[] = [];
const MODES = ['FAKE_GPIO_LOG', 'FAKE_GPIO_GATE', 'FAKE_GPIO_OWNER', 'FAKE_GPIO_ONESHOT', 'FAKE_GPIOFIND'];

beforeEach(() => {
  dir = tempDir('gpiod-slow');
  logFile = join(dir, 'argv.log');
  gate = join(dir, 'gate');
  process.env.FAKE_GPIO_LOG = logFile;
  process.env.FAKE_GPIO_GATE = gate;
});
afterEach(async () => {
  delete process.env.FAKE_GPIO_ONESHOT;
  for (const l of open.splice(0)) await l.release().catch(() => {});
  for (const r of readLog(logFile)) if (r.tool && alive(r.pid)) process.kill(r.pid, 'SIGKILL');
  for (const k of MODES) delete process.env[k];
  jest.restoreAllMocks();
  removeDir(dir);
});

const owners = () => readLog(logFile).filter((r) => r.tool === 'gpioset' && (r.argv?.includes('-i') || r.argv?.includes('--mode=signal')));
const spec = { id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 1 as const, safe: 0 as const };

async function request(g: Libgpiod): Promise<GpioLines> {
  const l = await g.requestOutputs([spec]);
  open.push(l);
  return l;
}

/** Captures what the driver writes to stderr (the exit hook's only voice). */
function stderrText(): () => string {
  let text = '';
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += chunk.toString();
    return true;
  });
  return () => text;
}

describe('v2 owner (fake gpioset v2)', () => {
  test('an owner that never prints its prompt is a RigError naming gpioset and the prompt, not a "no prompt" success (fake silent gpioset v2)', async () => {
    process.env.FAKE_GPIO_OWNER = 'silent';
    const g = await Libgpiod.open({ ...fakeTools('v2'), timeoutMs: 500 });
    const err = await g.requestOutputs([spec]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/gpioset.*no "gpioset>" prompt within 500 ms/);
    await waitFor(() => owners().length === 1 && !alive(owners()[0].pid), 'the silent owner killed');
  });

  test('a slow owner is waited for until its prompt (fake slow-start gpioset v2)', async () => {
    process.env.FAKE_GPIO_OWNER = 'slow-start';
    const g = await Libgpiod.open(fakeTools('v2'));
    const pending = request(g);
    await waitFor(() => owners().length === 1, 'the owner started');
    writeFileSync(gate, '');
    const lines = await pending;
    await lines.set('relay', 0);
    expect(lines.get('relay')).toBe(0);
  });

  test('a slow owner that then fails is the failure, with its message (fake late-fail gpioset v2)', async () => {
    process.env.FAKE_GPIO_OWNER = 'late-fail';
    const g = await Libgpiod.open(fakeTools('v2'));
    const pending = g.requestOutputs([spec]).catch((e: unknown) => e);
    await waitFor(() => owners().length === 1, 'the owner started');
    writeFileSync(gate, '');
    const err = await pending;
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/exit 1: gpioset: error requesting GPIO lines: Device or resource busy/);
  });

  test('release: a failing safe-levels one-shot is a RigError and a line on stderr (fake failing one-shot gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await request(g);
    // Kill the owner so release() has to fall back to the one-shot.
    const owner = owners()[0].pid;
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !alive(owner), 'the owner gone');
    process.env.FAKE_GPIO_ONESHOT = 'fail';
    const said = stderrText();
    const err = await lines.release().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/safe levels \(relay=0\) were NOT driven: .*exit 1: .*Device or resource busy/);
    expect(said()).toMatch(/safe levels \(relay=0\) were NOT driven/);
  });

  test('exit hook: a hung safe-levels one-shot is reported on stderr, naming gpioset and the wait (fake hanging one-shot gpioset v2)', async () => {
    const g = await Libgpiod.open({ ...fakeTools('v2'), timeoutMs: 500 });
    const lines = await request(g);
    process.env.FAKE_GPIO_ONESHOT = 'hang';
    const said = stderrText();
    const proc = new EventEmitter();
    const off = releaseOnExit(lines, { proc: proc as unknown as HookProcess, exit: null });
    proc.emit('exit', 0);
    off();
    expect(said()).toMatch(/safe levels \(relay=0\) were NOT driven: .*gpioset did not exit within 500 ms/);
  });
});

describe('v1 holder (fake gpioset v1)', () => {
  test('a holder failing after the settle window is a RigError on the next set, not a silent success (fake late-fail gpioset v1)', async () => {
    process.env.FAKE_GPIO_OWNER = 'late-fail';
    const g = await Libgpiod.open(fakeTools('v1'));
    const lines = await request(g);
    await waitFor(() => owners().length === 1, 'the holder started');
    const holder = owners()[0].pid;
    writeFileSync(gate, '');
    await waitFor(() => !alive(holder), 'the holder failed');
    const err = await lines.set('relay', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/exited on its own \(exit 1: gpioset: error requesting GPIO lines: Device or resource busy\), so the lines were not held/);
    expect(lines.get('relay')).toBe(1);
  });

  test('release reports a holder that had died, after driving the safe levels (fake late-fail gpioset v1)', async () => {
    process.env.FAKE_GPIO_OWNER = 'late-fail';
    const g = await Libgpiod.open(fakeTools('v1'));
    const lines = await request(g);
    await waitFor(() => owners().length === 1, 'the holder started');
    const holder = owners()[0].pid;
    writeFileSync(gate, '');
    await waitFor(() => !alive(holder), 'the holder failed');
    const err = await lines.release().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/safe levels driven; but earlier .*exited on its own/);
    const last = readLog(logFile).filter((r) => r.tool === 'gpioset' && r.argv?.[0] === '--mode=exit');
    expect(last.at(-1)?.argv).toEqual(['--mode=exit', '--', 'gpiochip0', '17=0']);
  });

  test('release: a failing --mode=exit one-shot is a RigError naming the safe levels (fake failing one-shot gpioset v1)', async () => {
    const g = await Libgpiod.open(fakeTools('v1'));
    const lines = await request(g);
    process.env.FAKE_GPIO_ONESHOT = 'fail';
    const said = stderrText();
    const err = await lines.release().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/safe levels \(relay=0\) were NOT driven/);
    expect(said()).toMatch(/NOT driven/);
  });

  test('a gpiofind that never answers is a RigError saying so, not "no line named" (fake hanging gpiofind v1)', async () => {
    process.env.FAKE_GPIOFIND = 'hang';
    const g = await Libgpiod.open({ ...fakeTools('v1'), timeoutMs: 500 });
    const err = await g.requestOutputs([{ ...spec, line: { name: 'GPIO17' } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/gpiofind did not answer within 500 ms resolving line "GPIO17"/);
  });
});
