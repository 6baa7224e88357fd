/**
 * A product rig on a bench, assembled by openRig as on a Pi: one relay (fake gpioset v2: no kernel
 * GPIO here), a real socat pty per processor's console, each processor's openocd probe picked by
 * its adapterSerial (a fake openocd that records its argv: no probes here), and the shared NOR read
 * by the real flashrom on its dummy programmer while both resets are held.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { loadRig } from '../../src/config/index.js';
import { Console } from '../../src/drivers/console/console.js';
import { openSerialLink } from '../../src/drivers/console/serial-link.js';
import { ScaledClock } from '../../src/core/clock.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { ROOT } from '../cli/hil.js';
import { readLog } from '../gpio/helpers.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

const GPIO_FAKES = join(ROOT, 'test/gpio/fixtures/v2');
const savedPath = process.env.PATH;
const savedLog = process.env.FAKE_GPIO_LOG;
let rig: Rig | undefined;
const closers: (() => Promise<void>)[] = [];

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
  for (const c of closers.splice(0)) await c();
  await stopAllSocat();
});

interface Bench {
  rig: Rig;
  /** The device ends of the two consoles. */
  host: Console;
  radio: Console;
  gpioLog: string;
  openocdLog: string;
  nor: string;
}

async function bench(): Promise<Bench> {
  const dir = await tempDir('product-bench-');
  const gpioLog = join(dir, 'gpio.log');
  process.env.FAKE_GPIO_LOG = gpioLog;
  const openocdLog = join(dir, 'openocd.log');
  const fakeOpenocd = join(dir, 'openocd');
  writeFileSync(fakeOpenocd, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(openocdLog)}\necho "Error: fake openocd: no probe here" >&2\nexit 1\n`);
  chmodSync(fakeOpenocd, 0o755);
  const nor = join(dir, 'nor.bin');
  const content = Buffer.alloc(16 * 1024 * 1024, 0xff);
  content.write('host secondary', 0, 'latin1');
  writeFileSync(nor, content);
  const [h, r] = [await startSocatPair(), await startSocatPair()];
  const probe = (serial: string) => `{ driver: openocd, interface: interface/jlink.cfg, adapterSerial: "${serial}", binary: ${fakeOpenocd}, timeoutMs: 5000 }`;
  const file = join(dir, 'product.yaml');
  writeFileSync(
    file,
    [
      'scheme: multi-mcu-dfu',
      'gpio: { pins: { RELAY: { chip: gpiochip0, offset: 17 }, HOST_RESET: { chip: gpiochip0, offset: 27, activeLow: true }, RADIO_RESET: { chip: gpiochip0, offset: 22, activeLow: true }, LOCK: { chip: gpiochip0, offset: 25, direction: in, edge: both } } }',
      'power: { driver: relay, pin: RELAY, onSettleMs: 1, offSettleMs: 1, minOffMs: 10 }',
      'updater: { driver: fota }',
      'mcus:',
      '  host:',
      '    target: nrf9160',
      '    scheme: mcuboot-swap',
      `    console: { driver: serial, port: ${h.a}, baud: 115200 }`,
      `    probe: ${probe('000801012345')}`,
      '    reset: { pin: HOST_RESET, pulseMs: 5 }',
      '  radio:',
      '    target: nrf52840',
      '    scheme: mcuboot-swap',
      `    console: { driver: serial, port: ${r.a}, baud: 115200 }`,
      `    probe: ${probe('000801067890')}`,
      '    reset: { pin: RADIO_RESET, pulseMs: 5 }',
      `shared: { lock: { pin: LOCK }, flash: { part: W25Q32JV, sizeMiB: 4, reader: { driver: flashrom, programmer: "dummy:emulate=W25Q128FV,image=${nor}" } } }`,
    ].join('\n'),
  );
  const clock = new ScaledClock(1);
  const ends = await Promise.all([h.b, r.b].map((p) => openSerialLink(p, { baud: 115200, clock })));
  closers.push(...ends.map((l) => () => l.close()));
  rig = await openRig(await loadRig(file));
  return { rig, host: new Console({ link: ends[0]!, clock }), radio: new Console({ link: ends[1]!, clock }), gpioLog, openocdLog, nor };
}

const sets = (log: string) =>
  readLog(log)
    .map((r) => (r as { stdin?: string }).stdin)
    .filter((s): s is string => typeof s === 'string' && s.startsWith('set'));

describe('product rig on a bench (fake gpioset v2, real socat ptys, fake openocd recording argv, real flashrom dummy)', () => {
  test('one console per processor, merged as "<member>| text"; the rig console writes to the host', async () => {
    const b = await bench();
    await b.host.write('I: Starting bootloader\n');
    await b.radio.write('hilrig-app 1.0.0 running from slot primary @0x0000c200\n');
    await b.rig.console.expect(/^radio\| hilrig-app 1\.0\.0/, { timeoutMs: 20_000, fromLine: 0 });
    await b.rig.console.expect(/^host\| I: Starting bootloader$/, { timeoutMs: 20_000, fromLine: 0 });
    expect(b.rig.mcus!.radio!.console.lines.map((l) => l.text)).toEqual(['hilrig-app 1.0.0 running from slot primary @0x0000c200']);
    await b.rig.console.write('version?\n');
    await b.host.expect(/^version\?$/, { timeoutMs: 20_000, fromLine: 0 });
    expect(b.radio.lines).toEqual([]);
  });

  test('the lock line (an input) is watched into the timeline (fake gpiomon: two edges)', async () => {
    const b = await bench();
    await waitFor('two lock edges', () => b.rig.timeline.events.filter((e) => e.kind === 'lock-edge').length >= 2);
    expect(b.rig.timeline.events.find((e) => e.kind === 'lock-edge')).toMatchObject({ source: 'gpio', detail: 'LOCK' });
  });

  test("each processor's reset pulses its own line", async () => {
    const b = await bench();
    const before = sets(b.gpioLog).length;
    await b.rig.mcus!.radio!.reset();
    const pulses = sets(b.gpioLog).slice(before);
    expect(pulses.some((s) => /\b22=/.test(s))).toBe(true);
    expect(pulses.some((s) => /\b27=/.test(s))).toBe(false);
  });

  test('the product probe routes the radio flash to the radio probe (its adapterSerial, real address = virtual - 0x100000)', async () => {
    const b = await bench();
    await expect(b.rig.probe!.program(0x10_c000, Buffer.alloc(16, 0x5a))).rejects.toThrow();
    const runs = readFileSync(b.openocdLog, 'utf8').trim().split('\n');
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run).toContain('adapter serial {000801067890}');
      expect(run).not.toContain('000801012345');
      expect(run).toMatch(/program \S+ 0x0*c000\b/i);
    }
  });

  test('the shared flash is read by flashrom with both processors held in reset, at SPI address = virtual - 0x200000', async () => {
    const b = await bench();
    const before = sets(b.gpioLog).length;
    const d = await b.rig.probe!.dump([{ name: 'host-secondary', base: 0x20_0000, size: 14 }]);
    expect(d['host-secondary']!.toString('latin1')).toBe('host secondary');
    const during = sets(b.gpioLog).slice(before).join(' | ');
    // Both resets asserted (activeLow: wire 0) before the read, released (wire 1) after.
    await waitFor('both resets released', () => /27=1/.test(sets(b.gpioLog).slice(before).join(' ')) && /22=1/.test(sets(b.gpioLog).slice(before).join(' ')));
    expect(during).toMatch(/27=0/);
    expect(during).toMatch(/22=0/);
  });
});
