import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualClock } from '../../src/core/clock.js';
import { RigError } from '../../src/core/errors.js';
import { Timeline } from '../../src/core/timeline.js';
import { Libgpiod } from '../../src/drivers/gpio/libgpiod.js';
import type { GpioLines, Level } from '../../src/drivers/gpio/lines.js';
import { RelayPower } from '../../src/drivers/power/relay.js';
import { parseUhubctlNewStatus, UhubctlPower } from '../../src/drivers/power/uhubctl.js';
import { FIXTURES, fakeTools, readLog, removeDir, tempDir } from './helpers.js';

/** In-memory GpioLines that records each set with the virtual time it happened at. */
function memLines(clock: VirtualClock, initial: Level) {
  const sets: { t: number; level: Level }[] = [];
  let level = initial;
  const lines: GpioLines = {
    backend: 'memory',
    resolved: [],
    set: async (id, l) => {
      if (id !== 'relay') throw new RigError('no such line');
      sets.push({ t: clock.now(), level: l });
      level = l;
    },
    get: (id) => {
      if (id !== 'relay') throw new RigError('no such line');
      return level;
    },
    release: async () => {},
    releaseSync: () => {},
  };
  return { lines, sets };
}

describe('RelayPower (in-memory lines, virtual clock)', () => {
  test('cycle(50) with minOffMs 300 is clamped up, and the clamp is on the timeline and in the log (virtual clock)', async () => {
    const clock = new VirtualClock();
    const timeline = new Timeline(clock);
    const { lines, sets } = memLines(clock, 0);
    const logs: string[] = [];
    const p = new RelayPower({ lines, line: 'relay', clock, timeline, poweredLevel: 0, onSettleMs: 15, offSettleMs: 10, minOffMs: 300, log: (m) => logs.push(m) });
    expect(p.state).toBe('on'); // poweredLevel 0: DUT on the NC contact
    await p.cycle(50);
    // off edge at 0, contacts open at 10, 300 ms off, on edge at 310, settled at 325
    expect(sets).toEqual([
      { t: 0, level: 1 },
      { t: 310, level: 0 },
    ]);
    expect(clock.now()).toBe(325);
    expect(timeline.events.map((e) => e.kind)).toEqual(['cycle-clamped', 'off', 'on']);
    expect(timeline.events[0].data).toEqual({ requestedMs: 50, offMs: 300 });
    expect(logs).toEqual(['relay: off time 50 ms clamped to 300 ms (relay minOffMs, so the target reaches power-on reset)']);
    expect(p.state).toBe('on');
    clock.dispose();
  });

  test('cycle(1000) above the minimum is not clamped; default poweredLevel 1 (DUT on the NO contact) (virtual clock)', async () => {
    const clock = new VirtualClock();
    const timeline = new Timeline(clock);
    const { lines, sets } = memLines(clock, 0);
    const p = new RelayPower({ lines, line: 'relay', clock, timeline, onSettleMs: 0, offSettleMs: 0, minOffMs: 300 });
    expect(p.state).toBe('off');
    await p.on();
    expect(p.state).toBe('on');
    await p.cycle(1000);
    expect(sets.map((s) => [s.t, s.level])).toEqual([
      [0, 1],
      [0, 0],
      [1000, 1],
    ]);
    expect(timeline.events.map((e) => e.kind)).toEqual(['on', 'off', 'on']);
    await expect(p.cycle(-1)).rejects.toThrow(RigError);
    expect(() => new RelayPower({ lines, line: 'nope', clock })).toThrow(/no such line/);
    clock.dispose();
  });
});

describe('RelayPower over libgpiod (fake gpioset v2)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('relay');
    process.env.FAKE_GPIO_LOG = join(dir, 'argv.log');
  });
  afterEach(() => {
    delete process.env.FAKE_GPIO_LOG;
    removeDir(dir);
  });

  test('active-low relay board, DUT on NO: off = line high (de-energised), on = line low (energised), release back to safe high (fake gpioset v2)', async () => {
    const g = await Libgpiod.open(fakeTools('v2'));
    const lines = await g.requestOutputs([{ id: 'relay', line: { chip: 'gpiochip0', offset: 17 }, initial: 0, safe: 0, activeLow: true }]);
    try {
      const clock = new VirtualClock();
      const p = new RelayPower({ lines, line: 'relay', clock, minOffMs: 100 });
      await p.cycle(10);
      clock.dispose();
    } finally {
      await lines.release();
    }
    const log = readLog(join(dir, 'argv.log'));
    const owner = log.find((r) => r.argv?.includes('-i'))!;
    expect(owner.argv).toEqual(['-c', 'gpiochip0', '-C', 'hil', '-i', '--', '17=1']);
    expect(log.filter((r) => r.pid === owner.pid && r.stdin).map((r) => r.stdin)).toEqual(['set 17=1', 'set 17=0', 'set 17=1']);
  });
});

