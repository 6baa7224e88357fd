/**
 * A sweep takes a point's recovery from an earlier point's when the earlier run read the same stored
 * bytes (src/twin/flash/run-memo.ts): a cut mid-download that the bootloader never looks past the
 * header of is one run for the whole download. The points that took a run must end exactly as the
 * same sweep with the memo held off: same outcome, same reasons, same final flash hash (the sectors
 * the run wrote put over the point's own cut state). Every scheme, the correct firmware and a bug.
 */
import { describe, expect, it } from '@jest/globals';
import type { PointResult } from '../../src/scenario/sweep/recover.js';
import type { SweepCutPoint } from '../../src/scenario/sweep/points.js';
import { SweepSession, type SweepRequest } from '../../src/scenario/sweep/session.js';
import { SCHEMES } from '../../src/schemes/meta-registry.js';
import { holdOffRuns } from './hold-off-runs.js';

function request(scheme: string, variant: string, bootLoopCycles = 0): SweepRequest {
  const meta = SCHEMES.find((s) => s.name === scheme)!;
  return {
    rig: meta.bench.rig,
    twin: { variant },
    images: { from: `firmware/${meta.samples.from}`, to: `firmware/${meta.samples.to}` },
    seed: 5,
    ...(bootLoopCycles && { bootLoopCycles }),
  };
}

function line(r: PointResult): string {
  return `op ${r.point.op} ${r.point.mode}${r.point.fraction !== undefined ? ` ${r.point.fraction.toFixed(3)}` : ''}: ${r.outcome} ${r.stateHash} ${r.reasons.join(' | ')}`;
}

async function sweep(session: SweepSession, points: readonly SweepCutPoint[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of points) out.push(line(await session.recover(p)));
  return out;
}

describe('recoveries taken by what they read', () => {
  it.each([
    ['loader-app', 'correct', 1, 0],
    ['loader-app', 'header-first', 1, 0],
    ['sfu-ab', 'correct', 3, 0],
    ['sfu-ab', 'boot-unsigned-target', 3, 0],
    ['stm32-dualbank', 'correct', 5, 0],
    ['stm32-dualbank', 'bfb2-before-verify', 5, 0],
    ['mcuboot-swap', 'correct', 3, 0],
    ['mcuboot-swap', 'no-status-journal', 6, 0],
    ['multi-mcu-dfu', 'correct', 4, 0],
    // Every op: the torn download records (ops 453, 574, ...) are where keying a tail's hit on too few sectors showed.
    ['multi-mcu-dfu', 'host-confirms-early', 1, 0],
    // With a power cycle after each recovery (as the detection suites run): the run taken covers it,
    // the flash read at the judgement and again at the end as the point's own.
    ['sfu-ab', 'boot-unsigned-target', 3, 1],
    ['mcuboot-swap', 'journal-before-copy', 3, 1],
    ['loader-app', 'no-slot2-fallback', 1, 1],
    ['multi-mcu-dfu', 'correct', 8, 1],
  ])('%s %s: the points of every op index divisible by %i end as with the memo held off (power cycles after: %i)', async (scheme, variant, every, cycles) => {
    const req = request(scheme, variant, cycles);
    const fast = await SweepSession.open(req);
    const slow = await SweepSession.open(req);
    holdOffRuns(slow);
    try {
      const points = fast.everyOp(['before', 'after', 'torn']).filter((p) => p.op % every === 0);
      const seen = await sweep(fast, points);
      expect(seen).toEqual(await sweep(slow, points));
      // The memo was used: points whose state differed from every earlier one in sectors their run never read.
      expect(fast.rig.twin!.sweep.runs.hits).toBeGreaterThan(0);
      expect(slow.rig.twin!.sweep.runs.hits).toBe(0);
    } finally {
      await fast.close();
      await slow.close();
    }
  });
});
