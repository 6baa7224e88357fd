/**
 * A sweep's worker threads open their sessions on the engine's recording (issue 10: "send the
 * recording to the workers"): the update's before/after states cross a thread boundary as a
 * structured clone and must give the same results as the session that recorded them, including
 * the STM32's option bytes beside the flash (their bytes are in the state hash). A torn cut reruns
 * its op, which only the recording session holds: the error names the op. The pace rules decide
 * which blocks a session takes and when a worker records the update itself.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadRig } from '../../src/config/index.js';
import { SweepSession, sweepRigConfig, type SweepRequest } from '../../src/scenario/sweep/session.js';
import { SweepPace } from '../../src/scenario/sweep/pace.js';
import { blocksOf, splitTorn } from '../../src/scenario/sweep/share.js';
import type { SweepCutPoint } from '../../src/scenario/sweep/points.js';
import { SCHEMES } from '../../src/schemes/meta-registry.js';

const sessions: SweepSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

function requestFor(name: string): SweepRequest {
  const scheme = SCHEMES.find((s) => s.name === name)!;
  return { rig: scheme.bench.rig, images: { from: `firmware/${scheme.samples.from}`, to: `firmware/${scheme.samples.to}` }, seed: 7 };
}

describe('a sweep session on another thread’s recording', () => {
  it.each(['stm32-dualbank', 'loader-app'])('%s: before/after points give the recording session’s results; a torn point names its op', async (name) => {
    const request = requestFor(name);
    const config = sweepRigConfig(await loadRig(request.rig), request);
    const recorder = await SweepSession.openWith(config, request);
    sessions.push(recorder);
    // What postMessage does to it: Buffers arrive as plain Uint8Arrays.
    const sent = structuredClone(recorder.exportRecording());
    const taker = await SweepSession.openWith(config, request, { recorded: sent });
    sessions.push(taker);
    expect(taker.tears).toBe(false);
    expect(taker.recording.ops).toEqual(recorder.recording.ops);
    const ops = recorder.recording.ops.length;
    // A spread of ops, both modes, in an order of their own (a worker's blocks come in any order).
    const points: SweepCutPoint[] = [];
    for (let op = ops - 1; op >= 0; op -= Math.max(1, Math.floor(ops / 12))) points.push({ op, mode: 'after', seed: 7 }, { op, mode: 'before', seed: 7 });
    for (const p of points) {
      const theirs = await taker.recover(p);
      const mine = await recorder.recover(p);
      expect({ op: p.op, mode: p.mode, outcome: theirs.outcome, reasons: theirs.reasons, stateHash: theirs.stateHash }).toEqual({
        op: p.op,
        mode: p.mode,
        outcome: mine.outcome,
        reasons: mine.reasons,
        stateHash: mine.stateHash,
      });
    }
    await expect(taker.recover({ op: 1, mode: 'torn', fraction: 0.5, seed: 7 })).rejects.toThrow('op 1 cannot be torn here');
  });

  it('a loader-app reading builds its table when read, and JSON and structured clones still carry it', async () => {
    const request = requestFor('loader-app');
    const session = await SweepSession.openWith(sweepRigConfig(await loadRig(request.rig), request), request);
    sessions.push(session);
    const view = await session.scheme.inspect(session.rig.twin!.sweep.probe, [session.images.from, session.images.to]);
    expect(view.table).toContain('slot2');
    expect((JSON.parse(JSON.stringify(view)) as { table: string }).table).toBe(view.table);
    expect(structuredClone(view).table).toBe(view.table);
  });
});

describe('sweep pace', () => {
  const point = (op: number, mode: SweepCutPoint['mode']): SweepCutPoint => ({ op, mode, seed: 1 });

  it('torn cuts go in blocks of their own, the rest keep their blocks', () => {
    const points = [point(0, 'before'), point(0, 'torn'), point(1, 'after'), point(20, 'torn'), point(21, 'before')];
    expect(splitTorn(points, blocksOf(points))).toEqual({ blocks: [[0, 2], [4]], torn: [[1], [3]] });
  });

  it('a worker records the update only while torn blocks are left that would keep the engine’s thread longer than its recording took', () => {
    const pace = new SweepPace();
    // The engine's thread has not recorded yet: nothing known, a worker may record.
    expect(pace.worthRecording()).toBe(true);
    pace.opened(200, 4, 3);
    expect(pace.left()).toEqual({ blocks: 4, torn: 3 });
    // No block done yet: no pace known.
    expect(pace.worthRecording()).toBe(true);
    pace.claimTorn();
    pace.blockDone(30);
    // 2 torn + 4 other blocks left at 30 ms: 180 ms < 200 ms of recording.
    expect(pace.worthRecording()).toBe(false);
    // Slower blocks: worth it.
    pace.blockDone(90);
    expect(pace.worthRecording()).toBe(true);
    pace.claimTorn();
    pace.claimTorn();
    // No torn block left: the worker's own recording would take nothing the engine's session cannot.
    expect(pace.left()).toEqual({ blocks: 4, torn: 0 });
    expect(pace.worthRecording()).toBe(false);
    // The counters are shared memory: a pace over the same buffer (another thread's) sees the same.
    expect(new SweepPace(pace.buffer).left()).toEqual({ blocks: 4, torn: 0 });
  });
});
