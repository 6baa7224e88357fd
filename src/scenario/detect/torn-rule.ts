/**
 * Which cut points `hil detect` tries per op: the rule for torn fractions.
 *
 * Every op gets its `before` and `after` point and one torn point at a seeded fraction (the
 * engine's every-op points). That alone missed stm32 `vector-row-commit` under rom-fallback:
 * its commit is one 16-byte program of the vector row (4 words, 64 us); a cut tears it word
 * by word (NOR physics: words 0..k-1 done, word k part-programmed, the rest erased), and only
 * k >= 1 catches it (k = 1: SP landed, reset vector torn, boot-loop; k = 2, 3: the NMI/HardFault
 * words torn, wrong-image), k = 0 leaves the SP word torn and the ROM falls back to bank 1
 * (rolled-back, fine). The sweep's seed put that op's one fraction in word 0 (measured: every
 * seed catches at k = 1..3, none at k = 0; the suite's `marker:1123+0.03ms` is k = 1).
 *
 * The rule: an op is a *decision op* when its `before` and `after` points recover to different
 * outcomes: the op flips what the next boot does (a commit word, a trailer flag, a BFB2 program,
 * a signature). A torn state lies bitwise between the op's before and after states (a program
 * only clears bits toward its data, an erase only sets them), so where before and after agree, a
 * torn state is a mix the bootloader treats alike unless it trusts partial data, and the one
 * seeded torn point per op checks that. Where they differ, which fields of the op landed decides,
 * so a decision op is torn at every write unit (fraction (k + 0.5)/n: units 0..k-1 programmed,
 * unit k torn with seeded bits), which is every torn prefix state the part's physics can leave;
 * a decision erase, which has no prefix, is torn at ERASE_FRACTIONS (each programmed bit back to 1
 * with that probability: barely begun, nearly intact, half, nearly erased). Barely begun (1e-4: a
 * hundred or so of a 128 KiB sector's programmed bits back to 1) is code that still looks whole:
 * loader-app erase-to-invalidate (slot 2 erased to invalidate it) is caught only by a tear in the
 * first few tenths of a ms of its ~1 s sector erase (the old app runs over corrupted code:
 * wrong-image; measured: 1e-4 caught with seeds 1-3, 2e-4 and 3e-4 with some, 1e-3 ends in DFU mode
 * after three HardFaults, which is safe). Measured on the detection suites:
 * 0-12 decision ops per sweep, so the rule costs at most a few hundred points per sweep
 * (an SFU signature page: 256 one-byte units) where one fraction per unit of every op would cost
 * ~50,000 (STM32) to ~160,000 (SFU).
 *
 * And every erase is also torn NEARLY_ERASED of the way: a page that reads erased at a glance (a
 * word with 16 programmed bits reads 0xFFFFFFFF with probability 0.99^16 = 85 %) but still holds
 * programmed bits (0.99^(bits of a page) ~ 0), the state an "is it already erased?" shortcut
 * misreads. MCUboot `resume-skips-erased-pages` (a redone step skips pages whose first word reads
 * erased) shows only there: of its sweep's 158 erases, torn at 0.5 / 0.8 catch none, 0.9 five,
 * 0.95 fifteen, 0.97 nineteen, 0.99 thirty-one (measured); its suite catches it 82 ms into an 85 ms
 * erase (0.965). A seeded fraction in 0.05-0.95 rarely gets there, and before/after agree on
 * every erase of that sweep, so it is no decision op.
 */
import { SCHEME_TARGET, type Outcome, type Target } from '../../config/vocabulary.js';
import { NRF52840_NVMC } from '../../targets/nrf52840.js';
import { NRF9160_NVMC } from '../../targets/nrf9160.js';
import { STM32F429_FLASH_GEOMETRY } from '../../targets/stm32f429.js';
import { everyOpPoints, tornPoint, type SweepCutPoint } from '../sweep/points.js';
import type { SweepOp } from '../../drivers/device/twin-sweep.js';

/** Torn fractions of a decision erase. */
export const ERASE_FRACTIONS: readonly number[] = [0.0001, 0.1, 0.3, 0.5, 0.7, 0.9];

/** Every erase is torn this far too (see the file comment). */
export const NEARLY_ERASED = 0.99;

/** Write units per op beyond which a decision program is torn at this many evenly spaced units instead (a hang guard: none of today's decision ops is that long). */
export const MAX_UNITS_PER_OP = 1024;

/** The program granule of each target's update flash, in bytes: what one torn prefix step adds. */
const WRITE_UNIT: Readonly<Record<Target, number>> = {
  stm32f429: STM32F429_FLASH_GEOMETRY.writeUnit,
  nrf52840: NRF52840_NVMC.writeUnit,
  // A product's host member; its shared SPI NOR programs bytes, so a prefix step there is coarser than the part's.
  nrf9160: NRF9160_NVMC.writeUnit,
  // The RP2040's QSPI NOR (W25Q32) programs bytes: a page program tears byte by byte.
  rp2040: 1,
};

export function writeUnitOf(scheme: string): number {
  const target = SCHEME_TARGET[scheme];
  return target ? WRITE_UNIT[target] : 1;
}

/** The first pass: every op before, after and torn at one seeded fraction (the engine's every-op points), and every erase nearly erased. */
export function opPoints(ops: readonly SweepOp[], seed: number): SweepCutPoint[] {
  const points = everyOpPoints(ops, ['before', 'after', 'torn'], seed);
  for (const op of ops) if (op.kind === 'erase') points.push(tornPoint(seed, op.index, NEARLY_ERASED));
  return points;
}

/** Ops whose before and after points ended differently. `outcomeOf(op, mode)` is undefined for a point not tried. */
export function decisionOps(ops: readonly SweepOp[], outcomeOf: (op: number, mode: 'before' | 'after') => Outcome | undefined): SweepOp[] {
  return ops.filter((op) => {
    const before = outcomeOf(op.index, 'before');
    const after = outcomeOf(op.index, 'after');
    return before !== undefined && after !== undefined && before !== after;
  });
}

/** The second pass: the extra torn points of the decision ops. `writeUnit` is the part's program granule in bytes. */
export function decisionPoints(ops: readonly SweepOp[], seed: number, writeUnit: number): SweepCutPoint[] {
  const points: SweepCutPoint[] = [];
  for (const op of ops) {
    const fractions = op.kind === 'erase' ? ERASE_FRACTIONS : unitFractions(Math.max(1, Math.floor(op.length / writeUnit)));
    // Seeded as `hil sweep --point OP:torn:F --seed S` seeds it, so each point replays from its label.
    for (const fraction of fractions) points.push(tornPoint(seed, op.index, fraction));
  }
  return points;
}

/** The middle of each of n write units (at most MAX_UNITS_PER_OP of them, evenly spaced). */
export function unitFractions(units: number): number[] {
  const n = Math.min(units, MAX_UNITS_PER_OP);
  return Array.from({ length: n }, (_, i) => (Math.floor((i * units) / n) + 0.5) / units);
}
