/**
 * A whole cut on a bench rig file, through the real-bench drivers: the "board" is a twin served
 * on a real pty (`hil twin serve --power-signals`), the "relay" a fake gpioset v2 that forwards
 * its line to the twin's power (no kernel GPIO here), the console a reconnecting serialport link,
 * the upload the SFU uploader over that pty. No probe: the verdict is console-only, and says so.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { chmodSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { hil, hilBackground, ROOT } from '../cli/hil.js';
import { stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';
import { readLog } from '../gpio/helpers.js';

const GPIO_FAKES = join(ROOT, 'test/gpio/fixtures/v2');
let served: ResultPromise | undefined;

afterEach(async () => {
  served?.kill('SIGINT');
  await served;
  served = undefined;
  await stopAllSocat();
});

async function serveTwin(): Promise<{ path: string; pid: number }> {
  served = hilBackground(['twin', 'serve', '--rig', 'twin-rp2040-sfu', '--power-signals']);
  let out = '';
  served.stdout!.on('data', (d) => (out += d));
  await waitFor('hil twin serve to print its path', () => out.includes('\n'));
  return { path: out.split('\n')[0]!.trim(), pid: served.pid! };
}

describe('a cut on a bench rig (twin served on a pty, fake relay)', () => {
  test('hil cut uploads over the serial link, cuts through the relay, and judges the reboot from the console', async () => {
    for (const t of ['gpioset', 'gpiomon', 'gpiofind']) chmodSync(join(GPIO_FAKES, t), 0o755);
    const board = await serveTwin();
    const dir = await tempDir('hil-bench-e2e-');
    const rig = join(dir, 'bench.yaml');
    await writeFile(
      rig,
      [
        'name: bench-e2e',
        'target: rp2040',
        'scheme: sfu-ab',
        'gpio: { pins: { RELAY: { chip: gpiochip0, offset: 17 } } }',
        'power: { driver: relay, pin: RELAY, onSettleMs: 5, offSettleMs: 5, minOffMs: 50, offMs: 100 }',
        `console: { driver: serial, port: ${board.path}, baud: 921600 }`,
        'updater: { driver: sfu }',
        'boot: { timeoutMs: 8000 }',
      ].join('\n'),
    );
    const r = await hil(['cut', '--rig', rig, '--from', 'firmware/app-v1.page2bin', '--to', 'firmware/app-v2.page2bin', '--trigger', 'progress:50%', '--json'], {
      env: { PATH: `${GPIO_FAKES}:${process.env.PATH}`, FAKE_GPIO_LOG: join(dir, 'gpio.log'), FAKE_RELAY_PID: String(board.pid), FAKE_RELAY_LINE: '17' },
      timeoutMs: 90000,
    });
    const doc = JSON.parse(r.stdout);
    expect(doc.outcome).toBe('rolled-back');
    expect(r.exitCode).toBe(0);
    expect(doc.fromConsole).toBe('rolled-back');
    expect(doc.fromFlash).toBe('not-inspected');
    expect(doc.reasons[0]).toContain('console-only verdict');
    expect(doc.fire.acked).toBeGreaterThan(0);
    // The relay went off and on around the cut, and ended in the safe state.
    const stdin = readLog(join(dir, 'gpio.log')).flatMap((x) => (x.stdin ? [x.stdin] : []));
    expect(stdin.filter((x) => x === 'set 17=0').length).toBeGreaterThanOrEqual(2);
    expect(stdin.at(-1)).toBe('set 17=0');
  });
});
