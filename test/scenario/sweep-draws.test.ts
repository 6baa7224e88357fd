/**
 * Points whose cut leaves the same state share one recovery: op k complete is op k+1 not started.
 * That holds only while the recovery does not draw from the twin's generator, since every point
 * has a seed of its own. A product without its bus lock (`lock-not-taken`) draws in its
 * recoveries (a collision's bit flips), and there op 95's `after` and op 96's `before`, one state,
 * end in different flash: the sweep gave op 96 op 95's result when it ran them in one session and
 * its own when a block boundary put them in two (a 4-thread sweep differed from a 1-thread one).
 * Now a recovery that drew is not shared, and a point's result is the same in any session.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { SweepSession, type SweepRequest } from '../../src/scenario/sweep/session.js';
import type { SweepCutPoint } from '../../src/scenario/sweep/points.js';
import { SCHEMES } from '../../src/schemes/meta-registry.js';

const PRODUCT = SCHEMES.find((s) => s.name === 'multi-mcu-dfu')!;
const request = (variant: string): SweepRequest => ({
  rig: PRODUCT.bench.rig,
  twin: { variant },
  images: { from: `firmware/${PRODUCT.samples.from}`, to: `firmware/${PRODUCT.samples.to}` },
  seed: 1,
});

const sessions: SweepSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

async function open(variant: string): Promise<SweepSession> {
  const s = await SweepSession.open(request(variant));
  sessions.push(s);
  return s;
}

function pointOf(session: SweepSession, op: number, mode: SweepCutPoint['mode']): SweepCutPoint {
  return session.everyOp([mode]).find((p) => p.op === op)!;
}

describe('a recovery that draws from the generator is not shared by state', () => {
  it('lock-not-taken: op 96 before, after op 95 after (one state, other seeds), ends as it does alone', async () => {
    const [run, alone95, alone96] = await Promise.all([open('lock-not-taken'), open('lock-not-taken'), open('lock-not-taken')]);
    const sweep = run.rig.twin!.sweep;
    expect(sweep.stateId(95, 'after')).toBe(sweep.stateId(96, 'before'));
    const after95 = await run.recover(pointOf(run, 95, 'after'));
    expect(sweep.drewSinceLoad()).toBe(true);
    const before96 = await run.recover(pointOf(run, 96, 'before'));
    const own95 = await alone95.recover(pointOf(alone95, 95, 'after'));
    const own96 = await alone96.recover(pointOf(alone96, 96, 'before'));
    // The premise: this state's recovery depends on the seed.
    expect(own96.stateHash).not.toBe(own95.stateHash);
    expect(after95.stateHash).toBe(own95.stateHash);
    expect(before96.shared).toBeUndefined();
    expect({ outcome: before96.outcome, stateHash: before96.stateHash, reasons: before96.reasons }).toEqual({ outcome: own96.outcome, stateHash: own96.stateHash, reasons: own96.reasons });
  });

  it('correct: the same two points share one recovery (nothing drew)', async () => {
    const run = await open('correct');
    const sweep = run.rig.twin!.sweep;
    const after95 = await run.recover(pointOf(run, 95, 'after'));
    expect(sweep.drewSinceLoad()).toBe(false);
    const before96 = await run.recover(pointOf(run, 96, 'before'));
    expect(before96.shared).toBe(true);
    expect(before96.stateHash).toBe(after95.stateHash);
  });
});
