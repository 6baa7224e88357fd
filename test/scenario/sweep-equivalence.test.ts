/**
 * The sweep engine's shortcut (record the update once, build each cut point's flash from the op
 * log, simulate only the recovery) against the long way: the same cut replayed in full by runCut
 * (baseline, update, a marker trigger at the op, the power-loss mode that gives the point's
 * state, recovery, both verdicts). On a seeded sample of points for every scheme and every twin
 * variant, both must give the same outcome and the same final flash (and option bytes) hash.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadRig } from '../../src/config/index.js';
import type { Trigger } from '../../src/config/trigger.js';
import { TWIN_VARIANTS } from '../../src/drivers/device/twin.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { runCut } from '../../src/scenario/cut.js';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import type { SweepCutMode, SweepCutPoint } from '../../src/scenario/sweep/points.js';
import type { Recording } from '../../src/scenario/sweep/recording.js';
import { pointAtProgress, pointAtTime } from '../../src/scenario/sweep/modes.js';
import { formatTrigger } from '../../src/config/trigger.js';
import { SweepSession, sweepRigConfig, type SweepRequest } from '../../src/scenario/sweep/session.js';
import { SCHEMES as ALL_SCHEMES } from '../../src/schemes/meta-registry.js';

/** Single-processor schemes: every variant sampled in every mode. */
const SCHEMES = ALL_SCHEMES.filter((s) => !s.members);
/**
 * Products (a scheme with members): a point recovers the rest of a two-processor update (seconds of
 * device time, ~10 ms of CPU each way), so each variant gets one point per mode.
 */
const PRODUCTS = ALL_SCHEMES.filter((s) => s.members);

/** Points per mode and (scheme, variant): enough to cross the update, the reset and the bootloader's work. */
const PER_MODE = 3;
const SEED = 20261205;

/** The power-loss mode under which runCut's cut at an op's start leaves the point's state. */
const POWER_LOSS: Record<SweepCutMode, 'skip' | 'complete' | 'torn'> = { before: 'skip', after: 'complete', torn: 'torn' };

function requestFor(scheme: (typeof ALL_SCHEMES)[number], variant: string, extra: Partial<SweepRequest> = {}): SweepRequest {
  return { rig: scheme.bench.rig, twin: { variant }, images: { from: `firmware/${scheme.samples.from}`, to: `firmware/${scheme.samples.to}` }, seed: SEED, ...extra };
}

/** A seeded sample: PER_MODE ops per mode, spread over the whole log (mulberry32, as the twin's). */
function sample(session: SweepSession, seed: number, perMode = PER_MODE): SweepCutPoint[] {
  let state = seed >>> 0;
  const next = () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rec = session.recording;
  const points: SweepCutPoint[] = [];
  for (const mode of ['before', 'after', 'torn'] as const) {
    // An option-byte program that is cut never lands (the twin's model): its after state is not a cut state.
    const all = session.everyOp([mode]).filter((p) => !(mode === 'after' && rec.ops[p.op]!.target === 'options'));
    for (let i = 0; i < perMode; i++) points.push(all[Math.floor(((i + next()) / perMode) * all.length)]!);
  }
  return points;
}

/** The trigger that replays a point: the op's marker edge (plus the torn delay); an option-byte program by time. */
function replayTrigger(rec: Recording, point: SweepCutPoint): Trigger {
  const op = rec.ops[point.op]!;
  const into = point.mode === 'torn' ? point.fraction! * op.durationMs : 0;
  if (op.marker !== undefined) return { kind: 'marker', edge: op.marker, delayMs: into };
  return { kind: 'after', ms: op.startMs - rec.updateStartMs + (point.mode === 'torn' ? into : op.durationMs / 2) };
}

const replayRigs = new Map<string, Rig>();
afterAll(async () => {
  for (const rig of replayRigs.values()) await rig.close();
});

async function replayRig(request: SweepRequest, mode: SweepCutMode): Promise<Rig> {
  const key = `${request.rig}/${request.twin?.variant}/${mode}`;
  // Rigs are reused across points (runCut restores its cached baseline), as a suite does.
  let rig = replayRigs.get(key);
  if (!rig) {
    const config = sweepRigConfig(await loadRig(request.rig), { twin: { ...request.twin, powerLoss: POWER_LOSS[mode] } });
    replayRigs.set(key, (rig = await openRig(config)));
  }
  return rig;
}

const cases = SCHEMES.flatMap((scheme) => Object.keys(TWIN_VARIANTS[scheme.name]!).map((variant) => [scheme.name, variant, scheme] as const));
const productCases = PRODUCTS.flatMap((scheme) => Object.keys(TWIN_VARIANTS[scheme.name]!).map((variant) => [scheme.name, variant, scheme] as const));