describe('UhubctlPower (fake uhubctl)', () => {
  let dir: string;
  const bin = join(FIXTURES, 'uhubctl');
  beforeEach(() => {
    fakeTools('v2'); // chmods the fixtures
    dir = tempDir('uhub');
    process.env.FAKE_GPIO_LOG = join(dir, 'argv.log');
    process.env.FAKE_UHUBCTL_STATE = join(dir, 'state.json');
  });
  afterEach(() => {
    delete process.env.FAKE_GPIO_LOG;
    delete process.env.FAKE_UHUBCTL_STATE;
    removeDir(dir);
  });
  const argvs = () => readLog(join(dir, 'argv.log')).map((r) => r.argv);

  test('off then on: argv -l HUB -p PORT -a off|on, state confirmed from "New status" on both USB2 and USB3 halves (fake uhubctl)', async () => {
    const p = new UhubctlPower({ hub: '1-1', port: 2, uhubctl: bin, offArgs: ['-r', '100'] });
    expect(p.state).toBe('unknown');
    await p.off();
    expect(p.state).toBe('off');
    await p.on();
    expect(p.state).toBe('on');
    expect(argvs()).toEqual([
      ['-l', '1-1', '-p', '2', '-r', '100', '-a', 'off'],
      ['-l', '1-1', '-p', '2', '-a', 'on'],
    ]);
  });

  test('cycle clamps to minOffMs and records it (fake uhubctl, virtual clock)', async () => {
    const clock = new VirtualClock();
    const timeline = new Timeline(clock);
    const p = new UhubctlPower({ hub: '1-1', port: 3, uhubctl: bin, clock, timeline, minOffMs: 500 });
    await p.cycle(100);
    expect(timeline.events.map((e) => [e.kind, e.t])).toEqual([
      ['cycle-clamped', 0],
      ['off', 0],
      ['on', 500],
    ]);
    expect(p.state).toBe('on');
    clock.dispose();
  });

  test('missing uhubctl, unknown hub, missing port and a hub that does not switch are RigErrors (fake uhubctl)', async () => {
    await expect(new UhubctlPower({ hub: '1-1', port: 1, uhubctl: join(dir, 'nope') }).off()).rejects.toThrow(/not found \(apt install uhubctl\)/);
    const noHub = new UhubctlPower({ hub: '3-3', port: 1, uhubctl: bin }).off();
    await expect(noHub).rejects.toThrow(RigError);
    await expect(new UhubctlPower({ hub: '3-3', port: 1, uhubctl: bin }).off()).rejects.toThrow(/no switchable hub at "3-3"/);
    await expect(new UhubctlPower({ hub: '1-1', port: 9, uhubctl: bin }).off()).rejects.toThrow(/port 9 does not exist/);
    const stuck = new UhubctlPower({ hub: '9-9', port: 1, uhubctl: bin });
    await expect(stuck.off()).rejects.toThrow(/did not switch off/);
    expect(stuck.state).toBe('unknown');
    expect(() => new UhubctlPower({ hub: '1-1', port: 0 })).toThrow(RigError);
  });

  test.each(['a b; rm -rf /', '$(reboot)', '--help'])('hub location %j reaches uhubctl as one argv element (fake uhubctl)', async (hub) => {
    await expect(new UhubctlPower({ hub, port: 1, uhubctl: bin }).on()).rejects.toThrow(RigError);
    expect(argvs()).toEqual([['-l', hub, '-p', '1', '-a', 'on']]);
  });

  // What held up in the audit keeps holding: shell metacharacters reach uhubctl as one argv
  // element. The marker is only created if a shell ever sees the value (execa's shell: true, sh -c).
  test('hostile hub locations: one argv element each, no shell ever runs them (fake uhubctl)', async () => {
    const mark = join(dir, 'SHELL-RAN');
    const hubs = [`1-1;touch ${mark}`, `$(touch ${mark})`, `\`touch ${mark}\``, `1-1|touch ${mark}`, `1-1 && touch ${mark}`, `>${mark}`, '-a off', `1-1' ; touch '${mark}`, '*'];
    for (const hub of hubs) {
      await expect(new UhubctlPower({ hub, port: 1, uhubctl: bin }).on()).rejects.toThrow(/no switchable hub at/);
    }
    expect(argvs()).toEqual(hubs.map((hub) => ['-l', hub, '-p', '1', '-a', 'on']));
    expect(existsSync(mark)).toBe(false);
  });

  test.each(['1-1\n-a off', '1-1\r', '1-1\u0000', '\t1-1'])('hub location %j with a control character is refused before uhubctl runs (fake uhubctl)', (hub) => {
    expect(() => new UhubctlPower({ hub, port: 1, uhubctl: bin })).toThrow(/hub location .* has a control character/);
    expect(argvs()).toEqual([]);
  });

  test('parseUhubctlNewStatus reads only the New status sections', () => {
    const out = [
      'Current status for hub 1-1 [2109:2817 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps]',
      '  Port 2: 0503 power highspeed enable connect [0483:374b STMicroelectronics STM32 STLink]',
      'Sending power off to 1-1 port 2',
      'New status for hub 1-1 [2109:2817 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps]',
      '  Port 2: 0000 off',
      'New status for hub 2-1 [2109:0817 VIA Labs, Inc. USB3.0 Hub, USB 3.10, 4 ports, ppps]',
      '  Port 2: 02a0 power 5gbps Rx.Detect',
    ].join('\n');
    expect(parseUhubctlNewStatus(out, 2)).toEqual(['off', 'on']);
    expect(parseUhubctlNewStatus(out, 3)).toEqual([]);
  });
});
