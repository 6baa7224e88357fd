/**
 * Cut sweeps on the MCUboot swap-scratch twin: power off at chosen virtual times during the swap
 * (and, for the second-cut variant, again during the resumed swap), power on, read the banner;
 * then one more reset to check the outcome sticks. The correct bootloader must only ever end
 * updated or rolled-back; every seeded bug must end badly for at least one cut.
 */
import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { buildMcubootImage, mcubootPendingBlock } from '../../src/firmware/mcuboot-image.js';
import { NRF52840_PARTITIONS as P } from '../../src/targets/nrf52840.js';
import type { FlashSnapshot } from '../../src/twin/flash/nor-flash.js';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { McubootSwapTwin } from '../../src/twin/mcuboot-swap/device.js';
import type { McubootVariant } from '../../src/twin/mcuboot-swap/variants.js';

type Outcome = 'updated' | 'rolled-back' | 'bricked' | 'wrong-image' | 'boot-loop';
const GOOD: readonly Outcome[] = ['updated', 'rolled-back'];
const KIB = 1024;
const FROM = '1.0.0';
const TO = '2.0.0';
const SMALL = { v1: buildMcubootImage(FROM, 32 * KIB), v2: buildMcubootImage(TO, 32 * KIB, { seed: 1 }) };
// Two regions (30 + 1 sectors): the resume has a later region to replay stale steps over.
const TWO_REGIONS = { v1: buildMcubootImage(FROM, 122 * KIB), v2: buildMcubootImage(TO, 122 * KIB, { seed: 1 }) };
const CRASHING = buildMcubootImage(TO, 32 * KIB, { seed: 1, linkBase: P.secondary.base + 0x200 });

function classify(text: string): Outcome {
  const banners = [...text.matchAll(/hilrig-app (\S+) running from slot primary/g)];
  const lastFault = text.lastIndexOf('=== ERROR HardFault ===');
  const last = banners.at(-1);
  if (last && last.index! > lastFault) return last[1] === TO ? 'updated' : last[1] === FROM ? 'rolled-back' : 'wrong-image';
  if (lastFault >= 0) return 'boot-loop';
  return 'bricked'; // "Unable to find bootable image" or silence
}

interface Baseline {
  snap: FlashSnapshot;
  swapStart: number;
  appBoot: number;
  /** Start times of the page erases of the image slots during the swap. */
  slotErases: number[];
}

/** The staged flash (old image in the primary, new one pending TEST) and the uncut timeline. */
async function baseline(images: { v1: Buffer; v2: Buffer }, staged = images.v2, permanent = false): Promise<Baseline> {
  const clock = new VirtualClock();
  const twin = new McubootSwapTwin({ clock, powerLoss: 'skip' });
  twin.programMemory(P.primary.base, images.v1);
  twin.programMemory(P.secondary.base, staged);
  const blk = mcubootPendingBlock(P.secondary.size, { permanent });
  twin.programMemory(P.secondary.base + blk.offset, blk.bytes);
  const snap = twin.snapshot();
  const events: { t: number; e: TwinEvent }[] = [];
  twin.onEvent((e) => events.push({ t: clock.now(), e }));
  twin.powerOn();
  await clock.sleep(60_000);
  clock.dispose();
  const swapStart = events.find((x) => x.e.kind === 'phase' && x.e.name === 'swap')!.t;
  const appBoot = events.find((x) => x.e.kind === 'boot' && x.e.image === 'app')!.t;
  const inSlots = (a: number) => a >= P.primary.base && a < P.scratch.base;
  const slotErases = events.filter((x) => x.e.kind === 'flash' && x.e.op === 'erase' && inSlots(x.e.address) && x.t >= swapStart && x.t < appBoot).map((x) => x.t);
  return { snap, swapStart, appBoot, slotErases };
}

/** One run: cut at `cuts[0]` after power-on, power on 10 ms later; each further cut is relative to the previous power-on. */
async function run(variant: McubootVariant, mode: PowerLossMode, seed: number, snap: FlashSnapshot, cuts: number[]): Promise<{ first: Outcome; after: Outcome }> {
  const clock = new VirtualClock();
  const twin = new McubootSwapTwin({ clock, variant, powerLoss: mode, seed, confirmAfterMs: 500 });
  twin.restore(snap);
  let text = '';
  twin.onUartTx((b) => (text += b.toString('latin1')));
  let mark = 0;
  const powerOn = () => {
    mark = text.length;
    twin.powerOn();
  };
  const schedule = (i: number) => {
    if (i >= cuts.length) return;
    clock.setTimer(cuts[i]!, () => {
      twin.powerOff();
      clock.setTimer(10, () => {
        powerOn();
        schedule(i + 1);
      });
    });
  };
  powerOn();
  schedule(0);
  await clock.sleep(cuts.reduce((a, b) => a + b + 10, 0) + 40_000);
  const first = classify(text.slice(mark));
  twin.powerOff();
  powerOn();
  await clock.sleep(40_000);
  const after = classify(text.slice(mark));
  clock.dispose();
  return { first, after };
}

const linspace = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * (i + 0.5)) / n);
const MODES: { mode: PowerLossMode; seed: number }[] = [
  { mode: 'skip', seed: 1 },
  { mode: 'complete', seed: 1 },
  { mode: 'torn', seed: 1 },
  { mode: 'torn', seed: 2 },
  { mode: 'random', seed: 3 },
];

