/**
 * Which double cuts `hil detect` tries: a cut, then a second cut in the recovery it starts (a resumed
 * swap, a repair). Two seeded bugs show only there: MCUboot `resume-unjournaled` and STM32
 * `repair-moves-boot`. Tried on the sweeps of the suites that have second-cut points (the suite
 * says its update has a recovery worth cutting), the correct bootloaders' included.
 *
 * The full product is too big for a per-commit check (each MCUboot first cut starts a ~568-op
 * resumed swap: ~1,700 second points, ~1,000,000 in all), so it is sampled, seeded by the sweep's
 * seed: DOUBLE_CANDIDATES first-cut ops in a seeded order, each in one seeded cut mode; each
 * candidate's recovery is recorded (cheap: one recovery) and the first DOUBLE_FIRSTS whose
 * recovery writes flash get second cuts at DOUBLE_SECOND_OPS seeded ops of it, each before, after
 * and torn once. A recovery that writes nothing (the correct STM32 bootloader's, SFU's) has no
 * second cut to make; the candidates are many so that a recovery that writes only after a cut in
 * one part of the update (repair-moves-boot: a half-written bank, ops 10-99 of 1,125) is found.
 * Measured (seed 1): of resume-unjournaled's first 6 candidates, 3 start recoveries where 21-25 % of
 * the second cuts brick it (those of cuts after the swap's first region), 3 none; repair-moves-boot
 * fails nearly every second cut of its repair. A double point costs what a one-cut point of the
 * same sweep does (~2.5 ms on MCUboot): 4 x 24 points per sweep.
 *
 * Which sweeps: see wantsDouble (run-detect.ts): the correct bootloaders, and seeded bugs no one-cut
 * point caught.
 */
import { sampleOps } from '../sweep/modes.js';
import { defaultFraction, mulberry32, pointSeed, tornPoint, SWEEP_CUT_MODES, type SweepCutPoint } from '../sweep/points.js';
import type { SweepOp } from '../../drivers/device/twin-sweep.js';
import type { DoubleMode } from '../sweep/double.js';

/** First-cut ops whose recoveries are looked at (each one recovery recorded). */
export const DOUBLE_CANDIDATES = 48;
/** First cuts with a writing recovery that get second cuts. */
export const DOUBLE_FIRSTS = 4;
/** Ops of each such recovery cut a second time (in each cut mode). */
export const DOUBLE_SECOND_OPS = 8;

/** The second cuts of one first cut: a seeded sample of its recovery's ops, each before, after and torn once. */
export const DETECT_DOUBLE_MODE: DoubleMode = { mode: 'double', first: {}, second: { sample: DOUBLE_SECOND_OPS } };

/**
 * The candidate first cuts, in the order they are looked at: DOUBLE_CANDIDATES seeded ops, in a
 * seeded order, each in one seeded cut mode (distinct ops: a sample spread over the update). An op
 * that never completed is never cut `after`. Seeded as every-op seeds its points, so a candidate
 * is the sweep's own point (`hil sweep --point OP:MODE[:F] --seed S` rebuilds it).
 */
export function doubleCandidates(ops: readonly SweepOp[], seed: number): SweepCutPoint[] {
  const chosen = sampleOps(ops, DOUBLE_CANDIDATES, seed ^ 0x2545f491);
  const next = mulberry32(seed ^ 0x7f4a7c15);
  const order = chosen.map((op) => ({ op, key: next() }));
  order.sort((a, b) => a.key - b.key);
  return order.map(({ op }) => {
    const modes = op.endMs === undefined ? SWEEP_CUT_MODES.filter((m) => m !== 'after') : SWEEP_CUT_MODES;
    const mode = modes[Math.floor(next() * modes.length)]!;
    if (mode === 'torn') return tornPoint(seed, op.index, defaultFraction(seed, op.index));
    return { op: op.index, mode, seed: pointSeed(seed, op.index, mode) };
  });
}
