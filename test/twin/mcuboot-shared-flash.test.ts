/**
 * The neutral MCUboot (src/twin/mcuboot/) with its secondary in the shared SPI NOR behind the
 * bus (a product member's layout): it reads and writes the secondary through its port under the
 * lock, waits for a lock another master holds, resumes a swap cut mid-way, and, built without
 * secondary validation, swaps in an image it never checked.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildMcubootImage, mcubootPendingBlock } from '../../src/firmware/mcuboot-image.js';
import { confirmImage, readAreaSwapState, setPending } from '../../src/twin/mcuboot/app-api.js';
import { McubootBootloader, type McubootBootloaderOptions } from '../../src/twin/mcuboot/bootloader.js';
import { NRF52840_MCUBOOT_CONFIG, type McubootAreas } from '../../src/twin/mcuboot/flash-area.js';
import { checkImage, headerVersion } from '../../src/twin/mcuboot/image-check.js';
import type { Mcu, TwinEvent } from '../../src/twin/mcu.js';
import { RADIO_BASE, SHARED_BASE, TwoMcuBoard } from './two-mcu-board.js';

const KIB = 1024;
const SLOT = 0x2_0000;
const V1 = buildMcubootImage('1.0.0', 24 * KIB, { slotSize: SLOT });
const V2 = buildMcubootImage('2.0.0', 24 * KIB, { slotSize: SLOT, seed: 1 });

let boards: TwoMcuBoard[] = [];
afterEach(() => {
  for (const b of boards) b.dispose();
  boards = [];
});

const idle = async (mcu: Mcu) => void (await mcu.sleep(600_000));

function radioBoard(opts: { powerLoss?: 'torn' | 'skip'; validateSecondary?: boolean; secondary?: Buffer } = {}) {
  const b = new TwoMcuBoard({ powerLoss: opts.powerLoss ?? 'skip' });
  boards.push(b);
  const [, radioFlash] = b.flash.parts;
  const areas: McubootAreas = {
    primary: { name: 'primary', base: RADIO_BASE + 0xc000, size: SLOT, flash: radioFlash!, config: NRF52840_MCUBOOT_CONFIG },
    secondary: { name: 'secondary', base: SHARED_BASE + 0x2_0000, size: SLOT, flash: b.bus.flash, port: b.bus.port(b.radio), config: NRF52840_MCUBOOT_CONFIG },
    scratch: { name: 'scratch', base: RADIO_BASE + 0xf_0000, size: 0x8000, flash: radioFlash!, config: NRF52840_MCUBOOT_CONFIG },
  };
  radioFlash!.writeRaw(areas.primary.base, V1);
  b.bus.flash.writeRaw(areas.secondary.base, opts.secondary ?? V2);
  const blk = mcubootPendingBlock(SLOT, { permanent: false });
  b.bus.flash.writeRaw(areas.secondary.base + blk.offset, blk.bytes);
  let text = '';
  b.radio.onTx((x) => (text += x.toString('latin1')));
  const options: McubootBootloaderOptions = {
    areas,
    chainloadOffset: 0xc000,
    logPrefix: '[radio] ',
    ...(opts.validateSecondary !== undefined && { validateSecondary: opts.validateSecondary }),
    runApp: async (mcu) => {
      mcu.print(`app ${headerVersion(areas.primary)} ${checkImage(areas.primary).ok ? 'valid' : 'invalid'}\n`);
      await idle(mcu);
    },
  };
  const boot = McubootBootloader.program(options);
  return { b, areas, boot, text: () => text };
}

const holders = (events: { e: TwinEvent }[]) => events.filter((x) => x.e.kind === 'lock').map((x) => (x.e as Extract<TwinEvent, { kind: 'lock' }>).holder);

describe('MCUboot with its secondary behind the shared bus', () => {
  it('swaps through the bus under the lock: the shared-flash ops are the radio ones, the lock is its own', async () => {
    const { b, areas, boot, text } = radioBoard();
    b.start(idle, boot);
    await b.clock.sleep(20_000);
    expect(text()).toMatch(/\[radio\] I: Swap type: test\n/);
    expect(text()).toMatch(/app 2\.0\.0 valid\n/);
    expect(headerVersion(areas.secondary)).toBe('1.0.0');
    const sharedOps = b.events.filter((x) => x.e.kind === 'flash' && x.e.address >= SHARED_BASE);
    expect(sharedOps.length).toBeGreaterThan(0);
    expect(sharedOps.every((x) => x.e.mcu === 'radio')).toBe(true);
    const locks = holders(b.events);
    expect(locks.length).toBeGreaterThan(10);
    expect(new Set(locks)).toEqual(new Set(['radio', null]));
    expect(b.bus.lock.holder).toBeNull();
    expect(b.bus.collisions + b.bus.ignoredWhileBusy).toBe(0);
  });

  it('waits while the other master holds the lock', async () => {
    const { b, boot, text } = radioBoard();
    let appAt = 0;
    b.radio.onTx((x) => {
      if (x.toString('latin1').startsWith('app ')) appAt = b.clock.now();
    });
    b.start(async (mcu) => {
      await b.bus.port(mcu).withLock(() => mcu.sleep(3000));
      await idle(mcu);
    }, boot);
    await b.clock.sleep(30_000);
    expect(text()).toMatch(/app 2\.0\.0 valid/);
    expect(appAt).toBeGreaterThan(3000);
    expect(holders(b.events).slice(0, 3)).toEqual(['host', null, 'radio']);
  });

  it('resumes a swap cut in its shared-flash erase and ends with the new image', async () => {
    const { b, areas, boot, text } = radioBoard({ powerLoss: 'torn' });
    let erases = 0;
    b.onEvent((e) => {
      if (e.kind === 'flash' && e.op === 'erase' && e.address >= SHARED_BASE && ++erases === 3) b.clock.setTimer(20, () => b.powerOff());
    });
    b.start(idle, boot);
    await b.clock.sleep(20_000);
    expect(text()).not.toMatch(/app /);
    b.start(idle, boot);
    await b.clock.sleep(20_000);
    expect(text()).toMatch(/Resuming interrupted test swap/);
    expect(text()).toMatch(/app 2\.0\.0 valid/);
    expect(headerVersion(areas.secondary)).toBe('1.0.0');
  });

  it('rejects a corrupt secondary; built without secondary validation, swaps it in and cannot boot', async () => {
    const bad = Buffer.from(V2);
    bad[0x1000] = bad[0x1000]! ^ 0xff;
    const checked = radioBoard({ secondary: bad });
    checked.b.start(idle, checked.boot);
    await checked.b.clock.sleep(20_000);
    expect(checked.text()).toMatch(/E: Image in the secondary slot is not valid!/);
    expect(checked.text()).toMatch(/app 1\.0\.0 valid/);
    const unchecked = radioBoard({ secondary: bad, validateSecondary: false });
    unchecked.b.start(idle, unchecked.boot);
    await unchecked.b.clock.sleep(20_000);
    expect(unchecked.text()).toMatch(/Starting swap using scratch algorithm/);
    expect(unchecked.text()).toMatch(/E: Unable to find bootable image/);
  });

  it('lets an app mark the shared secondary pending and confirm its primary, through the bus under the lock', async () => {
    const { b, areas } = radioBoard();
    b.bus.flash.writeRaw(areas.secondary.base + SLOT - 4096, Buffer.alloc(4096, 0xff));
    const results: unknown[] = [];
    b.start(idle, async (mcu) => {
      results.push((await readAreaSwapState(areas.secondary)).magic);
      results.push(await setPending(mcu, areas.secondary, true));
      results.push(await setPending(mcu, areas.secondary, true));
      const s = await readAreaSwapState(areas.secondary);
      results.push(s.magic, s.imageOk, s.swapType);
      results.push(await confirmImage(mcu, areas.primary));
      await idle(mcu);
    });
    await b.clock.sleep(1000);
    // The primary (flashed without a trailer) has no magic: nothing to confirm.
    expect(results).toEqual(['unset', 'written', 'already', 'good', 'set', 3, false]);
    expect(holders(b.events).filter((h) => h === 'radio').length).toBeGreaterThanOrEqual(4);
  });
});
