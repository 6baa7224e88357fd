/**
 * Reset causes and SRAM on the twin MCU, and what the loader-app programs make of them: the
 * reset-cause flags per reset kind, SRAM kept / power-up noise / brownout flips, the boot counter
 * with the stable rule, crash loops under each kind of crash reset, and the three seeded RAM and
 * counter bugs. Real twin, real Console over the in-process link; nothing mocked.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { buildFwupBootloader, buildFwupImage } from '../../src/firmware/fwup-image.js';
import { observeBoot } from '../../src/scenario/observe-boot.js';
import { LOADER_APP_SLOTS } from '../../src/targets/stm32f429-fwup.js';
import type { TwinBoardOptions } from '../../src/twin/device.js';
import { W25Q32 } from '../../src/twin/flash/geometry.js';
import { NorFlash } from '../../src/twin/flash/nor-flash.js';
import { LoaderAppTwin } from '../../src/twin/loader-app/device.js';
import type { LoaderAppVariant } from '../../src/twin/loader-app/variants.js';
import { Mcu, PowerLost } from '../../src/twin/mcu.js';
import { BORRSTF, IWDGRSTF, PINRSTF, PORRSTF, SFTRSTF, resetFlagNames } from '../../src/twin/reset-cause.js';
import { RetainedRam } from '../../src/twin/retained-ram.js';
import { Rng } from '../../src/twin/rng.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';
import { TwinPower } from '../../src/drivers/power/twin.js';

const BOOT = buildFwupBootloader();
const LOADER = buildFwupImage({ type: 'loader', version: '1.0.0', size: 24 * 1024 });
const APP = buildFwupImage({ type: 'app', version: '2.0.0', size: 64 * 1024 });
const CRASHES = buildFwupImage({ type: 'app', version: '2.0.1', size: 64 * 1024, linkBase: 0x0803_0000 });

describe('twin MCU: reset-cause flags and retained SRAM', () => {
  function mcu() {
    const clock = new VirtualClock();
    const ram = new RetainedRam(256, 7, 0);
    const m = new Mcu({ clock, flash: new NorFlash(W25Q32), powerLoss: 'skip', seed: 1, rxCapacity: 64, ram });
    const seen: number[] = [];
    // Each start records the flags it finds and clears them (RMVF), as an early init does.
    const program = async (x: Mcu) => {
      seen.push(x.resetFlags);
      x.clearResetFlags();
      await x.waitRx(60_000);
    };
    return { clock, ram, m, seen, program };
  }

  it('sets the flags of each reset kind: POR (with BOR), BOR alone, software, watchdog, pin', async () => {
    const t = mcu();
    t.m.powerOn(t.program);
    expect(() => t.m.reset(t.program, 'software')).toThrow(PowerLost);
    expect(() => t.m.reset(t.program, 'watchdog')).toThrow(PowerLost);
    t.m.pinReset(t.program);
    t.m.powerOff('brownout');
    t.m.powerOn(t.program);
    t.m.powerOff();
    t.m.powerOn(t.program);
    expect(t.seen.map(resetFlagNames)).toEqual([['PORRSTF', 'BORRSTF'], ['SFTRSTF'], ['IWDGRSTF'], ['PINRSTF'], ['BORRSTF'], ['PORRSTF', 'BORRSTF']]);
    expect([PORRSTF, BORRSTF, PINRSTF, SFTRSTF, IWDGRSTF].map((f) => f.toString(16))).toEqual(['8000000', '2000000', '4000000', '10000000', '20000000']);
    t.clock.dispose();
  });

  it('keeps flags nobody cleared: they pile up until RMVF', () => {
    const t = mcu();
    t.m.powerOn(async () => {});
    expect(() => t.m.reset(async () => {}, 'watchdog')).toThrow(PowerLost);
    expect(resetFlagNames(t.m.resetFlags)).toEqual(['PORRSTF', 'BORRSTF', 'IWDGRSTF']);
    t.clock.dispose();
  });

  it('keeps SRAM over software, watchdog and pin resets; power-up noise after a POR, another at each power-on, the same for one seed', () => {
    const t = mcu();
    t.m.powerOn(t.program);
    t.ram.bytes.fill(0xa5);
    expect(() => t.m.reset(t.program, 'software')).toThrow(PowerLost);
    expect(() => t.m.reset(t.program, 'watchdog')).toThrow(PowerLost);
    t.m.pinReset(t.program);
    expect(t.ram.bytes.every((b) => b === 0xa5)).toBe(true);
    t.m.powerOff();
    t.m.powerOn(t.program);
    const first = Buffer.from(t.ram.bytes);
    expect(first.equals(Buffer.alloc(256, 0xa5))).toBe(false);
    t.m.powerOff();
    t.m.powerOn(t.program);
    expect(t.ram.bytes.equals(first)).toBe(false);
    const again = new RetainedRam(256, 7);
    again.powerOnReset();
    again.powerOnReset();
    expect(again.bytes.equals(first)).toBe(true);
    t.clock.dispose();
  });

  it('keeps SRAM over a BOR-only brownout, flipping bits at the seeded rate', () => {
    const ram = new RetainedRam(256, 1, 0.01);
    ram.bytes.fill(0);
    const flips = ram.brownout(new Rng(42));
    const ones = [...ram.bytes].reduce((n, b) => n + b.toString(2).replaceAll('0', '').length, 0);
    expect(ones).toBe(flips.length);
    expect(flips.length).toBeGreaterThan(5);
    expect(flips.length).toBeLessThan(60); // 2048 bits at 1 %: about 20
    const same = new RetainedRam(256, 1, 0.01);
    expect(same.brownout(new Rng(42))).toEqual(flips);
    expect(new RetainedRam(256, 1, 0).brownout(new Rng(42))).toEqual([]);
  });

  it('a supply that drops out by itself comes back after its off time, unless the host switched power meanwhile', async () => {
    const t = mcu();
    t.m.powerOn(t.program);
    expect(() => t.m.supplyDropout(t.program, 'brownout', 200)).toThrow(PowerLost);
    expect(t.m.isPowered).toBe(false);
    await t.clock.sleep(200);
    expect(t.m.isPowered).toBe(true);
    expect(resetFlagNames(t.seen.at(-1)!)).toEqual(['BORRSTF']);
    expect(() => t.m.supplyDropout(t.program, 'power-on', 200)).toThrow(PowerLost);
    t.m.powerOff();
    await t.clock.sleep(500);
    expect(t.m.isPowered).toBe(false);
    t.clock.dispose();
  });
});

function bench(opts: { slot2?: Buffer; variant?: LoaderAppVariant; board?: TwinBoardOptions; seed?: number } = {}) {
  const clock = new VirtualClock();
  const twin = new LoaderAppTwin({ clock, variant: opts.variant ?? 'correct', powerLoss: 'torn', seed: opts.seed ?? 1, board: opts.board ?? {} });
  twin.programMemory(LOADER_APP_SLOTS.boot.base, BOOT);
  twin.programMemory(LOADER_APP_SLOTS.slot1.base, LOADER);
  twin.programMemory(LOADER_APP_SLOTS.slot2.base, opts.slot2 ?? APP);
  const link = connectInProcess(twin, { baud: 921600 });
  const console = new Console({ link, clock, sfuFrames: true });
  const text = (from = 0) => console.lines.slice(from).map((l) => l.text);
  /** Power (or a brownout) back on, watched as the scenario watches a recovery. */
  const boot = async (timeoutMs = 3000) => {
    const fromLine = console.lines.length;
    twin.powerOn();
    return { obs: await observeBoot(console, clock, { fromLine, timeoutMs }), lines: text(fromLine) };
  };
  const brownout = async () => {
    twin.powerOff('brownout');
    await clock.sleep(200);
    return boot();
  };
  const close = () => {
    console.close();
    clock.dispose();
  };
  return { clock, twin, console, text, boot, brownout, close };
}

