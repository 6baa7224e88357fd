import type { SweepSession } from '../../src/scenario/sweep/session.js';

/**
 * The session with its run memo held off (src/twin/flash/run-memo.ts): every point's recovery is
 * simulated, so a test of another memo (a resume jump, a board's tail) sees every point go through it.
 */
export function holdOffRuns(session: SweepSession): SweepSession {
  session.rig.twin!.sweep.runs.find = () => undefined;
  return session;
}
