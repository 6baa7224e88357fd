/**
 * Cuts during a swap that starts over: a 130 KiB image is swapped in two regions (30 + 3
 * sectors), so region 1 does not hold the trailer sector and its status lives in the primary
 * trailer, initialised (through a temporary scratch trailer) before the first status record is
 * written. A cut there leaves a GOOD status trailer with no record: real MCUboot reads that as
 * status "reset" (idx 1 state 0) with the trailer's swap_info as the swap type
 * (swap_misc.c::swap_read_status, loader.c::boot_prepare_image_for_update) and starts the same
 * swap over. For a REVERT the swap table no longer says REVERT (copy_done was erased with the
 * primary trailer), so ignoring the trailer's swap type boots the faulting image forever.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { buildMcubootImage, mcubootPendingBlock } from '../../src/firmware/mcuboot-image.js';
import { NRF52840_PARTITIONS as P } from '../../src/targets/nrf52840.js';
import type { FlashSnapshot } from '../../src/twin/flash/nor-flash.js';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { McubootSwapTwin } from '../../src/twin/mcuboot-swap/device.js';
import { PRIMARY, SCRATCH, readSwapState } from '../../src/twin/mcuboot-swap/trailer.js';
import { sameBytes } from '../helpers/bytes.js';

const KIB = 1024;
const V1 = buildMcubootImage('1.0.0', 130 * KIB);
const V2 = buildMcubootImage('2.0.0', 130 * KIB, { seed: 1 });
// Linked for the secondary: it HardFaults at start, never confirms, and is reverted.
const CRASH = buildMcubootImage('2.0.0', 130 * KIB, { seed: 1, linkBase: P.secondary.base + 0x200 });

// A judged twin is disposed at once: left powered, its idle app keeps the clock pumping for the
// rest of the file, and a sweep of 140 such twins costs O(n^2) (4x this file's CPU time before).
// afterEach is the fallback when an expect throws first.
let clocks: VirtualClock[] = [];
afterEach(() => {
  for (const c of clocks) c.dispose();
  clocks = [];
});

function makeTwin(mode: PowerLossMode = 'skip', seed = 1) {
  const clock = new VirtualClock();
  clocks.push(clock);
  const twin = new McubootSwapTwin({ clock, powerLoss: mode, seed, confirmAfterMs: 500 });
  let text = '';
  twin.onUartTx((b) => (text += b.toString('latin1')));
  const events: { t: number; e: TwinEvent }[] = [];
  twin.onEvent((e) => events.push({ t: clock.now(), e }));
  let mark = 0;
  return {
    clock,
    twin,
    events,
    get text() {
      return text.slice(mark);
    },
    mark() {
      mark = text.length;
    },
  };
}

const banners = (text: string) => [...text.matchAll(/hilrig-app (\S+) running from slot primary/g)].map((m) => m[1]!);

/** The flash right after the faulting TEST image's watchdog reset: the next power-on runs the REVERT swap. */
async function beforeRevert(): Promise<FlashSnapshot> {
  const b = makeTwin();
  b.twin.programMemory(P.primary.base, V1);
  b.twin.programMemory(P.secondary.base, CRASH);
  const blk = mcubootPendingBlock(P.secondary.size, { permanent: false });
  b.twin.programMemory(P.secondary.base + blk.offset, blk.bytes);
  let boots = 0;
  let snap: FlashSnapshot | undefined;
  b.twin.onEvent((e) => {
    // Boot 1 swaps in the test image and runs it; it faults; boot 2 would start the revert.
    if (e.kind === 'boot' && e.image === 'bootloader' && ++boots === 2) {
      b.twin.powerOff();
      snap = b.twin.snapshot();
    }
  });
  b.twin.powerOn();
  await b.clock.sleep(40_000);
  expect(b.text).toContain('=== ERROR HardFault ===');
  expect(snap).toBeDefined();
  b.clock.dispose();
  return snap!;
}