let current: ReturnType<typeof bench> | undefined;
afterEach(() => {
  current?.close();
  current = undefined;
});

describe('loader-app: the boot counter and the stable rule', () => {
  it('a crashing app under watchdog resets: three boots, then DFU mode; observe-boot says waiting with 3 crashes', async () => {
    const b = (current = bench({ slot2: CRASHES }));
    const { obs, lines } = await b.boot();
    expect(obs.state).toBe('waiting');
    expect(obs.crashes).toBe(3);
    expect(obs.dfu).toEqual({ reason: 'App unstable, dropping back into DFU mode', afterCrashes: 3 });
    expect(lines.filter((l) => l.startsWith('Booting slot 2'))).toEqual(['Booting slot 2 (app 2.0.1), attempt 1', 'Booting slot 2 (app 2.0.1), attempt 2', 'Booting slot 2 (app 2.0.1), attempt 3']);
  });

  it('a crashing app on a board whose supply drops below the POR at each crash: the counter is lost every time, an endless loop', async () => {
    const b = (current = bench({ slot2: CRASHES, board: { crashReset: 'power-cut' } }));
    const { obs, lines } = await b.boot(5000);
    expect(obs.state).toBe('boot-loop');
    expect(obs.crashes).toBeGreaterThan(10);
    expect(obs.dfu).toBeUndefined();
    expect(new Set(lines.filter((l) => l.startsWith('Booting slot 2')))).toEqual(new Set(['Booting slot 2 (app 2.0.1), attempt 1']));
  });

  it('a crashing app whose crash browns the supply out above the POR: SRAM kept, DFU mode after three boots', async () => {
    const b = (current = bench({ slot2: CRASHES, board: { crashReset: 'brownout', sramFlipRate: 0 } }));
    const { obs } = await b.boot();
    expect(obs.state).toBe('waiting');
    expect(obs.crashes).toBe(3);
  });

  it('clears the counter only after the stable delay: brownouts closer together than that count up to DFU mode', async () => {
    const b = (current = bench({ board: { stable: { afterMs: 1000 }, sramFlipRate: 0 } }));
    expect((await b.boot()).obs.state).toBe('running');
    expect(b.twin.sharedRam.bootCounter).toBe(1);
    expect((await b.brownout()).obs.state).toBe('running');
    expect((await b.brownout()).obs.state).toBe('running');
    expect(b.twin.sharedRam.bootCounter).toBe(3);
    const fourth = await b.brownout();
    expect(fourth.obs.state).toBe('waiting');
    expect(fourth.obs.dfu?.reason).toBe('App unstable, dropping back into DFU mode');
  });

  it('with time to become stable between them, any number of brownouts boot the app', async () => {
    const b = (current = bench({ board: { stable: { afterMs: 300 }, sramFlipRate: 0 } }));
    await b.boot();
    for (let i = 0; i < 5; i++) {
      await b.clock.sleep(400);
      expect(b.twin.sharedRam.bootCounter).toBe(0);
      expect((await b.brownout()).obs.state).toBe('running');
    }
  });

  it('a command rule: the counter stays until the app reads that line, then clears', async () => {
    const b = (current = bench({ board: { stable: { command: 'fwup stable' } } }));
    await b.boot();
    await b.clock.sleep(5000);
    expect(b.twin.sharedRam.bootCounter).toBe(1);
    await b.console.write('fwup stab');
    await b.console.write('le\r\n');
    await b.console.expect(/^Marking app as stable$/, { timeoutMs: 100 });
    expect(b.twin.sharedRam.bootCounter).toBe(0);
    // The debug port reads the same bytes a probe would dump from 0x2000_0000.
    const dump = b.twin.readMemory(0x2000_0000, 256);
    expect([dump.readUInt32LE(0).toString(16), dump.readUInt32LE(4), dump[8]]).toEqual(['badcafe', 0, 0]);
  });

  it('a POR wipes the shared RAM (the seed: magic cleared on PORRSTF) even when power-up left the magic in place', async () => {
    const b = (current = bench({ board: { stable: { command: 'never sent' } } }));
    await b.boot();
    b.twin.sharedRam.bootCounter = 2;
    // A POR whose power-up noise happened to leave the old contents: PORRSTF alone must drop them.
    const kept = Buffer.from(b.twin.sharedRam.bytes);
    b.twin.powerOff();
    b.twin.sharedRam.ram.powerOnReset = () => kept.copy(b.twin.sharedRam.bytes);
    const { lines } = await b.boot();
    expect(lines).toContain('Shared memory uninitialized, setting magic');
    expect(lines).toContain('Booting slot 2 (app 2.0.0), attempt 1');
  });
});