/** Engine and full replay of each sampled point, as comparable lines (outcome and final state hash). */
async function compare(request: SweepRequest, perMode = PER_MODE): Promise<{ seen: string[]; replayed: string[] }> {
  const session = await SweepSession.open(request);
  try {
    const rec = session.recording;
    // A seeded bug may stop the update early (erase-running-slot: a handful of ops), never before the first.
    expect(rec.ops.length).toBeGreaterThan(0);
    const seen: string[] = [];
    const replayed: string[] = [];
    for (const point of sample(session, SEED ^ rec.ops.length, perMode)) {
      const fast = await session.recover(point);
      const rig = await replayRig(request, point.mode);
      const full = await runCut(rig, session.scheme, session.images, {
        trigger: replayTrigger(rec, point),
        offMs: rig.config.power.offMs,
        seed: point.seed,
        ...(request.bootLoopCycles !== undefined && { bootLoopCycles: request.bootLoopCycles }),
      });
      const op = rec.ops[point.op]!;
      const where = `op ${point.op} (${op.kind} ${op.target} @0x${op.address.toString(16)}, ${op.stage}/${op.phase ?? '-'}) ${point.mode}${point.fraction !== undefined ? ` ${point.fraction.toFixed(3)}` : ''}`;
      // The replay cut where the point says: at that op's marker edge (or, for an option-byte program, inside it).
      expect(`${where}: ${full.fired?.line ?? 'by time'}`).toBe(`${where}: ${op.marker !== undefined ? `marker edge ${op.marker}` : 'by time'}`);
      seen.push(`${where}: ${fast.outcome} ${fast.stateHash}`);
      replayed.push(`${where}: ${full.outcome} ${rig.twin!.sweep.stateHash()}`);
      // A product's firmware always has a timer pending: left on, the replay rig's twin would run on
      // whenever this test waits, behind the session's.
      await rig.power.off();
    }
    return { seen, replayed };
  } finally {
    await session.close();
  }
}

/** mulberry32 from a seed, as the sample above. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Range points (src/scenario/sweep/modes.ts) against the full replay of their own trigger: a time
 * (`after:`) inside an op, between ops and before the first, and progress amounts, each replayed
 * by runCut on a twin whose power-loss mode is torn (what the mapping models inside an op).
 */