/** Single cuts: evenly over the swap, plus near the end of every slot page erase (where a torn erase is nearly done). */
async function singleCutSweep(variant: McubootVariant, base: Baseline, modes = MODES) {
  const times = [...linspace(base.swapStart, base.appBoot, 12), ...base.slotErases.map((t) => t + 0.97 * 85)];
  const results: { mode: PowerLossMode; seed: number; at: number; first: Outcome; after: Outcome }[] = [];
  for (const { mode, seed } of modes) {
    for (const at of times) results.push({ mode, seed, at: Math.round(at), ...(await run(variant, mode, seed, base.snap, [at])) });
  }
  return results;
}

const bad = (r: { first: Outcome; after: Outcome }) => !GOOD.includes(r.first) || !GOOD.includes(r.after);
const summary = (rs: { mode: string; at: number; first: Outcome; after: Outcome }[]) =>
  rs
    .filter(bad)
    .slice(0, 5)
    .map((r) => `${r.mode}@${r.at}: ${r.first}/${r.after}`);

describe('MCUboot swap-scratch: single-cut sweep over a TEST upgrade', () => {
  let cached: Promise<Baseline> | undefined;
  const smallBase = () => (cached ??= baseline(SMALL));
  it('correct: every cut ends updated or rolled-back, and stays so after another reset', async () => {
    const base = await smallBase();
    const rs = await singleCutSweep('correct', base);
    expect(summary(rs)).toEqual([]);
    expect(rs.some((r) => r.first === 'updated')).toBe(true);
    expect(rs.length).toBeGreaterThan(100);
  });

  it.each(['no-status-journal', 'journal-before-copy'] as const)('%s: some cut ends badly', async (variant) => {
    const rs = await singleCutSweep(variant, await smallBase(), MODES.slice(0, 3));
    expect(rs.filter(bad).length).toBeGreaterThan(0);
  });

  it('resume-skips-erased-pages: only torn cuts expose it', async () => {
    const rs = await singleCutSweep('resume-skips-erased-pages', await smallBase());
    expect(summary(rs.filter((r) => r.mode === 'skip' || r.mode === 'complete'))).toEqual([]);
    expect(rs.filter((r) => r.mode === 'torn' && bad(r)).length).toBeGreaterThan(0);
  });
});

describe('MCUboot swap-scratch: single-cut sweep over a PERM upgrade', () => {
  it('correct: every cut during a permanent swap ends updated, and stays so', async () => {
    const base = await baseline(SMALL, SMALL.v2, true);
    const rs = await singleCutSweep('correct', base, [MODES[0]!, MODES[2]!]);
    expect(summary(rs)).toEqual([]);
    // A permanent swap is resumed to its end whatever the cut: the new image always runs.
    expect(rs.every((r) => r.first === 'updated' && r.after === 'updated')).toBe(true);
  });
});

describe('MCUboot swap-scratch: a test image that faults before confirming', () => {
  it('correct reverts it after any cut; never-revert boot-loops', async () => {
    const base = await baseline(SMALL, CRASHING);
    const modes = MODES.slice(0, 3);
    const ok = await singleCutSweep('correct', base, modes);
    expect(summary(ok)).toEqual([]);
    expect(ok.every((r) => r.first === 'rolled-back')).toBe(true);
    const nr = await singleCutSweep('never-revert', base, modes.slice(0, 1));
    expect(nr.filter((r) => r.first === 'boot-loop').length).toBeGreaterThan(0);
  });
});

describe('MCUboot swap-scratch: a second cut during the resumed swap', () => {
  it('correct survives two cuts; resume-unjournaled survives one but not two', async () => {
    const base = await baseline(TWO_REGIONS);
    const swapMs = base.appBoot - base.swapStart;
    const firstCuts = linspace(base.swapStart, base.appBoot, 5);
    const modes = MODES.slice(0, 3);
    const single = { correct: [] as Outcome[], unjournaled: [] as Outcome[] };
    const double = { correct: [] as string[], unjournaled: [] as string[] };
    for (const { mode, seed } of modes) {
      for (const c1 of firstCuts) {
        const r1 = await run('resume-unjournaled', mode, seed, base.snap, [c1]);
        single.unjournaled.push(r1.first, r1.after);
        // The resumed swap redoes what is left: cut it at a few points of its own course.
        for (const c2 of linspace(200, Math.max(400, swapMs - (c1 - base.swapStart)), 4)) {
          const c = await run('correct', mode, seed, base.snap, [c1, c2]);
          const u = await run('resume-unjournaled', mode, seed, base.snap, [c1, c2]);
          double.correct.push(`${c.first}/${c.after}`);
          double.unjournaled.push(`${u.first}/${u.after}`);
        }
      }
    }
    const isGood = (s: string) => s.split('/').every((o) => GOOD.includes(o as Outcome));
    expect(single.unjournaled.filter((o) => !GOOD.includes(o))).toEqual([]);
    expect(double.correct.filter((s) => !isGood(s))).toEqual([]);
    expect(double.unjournaled.filter((s) => !isGood(s)).length).toBeGreaterThan(0);
  });
});
