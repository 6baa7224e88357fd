/**
 * Double sweeps (issue 10 item 1): a second cut in the recovery a first cut starts. The engine's
 * shortcut (the first cut's recovery recorded once with its own op log, each second cut's state
 * built from it) against the long way: runCut with the first cut's trigger and `second:` ms after
 * power returned, the delay computed from the recovery's op start times. Same outcome and final
 * flash hash on a seeded sample for every scheme (correct bootloaders and one seeded bug each).
 *
 * A replay has one power-loss mode for both cuts, so each sampled pair cuts both times in the same
 * mode (before: skip, after: complete, torn: torn at the second's fraction); mixed pairs are the
 * same machinery (load first, load second) and are covered by the sweep run below.
 */
import { describe, expect, it } from '@jest/globals';
// CPU-bound sweeps: the sweeps project's hang guard (this file belongs in jest.config.js's SWEEPS list).
import '../helpers/sweep-timeout.js';
import { loadRig } from '../../src/config/index.js';
import type { Trigger } from '../../src/config/trigger.js';
import { openRig } from '../../src/rig/open-rig.js';
import { runCut } from '../../src/scenario/cut.js';
import { countDoublePoints, runDoubleSweep, secondPoints } from '../../src/scenario/sweep/double.js';
import { mulberry32, tornFractions, type SweepCutMode, type SweepCutPoint } from '../../src/scenario/sweep/points.js';
import type { Recording } from '../../src/scenario/sweep/recording.js';
import { SweepSession, sweepRigConfig, type SweepRequest } from '../../src/scenario/sweep/session.js';
import { SCHEMES } from '../../src/schemes/meta-registry.js';

const SEED = 20261206;
const POWER_LOSS: Record<SweepCutMode, 'skip' | 'complete' | 'torn'> = { before: 'skip', after: 'complete', torn: 'torn' };
/**
 * Where a recovery writes flash, so that a second cut has ops to land on: MCUboot's resumed swap,
 * and STM32's repair (the repair-moves-boot variant; the correct STM32 bootloader and every SFU
 * variant write nothing while recovering: scanned over every scheme, variant and setup, and held
 * by the last test below).
 */
const VARIANTS: Record<string, string[]> = { 'sfu-ab': [], 'stm32-dualbank': ['repair-moves-boot'], 'mcuboot-swap': ['correct', 'resume-unjournaled'], 'loader-app': [] };

function requestFor(scheme: (typeof SCHEMES)[number], variant: string): SweepRequest {
  return { rig: scheme.bench.rig, twin: { variant }, images: { from: `firmware/${scheme.samples.from}`, to: `firmware/${scheme.samples.to}` }, seed: SEED };
}

function firstTrigger(rec: Recording, point: SweepCutPoint): Trigger {
  const op = rec.ops[point.op]!;
  const into = point.mode === 'torn' ? point.fraction! * op.durationMs : 0;
  if (op.marker !== undefined) return { kind: 'marker', edge: op.marker, delayMs: into };
  return { kind: 'after', ms: op.startMs - rec.updateStartMs + (point.mode === 'torn' ? into : op.durationMs / 2) };
}

// A scheme not in VARIANTS has no double-cut case yet (the two-processor product: its recording is being trimmed).
const cases = SCHEMES.flatMap((s) => (VARIANTS[s.name] ?? []).map((v) => [s.name, v, s] as const));