describe('twin power with power.sag', () => {
  it('a cut sags the supply: below 1.70 V a POR, below 2.70 V a BOR-only brownout (SRAM kept), above it nothing', async () => {
    const b = (current = bench({ board: { stable: { command: 'never sent' }, sramFlipRate: 0 } }));
    await b.boot();
    const counterAfter = async (volts: number) => {
      const power = new TwinPower(b.twin, undefined, { volts });
      const from = b.console.lines.length;
      await power.cut!(200);
      await b.clock.sleep(50);
      return { counter: b.twin.sharedRam.bootCounter, rebooted: b.text(from).some((l) => l.startsWith('Loader ')) };
    };
    expect(await counterAfter(2.2)).toEqual({ counter: 2, rebooted: true });
    expect(await counterAfter(2.9)).toEqual({ counter: 2, rebooted: false });
    expect(await counterAfter(1.2)).toEqual({ counter: 1, rebooted: true });
    expect(new TwinPower(b.twin).cut).toBeUndefined();
  });
});

describe('loader-app: seeded RAM and counter bugs', () => {
  it('counter-never-cleared: a good app falls into DFU mode at its fourth start without a POR', async () => {
    const b = (current = bench({ variant: 'counter-never-cleared', board: { sramFlipRate: 0 } }));
    await b.boot();
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      await b.clock.sleep(2000); // long past the stable delay
      states.push((await b.brownout()).obs.state);
    }
    expect(states).toEqual(['running', 'running', 'waiting']);
    const correct = bench({ board: { sramFlipRate: 0 } });
    await correct.boot();
    for (let i = 0; i < 3; i++) {
      await correct.clock.sleep(2000);
      expect((await correct.brownout()).obs.state).toBe('running');
    }
    correct.close();
  });

  it('counter-cleared-early: a crashing app is started again at every watchdog reset, forever', async () => {
    const b = (current = bench({ variant: 'counter-cleared-early', slot2: CRASHES }));
    const { obs } = await b.boot(5000);
    expect(obs.state).toBe('boot-loop');
    expect(obs.crashes).toBeGreaterThan(10);
  });

  it('ram-trusted-after-brownout: a flipped DFU flag behind an intact magic is obeyed; the correct design sees the CRC fail and clears it', async () => {
    for (const [variant, expected] of [
      ['ram-trusted-after-brownout', 'waiting'],
      ['correct', 'running'],
    ] as const) {
      const b = bench({ variant, board: { sramFlipRate: 0 } });
      await b.boot();
      await b.clock.sleep(2000);
      b.twin.powerOff('brownout');
      b.twin.sharedRam.bytes[4]! ^= 1; // the flip a weak cell makes
      await b.clock.sleep(200);
      const { obs, lines } = await b.boot();
      expect([variant, obs.state]).toEqual([variant, expected]);
      if (variant === 'correct') expect(lines).toContain('boot: brownout reset, shared memory fails its check: cleared');
      else expect(obs.dfu?.reason).toBe('DFU requested');
      b.close();
    }
  });
});