describe('MCUboot swap-scratch: cuts during the REVERT of a faulting TEST image', () => {
  let cached: Promise<FlashSnapshot> | undefined;
  const snapshot = () => (cached ??= beforeRevert());

  it('the uncut revert takes seconds and ends with 1.0.0', async () => {
    const b = makeTwin();
    b.twin.restore(await snapshot());
    b.twin.powerOn();
    await b.clock.sleep(40_000);
    expect(b.text).toContain('I: Swap type: revert');
    expect(banners(b.text)).toEqual(['1.0.0']);
  });

  it('a cut after the status init but before the first record restarts the revert from the status trailer', async () => {
    for (const mode of ['skip', 'torn'] as const) {
      const b = makeTwin(mode, 4);
      b.twin.restore(await snapshot());
      // The second scratch erase of idx 1 state 1: the primary status is initialised, the
      // temporary scratch trailer not yet erased, no record written (both trailers GOOD).
      let scratchErases = 0;
      b.twin.onEvent((e) => {
        if (e.kind === 'flash' && e.op === 'erase' && e.address === SCRATCH.base && ++scratchErases === 2) b.clock.setTimer(1, () => b.twin.powerOff());
      });
      b.twin.powerOn();
      await b.clock.sleep(20_000);
      expect(scratchErases).toBe(2);
      expect(b.twin.powered).toBe(false);
      const p = readSwapState(b.twin.flash, PRIMARY);
      expect(p).toMatchObject({ magic: 'good', copyDone: 'unset', swapType: 4 });
      b.mark();
      b.twin.powerOn();
      await b.clock.sleep(40_000);
      expect(b.text).toContain('I: Boot source: scratch');
      expect(b.text).toContain('I: Swap type: revert');
      expect(banners(b.text)).toEqual(['1.0.0']);
      expect(b.text).not.toContain('HardFault');
      expect(sameBytes(b.twin.readMemory(P.primary.base, V1.length), V1)).toBeUndefined();
      b.clock.dispose();
    }
  });

  it('every cut across the whole revert (every 250 ms, skip and torn) ends with 1.0.0, stable over a further power cycle', async () => {
    const snap = await snapshot();
    const ref = makeTwin();
    ref.twin.restore(snap);
    ref.twin.powerOn();
    await ref.clock.sleep(40_000);
    const start = ref.events.find((x) => x.e.kind === 'phase' && x.e.name === 'revert')!.t;
    const end = ref.events.find((x) => x.e.kind === 'boot' && x.e.image === 'app')!.t;
    expect(end - start).toBeGreaterThan(10_000);
    ref.clock.dispose();

    const failures: string[] = [];
    let cuts = 0;
    for (const mode of ['skip', 'torn'] as const) {
      for (let at = start; at < end; at += 250) {
        cuts++;
        const b = makeTwin(mode, 1 + Math.round(at));
        b.twin.restore(snap);
        b.twin.powerOn();
        await b.clock.sleep(at);
        b.twin.powerOff();
        await b.clock.sleep(10);
        b.mark();
        b.twin.powerOn();
        await b.clock.sleep(45_000);
        const first = banners(b.text);
        const faulted = b.text.includes('HardFault');
        b.twin.powerOff();
        b.mark();
        b.twin.powerOn();
        await b.clock.sleep(3_000);
        const again = banners(b.text);
        const scratch = readSwapState(b.twin.flash, SCRATCH);
        const ok = first.at(-1) === '1.0.0' && !faulted && again.join() === '1.0.0' && !b.text.includes('HardFault') && !b.text.includes('Starting swap') && scratch.magic !== 'good';
        b.clock.dispose();
        if (!ok) failures.push(`${mode}@${Math.round(at - start)}ms: ${first.join(',') || '-'}${faulted ? ' (faulted)' : ''} then ${again.join(',') || '-'}`);
      }
    }
    expect(cuts).toBeGreaterThan(100);
    expect(failures).toEqual([]);
  });
});

describe('MCUboot swap-scratch: the same cut point in a TEST or PERM upgrade', () => {
  it.each([
    ['test', false],
    ['perm', true],
  ] as const)('%s: a cut after the status init but before the first record restarts the swap; the new image runs', async (name, permanent) => {
    for (const mode of ['skip', 'torn'] as const) {
      const b = makeTwin(mode, 4);
      b.twin.programMemory(P.primary.base, V1);
      b.twin.programMemory(P.secondary.base, V2);
      const blk = mcubootPendingBlock(P.secondary.size, { permanent });
      b.twin.programMemory(P.secondary.base + blk.offset, blk.bytes);
      let scratchErases = 0;
      b.twin.onEvent((e) => {
        if (e.kind === 'flash' && e.op === 'erase' && e.address === SCRATCH.base && ++scratchErases === 2) b.clock.setTimer(1, () => b.twin.powerOff());
      });
      b.twin.powerOn();
      await b.clock.sleep(20_000);
      expect(b.twin.powered).toBe(false);
      b.mark();
      b.twin.powerOn();
      await b.clock.sleep(40_000);
      expect(b.text).toContain('I: Boot source: scratch');
      expect(b.text).toContain(`I: Swap type: ${name}`);
      expect(banners(b.text)).toEqual(['2.0.0']);
      expect(sameBytes(b.twin.readMemory(P.primary.base, V2.length), V2)).toBeUndefined();
      expect(sameBytes(b.twin.readMemory(P.secondary.base, V1.length), V1)).toBeUndefined();
      expect(b.twin.flash.overWrites).toBe(0);
      b.clock.dispose();
    }
  });
});