describe('double cuts: engine = runCut with second:', () => {
  it.each(cases)('%s / %s: seeded first cuts, two second cuts each in their recovery', async (_n, variant, scheme) => {
    const request = requestFor(scheme, variant);
    const session = await SweepSession.open(request);
    const seen: string[] = [];
    const replayed: string[] = [];
    try {
      const rec = session.recording;
      const next = mulberry32(SEED ^ rec.ops.length);
      for (const mode of ['before', 'after', 'torn'] as const) {
        // First cuts spread over the log; one whose recovery logs no op has no second cut: try on.
        let tries = 0;
        let pairs = 0;
        // Recoveries that write are those of cuts after the reset (signing, commit, swap): draw there first.
        const all = session.everyOp([mode]).filter((p) => rec.ops[p.op]!.target === 'flash');
        const late = all.filter((p) => rec.ops[p.op]!.stage === 'reboot');
        while (pairs < 1 && tries++ < 40) {
          const pool = tries <= 30 && late.length ? late : all;
          const first = pool[Math.floor(next() * pool.length)]!;
          const recovery = await session.recoveryOf(first);
          // An option-byte program that is cut never lands (the twin's model): no after state to replay.
          const candidates = recovery.ops.filter((o) => mode !== 'after' || (o.target === 'flash' && o.endMs !== undefined));
          if (!candidates.length) continue;
          pairs++;
          for (let i = 0; i < 2; i++) {
            const op = candidates[Math.floor(((i + next()) / 2) * candidates.length)]!;
            const fraction = mode === 'torn' ? tornFractions(first.seed, op.index, 1)[0]! : undefined;
            const point: SweepCutPoint = { ...first, second: { op: op.index, mode, ...(fraction !== undefined && { fraction }), seed: first.seed } };
            const fast = await session.recover(point);
            const secondMs = op.startMs - recovery.powerOnMs + (fraction !== undefined ? fraction * op.durationMs : op.durationMs / 2);
            const rig = await openRig(sweepRigConfig(await loadRig(request.rig), { twin: { ...request.twin, powerLoss: POWER_LOSS[mode] } }));
            try {
              const full = await runCut(rig, session.scheme, session.images, { trigger: firstTrigger(rec, first), second: secondMs, offMs: rig.config.power.offMs, seed: first.seed });
              const where = `op ${first.op} ${mode}${first.fraction !== undefined ? ` ${first.fraction.toFixed(3)}` : ''} / recovery op ${op.index} of ${recovery.ops.length} (${op.kind} @0x${op.address.toString(16)}, ${op.phase ?? '-'}, +${secondMs.toFixed(3)} ms)`;
              expect(`${where}: ${full.secondCut ? 'second cut made' : 'no second cut'}`).toBe(`${where}: second cut made`);
              seen.push(`${where}: ${fast.outcome} ${fast.stateHash}`);
              replayed.push(`${where}: ${full.outcome} ${rig.twin!.sweep.stateHash()}`);
            } finally {
              await rig.close();
            }
          }
        }
      }
    } finally {
      await session.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual(replayed);
  });

  // The repair of the STM32 repair-moves-boot bootloader runs in the app, after its banner: the
  // judged recovery ends there, and its log once held only the repair's first op (the BFB2
  // program), so a double sweep could not cut the repair. The log now runs until the device is
  // quiet (recordRecovery).
  it('stm32 repair-moves-boot (from bank 2): the recovery log holds the whole repair after the banner; a second cut inside it catches the bug, as runCut with second: does', async () => {
    const request: SweepRequest = {
      rig: 'rigs/twin-stm32f429-dualbank.yaml',
      twin: { variant: 'repair-moves-boot' },
      images: { previous: 'firmware/stm32-app-v1.bin', from: 'firmware/stm32-app-v2.bin', to: 'firmware/stm32-app-v3.bin' },
      setup: 'from-bank2',
      seed: SEED,
      offMs: 200,
    };
    const session = await SweepSession.open(request);
    try {
      const rec = session.recording;
      // A cut while bank 1 is half-written (the update's writes): the next boot repairs it.
      const write = rec.ops.find((o) => o.index >= 10 && o.stage === 'update' && o.kind === 'program' && o.target === 'flash')!;
      const first: SweepCutPoint = { op: write.index, mode: 'before', seed: SEED };
      const recovery = await session.recoveryOf(first);
      const erases = recovery.ops.filter((o) => o.kind === 'erase' && o.target === 'flash');
      const programs = recovery.ops.filter((o) => o.kind === 'program' && o.target === 'flash');
      expect({ erases: erases.length > 0, programs: programs.length > 10, options: recovery.ops[0]?.target }).toEqual({ erases: true, programs: true, options: 'options' });
      expect(recovery.ops.every((o) => o.endMs !== undefined)).toBe(true);
      // A cut in the middle of the repair's copy: BFB2 already points at the half-copied bank.
      const op = programs[Math.floor(programs.length / 2)]!;
      const point: SweepCutPoint = { ...first, second: { op: op.index, mode: 'before', seed: SEED } };
      const fast = await session.recover(point);
      const secondMs = op.startMs - recovery.powerOnMs + op.durationMs / 2;
      const rig = await openRig(sweepRigConfig(await loadRig(request.rig), { twin: { ...request.twin, powerLoss: 'skip' } }));
      try {
        const full = await runCut(rig, session.scheme, session.images, { trigger: firstTrigger(rec, first), second: secondMs, offMs: 200, seed: SEED, setup: 'from-bank2' });
        expect(full.secondCut).toBeDefined();
        expect({ outcome: fast.outcome, hash: fast.stateHash }).toEqual({ outcome: full.outcome, hash: rig.twin!.sweep.stateHash() });
      } finally {
        await rig.close();
      }
      expect(fast.outcome).toBe('boot-loop');
    } finally {
      await session.close();
    }
  });

  it('a double sweep (sampled) on worker threads gives the in-thread results; first cuts carry their recovery size', async () => {
    const scheme = SCHEMES.find((s) => s.name === 'mcuboot-swap')!;
    const request = requestFor(scheme, 'correct');
    const mode = { mode: 'double' as const, first: { sample: 4 }, second: { sample: 3 } };
    const threads = await runDoubleSweep(request, mode, { workers: 2, join: 'at-once' });
    const here = await runDoubleSweep(request, mode, { workers: 0 });
    const line = (r: { point: SweepCutPoint; outcome: string; stateHash: string }) =>
      `${r.point.op} ${r.point.mode}/${r.point.second?.op} ${r.point.second?.mode}: ${r.outcome} ${r.stateHash.slice(0, 12)}`;
    expect(threads.results.map(line)).toEqual(here.results.map(line));
    expect(here.firsts).toHaveLength(12);
    expect(here.firsts.every((f) => f.recovery !== undefined)).toBe(true);
    expect(here.results).toHaveLength(countDoublePoints(here.firsts, mode));
    expect(here.results.length).toBeGreaterThan(0);
    expect(here.secondOps).toBe(Math.max(...here.firsts.map((f) => f.recovery!.ops)));
    // Every double point is a first cut of the sweep with a second cut inside its recovery.
    for (const r of here.results) {
      const f = here.firsts.find((x) => x.point.op === r.point.op && x.point.mode === r.point.mode)!;
      expect(r.point.second!.op).toBeLessThan(f.recovery!.ops);
    }
    expect(secondPoints(here.firsts[0]!.point, { ops: 10, unfinished: [9] }, { mode: 'double', first: {}, second: {}, cut: ['after'] }).map((p) => p.second!.op)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each([
    ['sfu-ab', 'correct'],
    ['stm32-dualbank', 'correct'],
  ])('%s / %s: recoveries write nothing, so a double sweep is its first cuts alone', async (name, variant) => {
    const scheme = SCHEMES.find((s) => s.name === name)!;
    const mode = { mode: 'double' as const, first: { sample: 40 }, second: {} };
    const run = await runDoubleSweep(requestFor(scheme, variant), mode, { workers: 0 });
    expect(run.firsts.length).toBeGreaterThanOrEqual(100);
    expect(run.firsts.every((f) => f.recovery?.ops === 0)).toBe(true);
    expect(run.results).toEqual([]);
    expect(run.secondOps).toBe(0);
  });
});
