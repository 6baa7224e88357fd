/**
 * A product's recoveries pass through the same whole-board state again and again (the host
 * resuming its download at the same chunk, the host or the radio at the same step of its swap, the
 * host resetting into its swap), and the twin plays the rest back from the first recovery that
 * stood there (src/twin/board-tail.ts) instead of simulating it. The recoveries that played a tail
 * back must end exactly as the full replay of the same cut (runCut: the whole update, a marker
 * trigger at the op, every event of the recovery simulated) and as the same sweep with the memo
 * held off; a tail whose judgement comes at another time is refused and the point simulated again.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadRig } from '../../src/config/index.js';
import { TWIN_VARIANTS } from '../../src/drivers/device/twin.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { runCut } from '../../src/scenario/cut.js';
import type { PointResult } from '../../src/scenario/sweep/recover.js';
import type { SweepCutPoint } from '../../src/scenario/sweep/points.js';
import { SweepSession, sweepRigConfig, type SweepRequest } from '../../src/scenario/sweep/session.js';
import { SCHEMES } from '../../src/schemes/meta-registry.js';
import { HOST_DFU_STATE_ADDRESS, HOST_PARTITIONS } from '../../src/targets/nrf91-nrf52-product.js';
import type { FlashSnapshot } from '../../src/twin/flash/nor-flash.js';
import { holdOffRuns } from './hold-off-runs.js';

const PRODUCT = SCHEMES.find((s) => s.name === 'multi-mcu-dfu')!;
const VARIANTS = Object.keys(TWIN_VARIANTS[PRODUCT.name]!);

function request(variant = 'correct'): SweepRequest {
  return { rig: PRODUCT.bench.rig, twin: { variant }, images: { from: `firmware/${PRODUCT.samples.from}`, to: `firmware/${PRODUCT.samples.to}` }, seed: 7 };
}

const rigs: Rig[] = [];
afterAll(async () => {
  for (const rig of rigs) await rig.close();
});

/** The session with its board's tail memo held off: every recovery simulated whole. */
function holdOff(session: SweepSession): void {
  const sweep = session.rig.twin!.sweep;
  const arm = sweep.armTail.bind(sweep);
  sweep.armTail = () => arm(false);
}

/**
 * The session never stops a point at a verdict judged before (recover.ts's TailVerdicts): every
 * point that meets a tail plays it to its judgement, where the board's state is the tail's end.
 */
function holdOffVerdicts(session: SweepSession): void {
  session.tailVerdicts.byContext.get = () => undefined;
}

/** A session with the memo and one with it held off (`holdOff`), for `fn`; both closed after. */
async function withPair(req: SweepRequest, fn: (fast: SweepSession, slow: SweepSession) => Promise<void>): Promise<void> {
  // Both with the run memo held off: every point goes through the board, to play a tail or not.
  const fast = holdOffRuns(await SweepSession.open(req));
  const slow = holdOffRuns(await SweepSession.open(req));
  holdOff(slow);
  try {
    await fn(fast, slow);
  } finally {
    await fast.close();
    await slow.close();
  }
}

/** sha256 of the write counts the device's flash holds now (its state hash covers the bytes alone). */
function writeCounts(session: SweepSession): string {
  const h = createHash('sha256');
  for (const w of (session.rig.twin!.snapshot() as FlashSnapshot).writes ?? []) h.update(w ?? Buffer.alloc(0)).update('|');
  return h.digest('hex').slice(0, 16);
}

function line(r: PointResult): string {
  return `op ${r.point.op} ${r.point.mode}${r.point.fraction !== undefined ? ` ${r.point.fraction.toFixed(3)}` : ''}: ${r.outcome} ${r.stateHash} ${r.reasons.join(' | ')}`;
}

/** Every `every`-th point of the sweep's every-op points (all three modes), the first op's included. */
function sampled(session: SweepSession, every: number): SweepCutPoint[] {
  return session.everyOp(['before', 'after', 'torn']).filter((p) => p.op % every === 0);
}

