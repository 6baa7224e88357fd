/**
 * The host's reading of a loader-app RAM dump against what the twin's Loader then does: the twin
 * runs application 1.0.0, the test puts a shared-RAM state into its SRAM (as a previous program
 * would have left it), the host predicts from the flash and a copy of those 256 bytes, then a pin
 * reset (which keeps SRAM) lets the twin's Loader decide. The host reads the RAM independently
 * (src/schemes/loader-app/shared-ram-reading.ts never imports the twin): each state must end where
 * it predicted, for the reason it gave.
 */
import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { buildFwupBootloader, buildFwupImage } from '../../src/firmware/fwup-image.js';
import { inspectLoaderApp, type LoaderAppDump } from '../../src/schemes/loader-app/index.js';
import { FWUP_DUMP_REGIONS, LOADER_APP_SHARED_RAM, LOADER_APP_SLOTS } from '../../src/targets/stm32f429-fwup.js';
import { LoaderAppTwin } from '../../src/twin/loader-app/device.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';

const BOOT = buildFwupBootloader();
const LOADER = buildFwupImage({ type: 'loader', version: '1.0.0', size: 24 * 1024 });
const APP1 = buildFwupImage({ type: 'app', version: '1.0.0', size: 96 * 1024 });
const UPDATER = buildFwupImage({ type: 'updater', version: '1.0.0', size: 40 * 1024 });

/** The fields the seed's shared_memory_t holds, written where the example's packed struct puts them. */
interface RamState {
  magic: number;
  flags: number;
  counter: number;
}

async function afterPinReset(state: RamState): Promise<{ host: string; twin: string; hostReason?: string; console: string[] }> {
  const clock = new VirtualClock();
  const twin = new LoaderAppTwin({ clock, variant: 'correct', seed: 7 });
  twin.programMemory(LOADER_APP_SLOTS.boot.base, BOOT);
  twin.programMemory(LOADER_APP_SLOTS.slot1.base, LOADER);
  twin.programMemory(LOADER_APP_SLOTS.slot2.base, APP1);
  const link = connectInProcess(twin, { baud: 921600 });
  const console = new Console({ link, clock, sfuFrames: true });
  try {
    twin.powerOn();
    await console.expect(/^hilrig-app 1\.0\.0/, { timeoutMs: 3000 });
    // Past the stable delay: the app has cleared its counter; now the state under test.
    await clock.sleep(2000);
    const ram = twin.sharedRam.bytes;
    ram.writeUInt32LE(state.magic >>> 0, 0);
    ram.writeUInt32LE(state.flags >>> 0, 4);
    ram[8] = state.counter;
    const dump = Object.fromEntries(FWUP_DUMP_REGIONS.map((r) => [r.name, twin.readMemory(r.base, r.size)])) as LoaderAppDump;
    const i = inspectLoaderApp({ ...dump, ram: Buffer.from(ram) });
    const from = console.lines.length;
    twin.pinReset();
    await clock.sleep(1500);
    const text = console.lines.slice(from).map((l) => l.text);
    const banner = text.find((l) => l.startsWith('hilrig-app '));
    const seen = banner ? `runs ${banner.split(' ')[1]}` : text.some((l) => l.startsWith('Entering DFU Mode')) ? 'waiting' : text.join('|');
    const host = i.bootsNext ? `runs ${i.slots.find((s) => s.slot === i.bootsNext)?.version}` : i.noBootAs;
    return { host, twin: seen, ...(i.ramDecides && { hostReason: i.ramDecides }), console: text };
  } finally {
    console.close();
    clock.dispose();
  }
}

describe('hil inspect --ram predicts what the twin Loader does after a pin reset', () => {
  it('the RAM region is the one the host reads (0x20000000, 256 B)', () => {
    expect(LOADER_APP_SHARED_RAM).toEqual({ base: 0x2000_0000, size: 256 });
  });

  const GOOD = 0x0bad_cafe;
  it.each([
    ['clear: starts the app', { magic: GOOD, flags: 0, counter: 0 }, 'runs 1.0.0', undefined, /attempt 1/],
    ['two failed starts: one more attempt', { magic: GOOD, flags: 0, counter: 2 }, 'runs 1.0.0', undefined, /attempt 3/],
    ['three failed starts: app unstable, DFU mode', { magic: GOOD, flags: 0, counter: 3 }, 'waiting', 'app-unstable', /^App unstable/],
    ['DFU requested: DFU mode', { magic: GOOD, flags: 1, counter: 0 }, 'waiting', 'dfu-requested', /^DFU requested/],
    ['wrong magic: re-initialised, so a stale request does not count', { magic: 0x1234_5678, flags: 1, counter: 3 }, 'runs 1.0.0', undefined, /^Shared memory uninitialized/],
  ] as const)('%s', async (_name, state, expected, reason, line) => {
    const r = await afterPinReset(state);
    expect({ host: r.host, twin: r.twin, reason: r.hostReason }).toEqual({ host: expected, twin: expected, reason });
    expect(r.console.some((l) => line.test(l))).toBe(true);
  });
});

describe('a committed Updater in slot 2', () => {
  it('the host says waiting (the Updater waits for a Loader), and the twin starts the Updater, which waits', async () => {
    const clock = new VirtualClock();
    const twin = new LoaderAppTwin({ clock, variant: 'correct', seed: 3 });
    twin.programMemory(LOADER_APP_SLOTS.boot.base, BOOT);
    twin.programMemory(LOADER_APP_SLOTS.slot1.base, LOADER);
    twin.programMemory(LOADER_APP_SLOTS.slot2.base, UPDATER);
    const dump = Object.fromEntries(FWUP_DUMP_REGIONS.map((r) => [r.name, twin.readMemory(r.base, r.size)])) as LoaderAppDump;
    const i = inspectLoaderApp(dump);
    expect(i).toMatchObject({ bootsNext: null, noBootAs: 'waiting', updaterWaits: true });
    const console = new Console({ link: connectInProcess(twin, { baud: 921600 }), clock, sfuFrames: true });
    try {
      twin.powerOn();
      await console.expect(/^hilrig-updater 1\.0\.0 running from slot slot2: waiting for a Loader/, { timeoutMs: 3000 });
      await clock.sleep(1500);
      expect(console.lines.some((l) => l.text.startsWith('hilrig-app '))).toBe(false);
    } finally {
      console.close();
      clock.dispose();
    }
  });
});
