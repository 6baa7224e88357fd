/**
 * A sweep's recoveries of a resumed MCUboot swap rejoin: every cut inside one step of the swap
 * redoes that step, then stands where the first such recovery stood, with the same flash, and the
 * twin jumps to where that one ended (src/twin/flash/resume-memo.ts) instead of simulating the rest.
 * The points that jumped must end exactly as the full replay of the same cut does (runCut: the
 * whole update, a marker trigger at the op, every op of the recovery simulated, which never jumps):
 * same outcome, same final flash hash. On the plain update (test swap) and on a revert (a TEST image
 * that crashes: the revert swap runs before any banner, the boot-loop check after it).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadRig } from '../../src/config/index.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { runCut } from '../../src/scenario/cut.js';
import type { SweepCutPoint } from '../../src/scenario/sweep/points.js';
import { SweepSession, sweepRigConfig, type SweepRequest } from '../../src/scenario/sweep/session.js';
import { holdOffRuns } from './hold-off-runs.js';

const RIG = 'rigs/twin-nrf52840-mcuboot.yaml';
const PLAIN: SweepRequest = { rig: RIG, images: { from: 'firmware/mcuboot-app-v1.signed.bin', to: 'firmware/mcuboot-app-v2.signed.bin' }, seed: 11 };
const REVERT: SweepRequest = {
  rig: RIG,
  images: { from: 'firmware/mcuboot-app-v1.signed.bin', to: 'firmware/mcuboot-app-v2-crashes.signed.bin' },
  setup: 'test',
  seed: 11,
  bootLoopCycles: 1,
};

const rigs: Rig[] = [];
afterAll(async () => {
  for (const rig of rigs) await rig.close();
});

/** Torn points at every `every`-th op of two steps of the swap (cuts inside one step rejoin once it is redone). */
function pointsOf(session: SweepSession, phases: readonly string[], every: number): SweepCutPoint[] {
  const ops = session.recording.ops.filter((o) => phases.includes(o.phase ?? '')).filter((_, i) => i % every === 0);
  const torn = new Map(session.everyOp(['torn']).map((p) => [p.op, p]));
  return ops.map((o) => torn.get(o.index)!);
}

/** The sweep's outcome and state hash per point, the full replay's, and how many recoveries jumped. */
async function both(request: SweepRequest, phases: readonly string[], every: number): Promise<{ seen: string[]; replayed: string[]; jumps: number }> {
  // Its run memo held off: every point's swap resumes (and may jump) rather than taking an earlier point's run.
  const session = holdOffRuns(await SweepSession.open(request));
  const config = sweepRigConfig(await loadRig(RIG), { twin: { powerLoss: 'torn' } });
  const rig = await openRig(config);
  rigs.push(rig);
  try {
    const points = pointsOf(session, phases, every);
    expect(points.length).toBeGreaterThanOrEqual(6);
    const seen: string[] = [];
    const replayed: string[] = [];
    const jumps0 = session.rig.twin!.sweep.jumps();
    for (const point of points) {
      const fast = await session.recover(point);
      const op = session.recording.ops[point.op]!;
      const full = await runCut(rig, session.scheme, session.images, {
        trigger: { kind: 'marker', edge: op.marker!, delayMs: point.fraction! * op.durationMs },
        offMs: rig.config.power.offMs,
        seed: point.seed,
        ...(request.bootLoopCycles !== undefined && { bootLoopCycles: request.bootLoopCycles }),
      });
      const where = `op ${point.op} (${op.phase}) torn ${point.fraction!.toFixed(3)}`;
      seen.push(`${where}: ${fast.outcome} ${fast.stateHash}`);
      replayed.push(`${where}: ${full.outcome} ${rig.twin!.sweep.stateHash()}`);
    }
    // A full replay is no sweep recovery: it never jumps.
    expect(rig.twin!.sweep.jumps()).toBe(0);
    return { seen, replayed, jumps: session.rig.twin!.sweep.jumps() - jumps0 };
  } finally {
    await session.close();
  }
}

describe('a resumed swap that rejoins an earlier recovery jumps to its end, and ends as the full replay', () => {
  it('the update swap: cuts inside two steps', async () => {
    const { seen, replayed, jumps } = await both(PLAIN, ['swap idx 1 state 2', 'swap idx 2 state 1'], 12);
    // All but the first recovery of each step rejoin.
    expect(jumps).toBeGreaterThanOrEqual(seen.length - 3);
    expect(seen).toEqual(replayed);
  });

  it('a revert: cuts in the test swap (the revert follows before any banner) and in the revert, then the boot-loop check', async () => {
    const { seen, replayed, jumps } = await both(REVERT, ['swap idx 1 state 3', 'revert idx 1 state 2', 'revert idx 2 state 1'], 16);
    expect(jumps).toBeGreaterThanOrEqual(seen.length - 3);
    expect(seen).toEqual(replayed);
  });
});
