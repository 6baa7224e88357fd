/** `hil detect`'s torn-fraction rule (src/scenario/detect/torn-rule.ts) on a hand-made op log. */
import { describe, expect, it } from '@jest/globals';
import { decisionOps, decisionPoints, NEARLY_ERASED, opPoints, unitFractions, writeUnitOf, ERASE_FRACTIONS } from '../../src/scenario/detect/torn-rule.js';
import { tornPoint } from '../../src/scenario/sweep/points.js';
import type { SweepOp } from '../../src/drivers/device/twin-sweep.js';

const op = (index: number, kind: 'program' | 'erase', length: number): SweepOp => ({
  index,
  marker: index + 1,
  edgesBefore: index,
  kind,
  target: 'flash',
  address: 0x800_0000 + index * length,
  length,
  startMs: index,
  endMs: index + 0.5,
  durationMs: 0.5,
  stage: 'update',
});

describe('torn rule', () => {
  it('first pass: each op before, after and torn once; each erase also nearly erased', () => {
    const ops = [op(0, 'erase', 4096), op(1, 'program', 16)];
    const points = opPoints(ops, 1);
    expect(points.map((p) => `${p.op}:${p.mode}`)).toEqual(['0:before', '0:after', '0:torn', '1:before', '1:after', '1:torn', '0:torn']);
    expect(points.at(-1)).toEqual(tornPoint(1, 0, NEARLY_ERASED));
  });

  it('a decision op is one whose before and after points end differently', () => {
    const ops = [op(0, 'program', 16), op(1, 'program', 16), op(2, 'program', 16)];
    const outcomes: Record<string, string> = { '0:before': 'rolled-back', '0:after': 'rolled-back', '1:before': 'rolled-back', '1:after': 'updated', '2:before': 'updated' };
    expect(decisionOps(ops, (o, m) => outcomes[`${o}:${m}`] as never).map((o) => o.index)).toEqual([1]);
  });

  // The vector-row-commit case: a 16-byte row of 4-byte words is torn in each of its 4 words, so
  // the states "SP landed, reset vector torn" (word 1) and later ones are all tried.
  it('a decision program is torn in the middle of each write unit, each point seeded as hil sweep --point seeds it', () => {
    const points = decisionPoints([op(5, 'program', 16)], 9, 4);
    expect(points.map((p) => p.fraction)).toEqual([0.125, 0.375, 0.625, 0.875]);
    expect(points).toEqual(points.map((p) => tornPoint(9, 5, p.fraction!)));
    // A 16 us-per-word row: word k of 4 is torn at fraction (k + 0.5) / 4, i.e. unit floor(f * 4) = k.
    expect(points.map((p) => Math.floor(p.fraction! * 4))).toEqual([0, 1, 2, 3]);
  });

  it('a decision erase is torn at the erase fractions; units per op are capped', () => {
    expect(decisionPoints([op(3, 'erase', 4096)], 1, 4).map((p) => p.fraction)).toEqual([...ERASE_FRACTIONS]);
    const many = unitFractions(100_000);
    expect(many).toHaveLength(1024);
    expect(new Set(many.map((f) => Math.floor(f * 100_000))).size).toBe(1024);
  });

  it('write units: the STM32F4 and nRF52840 program words, the RP2040 QSPI NOR bytes', () => {
    expect([writeUnitOf('stm32-dualbank'), writeUnitOf('mcuboot-swap'), writeUnitOf('sfu-ab')]).toEqual([4, 4, 1]);
  });
});