async function compareRange(request: SweepRequest): Promise<{ seen: string[]; replayed: string[] }> {
  const session = await SweepSession.open(request);
  try {
    const rec = session.recording;
    const next = rng(SEED ^ 0x2545f491 ^ rec.ops.length);
    const ops = rec.ops;
    const rel = (t: number) => t - rec.updateStartMs;
    const triggers: Trigger[] = [];
    // Inside ops (any op, any instant of it), spread over the log.
    for (let i = 0; i < 3; i++) {
      const op = ops[Math.floor(((i + next()) / 3) * ops.length)]!;
      triggers.push({ kind: 'after', ms: rel(op.startMs + (0.02 + 0.96 * next()) * op.durationMs) });
    }
    // Between ops: the middle of seeded gaps (where the device computes, waits or resets).
    const gaps = ops.slice(1).filter((o, i) => ops[i]!.endMs !== undefined && o.startMs - ops[i]!.endMs! > 0.01);
    for (let i = 0; i < 2 && gaps.length; i++) {
      const o = gaps[Math.floor(((i + next()) / 2) * gaps.length)]!;
      const prev = ops[o.index - 1]!;
      triggers.push({ kind: 'after', ms: rel((prev.endMs! + o.startMs) / 2) });
    }
    if (ops[0]!.startMs > rec.updateStartMs + 1) triggers.push({ kind: 'after', ms: rel(ops[0]!.startMs) / 2 });
    for (let i = 0; i < 2; i++) triggers.push({ kind: 'progress', percent: Math.round((i + next()) * 50) });
    const seen: string[] = [];
    const replayed: string[] = [];
    const config = sweepRigConfig(await loadRig(request.rig), { twin: { ...request.twin, powerLoss: 'torn' } });
    for (const trigger of triggers) {
      const point = trigger.kind === 'after' ? pointAtTime(rec, trigger.ms, SEED) : pointAtProgress(rec, trigger as { percent: number }, SEED);
      if (!point) continue;
      const fast = await session.recover(point);
      // A fresh rig per replay, as the recording's and as `hil cut`'s: a time trigger on a reused
      // STM32 twin rig (its baseline restored from the cache) was seen to land on other flash.
      const rig = await openRig(config);
      try {
        const full = await runCut(rig, session.scheme, session.images, { trigger, offMs: rig.config.power.offMs, seed: point.seed });
        const where = `${formatTrigger(trigger)} -> op ${point.op} ${point.mode}${point.fraction !== undefined ? ` ${point.fraction.toFixed(4)}` : ''}${point.atMs !== undefined ? ' (timed)' : ''}`;
        seen.push(`${where}: ${fast.outcome} ${fast.stateHash}`);
        replayed.push(`${where}: ${full.outcome} ${rig.twin!.sweep.stateHash()}`);
      } finally {
        await rig.close();
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(5);
    return { seen, replayed };
  } finally {
    await session.close();
  }
}

describe('sweep engine = full replay of the same cut', () => {
  it.each(SCHEMES.map((s) => [s.name, s] as const))('%s: range points (after, progress) = the replay of their own trigger', async (_name, scheme) => {
    const { seen, replayed } = await compareRange(requestFor(scheme, 'correct'));
    expect(seen).toEqual(replayed);
  });

  it.each(cases)('%s / %s: seeded points in every mode', async (_name, variant, scheme) => {
    const { seen, replayed } = await compare(requestFor(scheme, variant));
    expect(seen).toEqual(replayed);
  });

  it.each(PRODUCTS.map((s) => [s.name, s] as const))('product %s: range points (after, progress) = the replay of their own trigger', async (_name, scheme) => {
    const { seen, replayed } = await compareRange(requestFor(scheme, 'correct'));
    expect(seen).toEqual(replayed);
  });

  it.each(productCases)('product %s / %s: a seeded point in each mode', async (_name, variant, scheme) => {
    const { seen, replayed } = await compare(requestFor(scheme, variant), 1);
    expect(seen).toEqual(replayed);
  });

  it.each(SCHEMES.map((s) => [s.name, s] as const))('%s: with the boot-loop check (two more power cycles)', async (_name, scheme) => {
    const { seen, replayed } = await compare(requestFor(scheme, 'correct', { bootLoopCycles: 2 }), 1);
    expect(seen).toEqual(replayed);
  });

  // An upgrade that crashes at start: points end in crash loops, which the sweep stops watching once
  // a cycle repeats with no flash write (observeBoot's writes), the full replay watches to the timeout.
  it.each(['never-revert', 'correct'])('mcuboot-swap / %s, a TEST upgrade that crashes: crash loops judged as the full replay judges them', async (variant) => {
    const scheme = SCHEMES.find((s) => s.name === 'mcuboot-swap')!;
    const { seen, replayed } = await compare(
      requestFor(scheme, variant, { setup: 'test', images: { from: 'firmware/mcuboot-app-v1.signed.bin', to: 'firmware/mcuboot-app-v2-crashes.signed.bin' } }),
      2,
    );
    expect(seen).toEqual(replayed);
    if (variant === 'never-revert') expect(seen.filter((l) => / boot-loop /.test(l)).length).toBeGreaterThan(0);
  });

  it('a crash loop that repeats with no flash write ends the watch before the boot timeout (virtual time)', async () => {
    const scheme = SCHEMES.find((s) => s.name === 'mcuboot-swap')!;
    const session = await SweepSession.open(
      requestFor(scheme, 'never-revert', { setup: 'test', images: { from: 'firmware/mcuboot-app-v1.signed.bin', to: 'firmware/mcuboot-app-v2-crashes.signed.bin' } }),
    );
    try {
      // After the swap's last op the crashing image is in the primary and never reverted.
      const point = session.everyOp(['after']).at(-1)!;
      const t0 = session.rig.clock.now();
      const r = await session.recover(point);
      expect(r.outcome).toBe('boot-loop');
      expect(session.rig.clock.now() - t0).toBeLessThan(session.rig.config.boot.timeoutMs);
    } finally {
      await session.close();
    }
  });

  it('the recording spans the update, the reset and the bootloader work after it (swap, option bytes)', async () => {
    const stages = async (name: string) => {
      const session = await SweepSession.open(
        requestFor(
          SCHEMES.find((s) => s.name === name)!,
          'correct',
        ),
      );
      try {
        return session.recording.ops;
      } finally {
        await session.close();
      }
    };
    const mcuboot = await stages('mcuboot-swap');
    // The swap runs in the bootloader after the reset that ends the (probe) update.
    expect(mcuboot.filter((o) => o.stage === 'reboot' && o.phase?.startsWith('swap')).length).toBeGreaterThan(100);
    const stm32 = await stages('stm32-dualbank');
    // The BFB2 option-byte program is an op of its own, with no marker edge.
    expect(stm32.filter((o) => o.target === 'options').map((o) => [o.stage, o.marker])).toEqual([['reboot', undefined]]);
    // Marker edges are the flash ops, numbered from 1 in order.
    const flash = stm32.filter((o) => o.target === 'flash');
    expect(flash.map((o) => o.marker)).toEqual(flash.map((_, i) => i + 1));
  });

  it('worker threads give the in-thread results (mcuboot-swap, a slice of points)', async () => {
    const scheme = SCHEMES.find((s) => s.name === 'mcuboot-swap')!;
    const request = requestFor(scheme, 'correct');
    const session = await SweepSession.open(request);
    let points: SweepCutPoint[];
    const inThread: string[] = [];
    try {
      points = session.everyOp(['before', 'after', 'torn']).filter((_, i) => i % 23 === 0);
      for (const p of points) inThread.push(`${p.op} ${p.mode}: ${(await session.recover(p)).outcome}`);
    } finally {
      await session.close();
    }
    const run = await runSweep(request, { points, workers: 2, join: 'at-once' });
    expect(run.workers).toBe(2);
    expect(run.results.map((r) => `${r.point.op} ${r.point.mode}: ${r.outcome}`)).toEqual(inThread);
  });
});
