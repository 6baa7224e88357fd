/**
 * The console of a real bench (fake gpioset v2 for the relay: no kernel GPIO here; the port is a
 * real socat pty): an adapter powered by the board appears only once the relay is on, and a port
 * that vanishes mid-run comes back as a noted gap.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRig } from '../../src/config/index.js';
// openRig's own bench assembly is under test (powering on to find the port, failing to open, the marker watcher stopping on close): no useRig fixture.
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { ROOT } from '../cli/hil.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';
import { readLog } from '../gpio/helpers.js';

const GPIO_FAKES = join(ROOT, 'test/gpio/fixtures/v2');
const savedPath = process.env.PATH;
const savedLog = process.env.FAKE_GPIO_LOG;
let rig: Rig | undefined;

beforeAll(() => {
  for (const t of ['gpioset', 'gpiomon', 'gpiofind']) chmodSync(join(GPIO_FAKES, t), 0o755);
  process.env.PATH = `${GPIO_FAKES}:${savedPath}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  if (savedLog === undefined) delete process.env.FAKE_GPIO_LOG;
  else process.env.FAKE_GPIO_LOG = savedLog;
});
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await stopAllSocat();
});

async function benchRig(dir: string, port: string, reconnectMs: number): Promise<string> {
  const file = join(dir, 'bench.yaml');
  await writeFile(
    file,
    [
      'target: rp2040',
      'scheme: sfu-ab',
      'gpio: { pins: { RELAY: { chip: gpiochip0, offset: 17 } } }',
      'power: { driver: relay, pin: RELAY, onSettleMs: 1, offSettleMs: 1, minOffMs: 10 }',
      `console: { driver: serial, port: ${port}, baud: 115200, reconnectMs: ${reconnectMs} }`,
      'updater: { driver: sfu }',
    ].join('\n'),
  );
  return file;
}

function relayOn(log: string): boolean {
  return existsSync(log) && readFileSync(log, 'utf8').includes('"stdin":"set 17=1"');
}

describe('bench console (fake gpioset v2, real socat pty)', () => {
  test('a board-powered adapter: opening the rig powers the board and waits for the port to appear', async () => {
    const dir = await tempDir('hil-bench-console-');
    process.env.FAKE_GPIO_LOG = join(dir, 'gpio.log');
    const portDir = await tempDir('hil-adapter-');
    const port = join(portDir, 'a');
    // The "adapter" enumerates only once the relay has switched the board on.
    const appear = (async () => {
      await waitFor('the relay switched on', () => relayOn(process.env.FAKE_GPIO_LOG!));
      await new Promise((r) => setTimeout(r, 300)); // the adapter enumerates a while after power: part of the scenario, not a wait
      return startSocatPair(portDir);
    })();
    rig = await openRig(await loadRig(await benchRig(dir, port, 5000)));
    const pair = await appear;
    expect(rig.power.state).toBe('on');
    expect(rig.timeline.events.find((e) => e.kind === 'absent')?.detail).toContain('powering on to find it');
    // The link is live: device bytes reach the console.
    const { SerialPort } = await import('serialport');
    const dev = new SerialPort({ path: pair.b, baudRate: 115200 });
    await new Promise((r) => dev.on('open', r));
    dev.write('hello from the board\n');
    await rig.console.expect(/hello from the board/, { timeoutMs: 3000, fromLine: 0 });
    await new Promise((r) => dev.close(r));
  });

  test('the port never appears: a RigError naming the port and the wait, and the rig is left safe', async () => {
    const dir = await tempDir('hil-bench-console-');
    process.env.FAKE_GPIO_LOG = join(dir, 'gpio.log');
    const file = await benchRig(dir, '/dev/serial/by-id/usb-not-plugged-in', 300);
    await expect(openRig(await loadRig(file))).rejects.toThrow(/serial port \/dev\/serial\/by-id\/usb-not-plugged-in did not appear within 300 ms of powering the board/);
    const story = readFileSync(process.env.FAKE_GPIO_LOG!, 'utf8');
    expect(story).toContain('"stdin":"set 17=1"');
    expect(story.trim().split('\n').pop()).toContain('SIGTERM');
  });

  test('a port that vanishes after a cut comes back to the same console, and the transcript shows the gap', async () => {
    const dir = await tempDir('hil-bench-console-');
    process.env.FAKE_GPIO_LOG = join(dir, 'gpio.log');
    const portDir = await tempDir('hil-adapter-');
    const first = await startSocatPair(portDir);
    rig = await openRig(await loadRig(await benchRig(dir, first.a, 5000)));
    await first.kill('SIGTERM');
    await waitFor('the console to note the port gone', () => /\[hil\] serial .* gone/.test(rig!.console.transcript()));
    const second = await startSocatPair(portDir);
    const { SerialPort } = await import('serialport');
    const dev = new SerialPort({ path: second.b, baudRate: 115200 });
    await new Promise((r) => dev.on('open', r));
    // Bytes written before the console reopened the port would be lost: wait for the reopen itself.
    await waitFor('the console to reopen the port', () => /\[hil\] serial .* back after \d+ ms/.test(rig!.console.transcript()));
    dev.write('booted again\n');
    await rig.console.expect(/booted again/, { timeoutMs: 5000, fromLine: 0 });
    const transcript = rig.console.transcript();
    expect(transcript).toMatch(/\[hil\] serial .* gone/);
    expect(transcript).toMatch(/\[hil\] serial .* back after \d+ ms/);
    await new Promise((r) => dev.close(r));
  });

  test('the marker input: gpiomon edges reach rig.marker, and its watcher stops with the rig (fake gpiomon v2)', async () => {
    const dir = await tempDir('hil-bench-marker-');
    process.env.FAKE_GPIO_LOG = join(dir, 'gpio.log');
    const portDir = await tempDir('hil-adapter-');
    const pair = await startSocatPair(portDir);
    const file = await benchRig(dir, pair.a, 1000);
    await writeFile(
      file,
      readFileSync(file, 'utf8').replace('RELAY: { chip: gpiochip0, offset: 17 } }', 'RELAY: { chip: gpiochip0, offset: 17 }, MARK: { chip: gpiochip0, offset: 5, direction: in, edge: both } }') +
        '\nmarker: { pin: MARK }\n',
    );
    rig = await openRig(await loadRig(file));
    let edges = 0;
    const off = rig.marker!(() => edges++);
    await waitFor('two marker edges', () => edges >= 2);
    expect(edges).toBe(2);
    off();
    const mon = readLog(process.env.FAKE_GPIO_LOG!).find((r) => r.tool === 'gpiomon')!;
    expect(mon.argv).toEqual(['-e', 'both', '-C', 'hil', '--format=%E %o', '-c', 'gpiochip0', '--', '5']);
    await rig.close();
    rig = undefined;
    const after = readFileSync(process.env.FAKE_GPIO_LOG!, 'utf8');
    expect(after).toContain(`{"pid":${mon.pid},"signal":"SIGTERM"}`);
  });

  test('Ctrl-C in a process without its own handler (a hil run worker): safe levels, then exit 130', async () => {
    const dir = await tempDir('hil-bench-sigint-');
    const gpioLog = join(dir, 'gpio.log');
    const portDir = await tempDir('hil-adapter-');
    const pair = await startSocatPair(portDir);
    const file = await benchRig(dir, pair.a, 1000);
    const { execa } = await import('execa');
    const child = execa(process.execPath, [join(ROOT, 'test/rig/fixtures/hold-bench.mjs'), file], { cwd: ROOT, reject: false, env: { ...process.env, FAKE_GPIO_LOG: gpioLog } });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await waitFor('the bench to report powered', () => out.includes('powered'));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const stdin = readLog(gpioLog).flatMap((x) => (x.stdin ? [x.stdin] : []));
    expect(stdin).toEqual(['set 17=1', 'set 17=0']);
  });
});