describe("a product's recoveries play back the tail of an earlier one that stood in the same board state", () => {
  it('torn cuts in one download sector and in the host swap: all but the first of each play a tail back, and end as their full replays', async () => {
    const session = holdOffRuns(await SweepSession.open(request()));
    const config = sweepRigConfig(await loadRig(PRODUCT.bench.rig), { twin: { powerLoss: 'torn' } });
    const rig = await openRig(config);
    rigs.push(rig);
    try {
      const ops = session.recording.ops;
      // A run of host chunk programs inside one 4 KiB sector of the radio image, and a run of ops of the host's swap.
      const download = ops.filter((o) => o.mcu === 'host' && o.phase?.startsWith('download radio') && o.kind === 'program').slice(20, 26);
      const swap = ops.filter((o) => o.mcu === 'host' && o.phase?.startsWith('swap')).slice(40, 46);
      const torn = new Map(session.everyOp(['torn']).map((p) => [p.op, p]));
      const points = [...download, ...swap].map((o) => torn.get(o.index)!);
      const before = session.rig.twin!.sweep.tailStats().jumps;
      const seen: string[] = [];
      const replayed: string[] = [];
      for (const point of points) {
        const fast = await session.recover(point);
        const op = ops[point.op]!;
        const full = await runCut(rig, session.scheme, session.images, {
          trigger: { kind: 'marker', edge: op.marker!, delayMs: point.fraction! * op.durationMs },
          offMs: rig.config.power.offMs,
          seed: point.seed,
        });
        seen.push(`${line(fast).split(': ')[0]}: ${fast.outcome} ${fast.stateHash}`);
        replayed.push(`${line(fast).split(': ')[0]}: ${full.outcome} ${rig.twin!.sweep.stateHash()}`);
        // A product's firmware always has a timer pending: left on, the replay twin would run on behind the session's.
        await rig.power.off();
      }
      expect(seen).toEqual(replayed);
      // A full replay is no sweep recovery: it never plays a tail.
      expect(rig.twin!.sweep.tailStats().jumps).toBe(0);
      // The first cut of each run (and one whose radio was busy at every checkpoint) is simulated; the
      // rest play back (or stop where the play would begin, judged as one before them: see below).
      expect(session.rig.twin!.sweep.tailStats().jumps - before + session.tailVerdicts.used).toBeGreaterThanOrEqual(points.length - 4);
    } finally {
      await session.close();
    }
  });

  it.each(VARIANTS)('%s: every eighth op in every mode gives what the same sweep with the memo held off gives', async (variant) => {
    await withPair(request(variant), async (fast, slow) => {
      const points = sampled(fast, 8);
      const seen: string[] = [];
      const whole: string[] = [];
      for (const p of points) seen.push(line(await fast.recover(p)));
      for (const p of points) whole.push(line(await slow.recover(p)));
      expect(seen).toEqual(whole);
      expect(slow.rig.twin!.sweep.tailStats()).toEqual({ jumps: 0, refused: 0, moved: 0 });
      // The memo was used (a variant whose bug makes every recovery draw or differ would leave it idle:
      // none does): tails played back, or points stopped where one would begin, judged as one before.
      expect(fast.rig.twin!.sweep.tailStats().jumps + fast.tailVerdicts.used).toBeGreaterThan(points.length / 10);
    });
  });

  it('recoveries whose radio log ends elsewhere play a tail with its records appended at their own end, and end as with the memo held off', async () => {
    await withPair(request(), async (fast, slow) => {
      // The radio appends a record every 100 ms while the host downloads: every cut there leaves
      // the log ending at another record, and a key over the whole flash would never meet a state twice.
      const download = new Set(
        fast.recording.ops
          .filter((o) => o.mcu === 'host' && o.phase?.startsWith('download'))
          .slice(0, 40)
          .map((o) => o.index),
      );
      const points = fast.everyOp(['before', 'after', 'torn']).filter((p) => download.has(p.op));
      const seen: string[] = [];
      for (const p of points) seen.push(line(await fast.recover(p)));
      const whole: string[] = [];
      for (const p of points) whole.push(line(await slow.recover(p)));
      expect(seen).toEqual(whole);
      expect(fast.rig.twin!.sweep.tailStats().moved).toBeGreaterThan(0);
    });
  });

  it("recoveries whose host record holds a torn entry play a tail with the host's later entries appended after it, and end as with the memo held off, write counts too", async () => {
    await withPair(request(), async (fast, slow) => {
      // Every entry the host appends to its record (8-byte programs into its dfu-state pages): a torn
      // one stays in the record, skipped, and every later entry goes after it; a key over the whole
      // flash would never meet such a state again.
      const entries = new Set(
        fast.recording.ops
          .filter((o) => o.mcu === 'host' && o.kind === 'program' && o.length === 8 && o.address >= HOST_DFU_STATE_ADDRESS && o.address < HOST_DFU_STATE_ADDRESS + HOST_PARTITIONS.dfuState.size)
          .map((o) => o.index),
      );
      expect(entries.size).toBeGreaterThan(10);
      holdOffVerdicts(fast);
      const points = fast.everyOp(['torn', 'after']).filter((p) => entries.has(p.op));
      const seen: string[] = [];
      const whole: string[] = [];
      let played = 0;
      for (const p of points) {
        const jumps = fast.rig.twin!.sweep.tailStats().jumps;
        const got = line(await fast.recover(p));
        const tail = fast.rig.twin!.sweep.tailStats().jumps > jumps;
        if (tail && p.mode === 'torn') played++;
        // A played tail leaves the flash as its judgement found it: the write counts it put there too.
        seen.push(`${got}${tail ? ` counts ${writeCounts(fast)}` : ''}`);
        const slowGot = line(await slow.recover(p));
        whole.push(`${slowGot}${tail ? ` counts ${writeCounts(slow)}` : ''}`);
      }
      expect(seen).toEqual(whole);
      // Most torn entries meet an earlier recovery's state once the resumed download stands where it stood.
      expect(played).toBeGreaterThan(points.filter((p) => p.mode === 'torn').length / 2);
    });
  });

  it("a point that did what an earlier recovery did up to one of its checkpoints, and stood there alike, stops there with that recovery's verdict", async () => {
    await withPair(request(), async (fast, slow) => {
      // The cut just after the host's first `P` entry of the radio download, then cuts in the chunk
      // programs that follow: each resumes at that entry and does what the first did, once the
      // sector the cut left half written is erased again (the same flash from there).
      const ops = fast.recording.ops;
      const entry = ops.find((o) => o.mcu === 'host' && o.length === 8 && o.address >= HOST_DFU_STATE_ADDRESS + 0x80 && o.phase?.startsWith('download radio'))!;
      const after = new Map(fast.everyOp(['after']).map((p) => [p.op, p]));
      const points = [entry.index, entry.index + 1, entry.index + 2, entry.index + 3].map((i) => after.get(i)!);
      const seen: string[] = [];
      const stopped: number[] = [];
      for (const p of points) {
        const used = fast.tailVerdicts.used;
        const jumps = fast.rig.twin!.sweep.tailStats().jumps;
        seen.push(line(await fast.recover(p)));
        // Stopped at its hit with the first one's verdict: no tail was played in that context before.
        if (fast.tailVerdicts.used > used && fast.rig.twin!.sweep.tailStats().jumps === jumps) stopped.push(p.op);
      }
      const whole: string[] = [];
      for (const p of points) whole.push(line(await slow.recover(p)));
      expect(seen).toEqual(whole);
      expect(stopped).toEqual(points.slice(1).map((p) => p.op));
    });
  });

  it("a point whose tail would play in a context judged before stops there with that verdict, which is its full replay's", async () => {
    const config = sweepRigConfig(await loadRig(PRODUCT.bench.rig), { twin: { powerLoss: 'torn' } });
    const rig = await openRig(config);
    rigs.push(rig);
    await withPair(request(), async (fast, slow) => {
      // Every mode at a run of the host's swap ops: the cuts of one swap step resume alike.
      const swap = new Set(
        fast.recording.ops
          .filter((o) => o.mcu === 'host' && o.phase?.startsWith('swap'))
          .slice(40, 52)
          .map((o) => o.index),
      );
      const points = fast.everyOp(['before', 'after', 'torn']).filter((p) => swap.has(p.op));
      const seen: string[] = [];
      const atHit: SweepCutPoint[] = [];
      for (const p of points) {
        const used = fast.tailVerdicts.used;
        const got = await fast.recover(p);
        seen.push(line(got));
        if (fast.tailVerdicts.used > used) atHit.push(p);
      }
      const whole: string[] = [];
      for (const p of points) whole.push(line(await slow.recover(p)));
      expect(seen).toEqual(whole);
      expect(slow.tailVerdicts.used).toBe(0);
      expect(atHit.length).toBeGreaterThan(points.length / 3);
      // The torn ones among them, replayed whole: the update again, cut at the same instant, every event of the recovery simulated.
      const torn = atHit.filter((p) => p.mode === 'torn').slice(0, 3);
      expect(torn.length).toBeGreaterThan(0);
      for (const point of torn) {
        const op = fast.recording.ops[point.op]!;
        const full = await runCut(rig, fast.scheme, fast.images, {
          trigger: { kind: 'marker', edge: op.marker!, delayMs: point.fraction! * op.durationMs },
          offMs: rig.config.power.offMs,
          seed: point.seed,
        });
        const fastLine = seen[points.indexOf(point)]!;
        expect(`${full.outcome} ${rig.twin!.sweep.stateHash()}`).toBe(fastLine.split(': ')[1]!.split(' ').slice(0, 2).join(' '));
        await rig.power.off();
      }
    });
  });

  it('a tail whose judgement would come at another time is refused, and the point simulated whole', async () => {
    await withPair(request(), async (fast, slow) => {
      // Two cuts in the same step of the host's swap: the second plays the first's tail back.
      const swap = fast.recording.ops.filter((o) => o.mcu === 'host' && o.phase?.startsWith('swap')).slice(60, 62);
      const [first, second] = swap.map((o) => fast.everyOp(['torn']).find((p) => p.op === o.index)!);
      // The second would otherwise stop where its tail begins, with the first's verdict (the same run up to there).
      holdOffVerdicts(fast);
      await fast.recover(first!);
      // The judgement of the second comes later than the recorded one: the board then is not the tail's end.
      const settle = fast.scheme.settleMs;
      const settleBy = (ms: number) => {
        (fast.scheme as { settleMs: number }).settleMs = ms;
        (slow.scheme as { settleMs: number }).settleMs = ms;
      };
      settleBy(settle + 1);
      try {
        const stats = fast.rig.twin!.sweep.tailStats();
        const got = await fast.recover(second!);
        expect(fast.rig.twin!.sweep.tailStats()).toEqual({ ...stats, refused: stats.refused + 1 });
        expect(line(got)).toBe(line(await slow.recover(second!)));
      } finally {
        settleBy(settle);
      }
    });
  });
});
