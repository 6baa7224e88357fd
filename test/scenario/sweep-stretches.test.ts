/**
 * A product's sweep sessions share played-back board tails only within one session
 * (src/twin/board-tail.ts), so its points are shared out by stretches of consecutive ops, every
 * mode together (Share.stretches): each session runs on from its last block while nobody has the
 * next, starts at its share of the way (the engine's thread at the first block), and otherwise
 * steals the middle of the longest run nobody has; every session records the update itself (a torn
 * state reruns its op). Split by mode instead, both sessions simulated most runs' first
 * recoveries. Checked here: the claims (in this thread, and across real threads on one shared
 * buffer), and two product sessions sharing a sweep that way give each point once, with the
 * one-session results.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Worker } from 'node:worker_threads';
import { MAX_STRETCH_BLOCKS, SweepPace } from '../../src/scenario/sweep/pace.js';
import { blocksOf, recoverShare } from '../../src/scenario/sweep/share.js';
import { SweepSession, type SweepRequest } from '../../src/scenario/sweep/session.js';
import type { PointResult } from '../../src/scenario/sweep/recover.js';
import { SCHEMES } from '../../src/schemes/meta-registry.js';

const PRODUCT = SCHEMES.find((s) => s.name === 'multi-mcu-dfu')!;
const REQUEST: SweepRequest = { rig: PRODUCT.bench.rig, images: { from: `firmware/${PRODUCT.samples.from}`, to: `firmware/${PRODUCT.samples.to}` }, seed: 3 };

const sessions: SweepSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

/** Where a session's claims start a new stretch (a claim that is not the block after its last). */
function stretchStarts(claims: readonly number[]): number[] {
  return claims.filter((b, i) => i === 0 || b !== claims[i - 1]! + 1);
}

describe('SweepPace.claimStretch', () => {
  it('runs on from the last block, starts at home, then steals the middle of the longest free run; -1 once all are taken', () => {
    const a = new SweepPace();
    const b = new SweepPace(a.buffer);
    const claims: string[] = [];
    let lastA: number | undefined;
    let lastB: number | undefined;
    const A = () => claims.push(`A${(lastA = a.claimStretch(lastA, 10))}`);
    const B = () => claims.push(`B${(lastB = b.claimStretch(lastB, 10, 5))}`);
    A();
    A();
    B();
    A();
    B();
    A();
    A();
    // Block 5 is B's: the longest free run is 7..9, A takes its middle.
    A();
    B();
    // Block 8 is A's: B takes the only free one.
    B();
    A();
    B();
    expect(claims).toEqual(['A0', 'A1', 'B5', 'A2', 'B6', 'A3', 'A4', 'A8', 'B7', 'B9', 'A-1', 'B-1']);
  });

  it('counts the blocks left for a worker that records (every mode), and refuses more blocks than it holds', () => {
    const pace = new SweepPace();
    expect(pace.left()).toBeUndefined();
    pace.opened(100, 3, 0);
    expect(pace.claimStretch(undefined, 3)).toBe(0);
    expect(new SweepPace(pace.buffer).left()).toEqual({ blocks: 2, torn: 0 });
    // No pace yet: worth recording while blocks of every mode are left; not for torn blocks alone.
    expect(pace.worthRecording(true)).toBe(true);
    expect(pace.worthRecording()).toBe(false);
    pace.claimStretch(0, 3);
    pace.claimStretch(1, 3);
    expect(pace.worthRecording(true)).toBe(false);
    expect(() => pace.claimStretch(undefined, MAX_STRETCH_BLOCKS + 1)).toThrow(`at most ${MAX_STRETCH_BLOCKS}`);
  });

  it('two threads claiming stretches of one buffer at once take every block exactly once, each in a few stretches', async () => {
    const total = 20_000;
    const pace = new SweepPace();
    // The other thread runs the compiled pace (a worker thread has no TypeScript loader; npm test builds first).
    const compiled = new URL('../../dist/scenario/sweep/pace.js', import.meta.url).href;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.compiled).then(({ SweepPace }) => {
        const pace = new SweepPace(workerData.buffer);
        const got = [];
        for (let b = pace.claimStretch(undefined, workerData.total, workerData.total / 2); b >= 0; b = pace.claimStretch(b, workerData.total)) got.push(b);
        parentPort.postMessage(got);
      });`;
    const worker = new Worker(code, { eval: true, workerData: { compiled, buffer: pace.buffer, total } });
    const theirs = new Promise<number[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const mine: number[] = [];
    for (let b = pace.claimStretch(undefined, total); b >= 0; b = pace.claimStretch(b, total)) mine.push(b);
    const other = await theirs;
    await worker.terminate();
    expect([...mine, ...other].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i));
    // Each steal halves the longest free run: a handful of stretches each, not a block-by-block interleave.
    expect(stretchStarts(mine).length + stretchStarts(other).length).toBeLessThan(4 * Math.log2(total));
  });
});

describe('a product sweep shared out by stretches of ops (Share.stretches)', () => {
  it('two sessions take stretches of blocks, every mode, and give the one-session results', async () => {
    const [front, back, alone] = await Promise.all([SweepSession.open(REQUEST), SweepSession.open(REQUEST), SweepSession.open(REQUEST)]);
    sessions.push(front, back, alone);
    // Four blocks of ops from the download, every mode.
    const points = front.everyOp(['before', 'after', 'torn']).filter((p) => p.op >= 16 && p.op < 80);
    const { buffer } = new SweepPace();
    const task = (index: number) => ({ modes: [], points, share: { index, of: 2 }, claim: buffer, stretches: true });
    const [a, b] = await Promise.all([recoverShare(front, task(0), () => undefined, { lead: { openMs: 1 } }), recoverShare(back, task(1), () => undefined)]);
    const blocks = blocksOf(points);
    const blockOf = (order: number) => blocks.findIndex((bl) => bl.includes(order));
    const claimsOf = (rs: typeof a) => [...new Set(rs.map((r) => blockOf(r.order)))];
    // The first session from the first block, the second from half way; every block once.
    expect(claimsOf(a)[0]).toBe(0);
    expect(claimsOf(b)[0]).toBe(blocks.length / 2);
    expect([...claimsOf(a), ...claimsOf(b)].sort((x, y) => x - y)).toEqual(blocks.map((_, i) => i));
    // Torn points included on both sides: each session recorded the update itself.
    expect(b.some((r) => r.result.point.mode === 'torn')).toBe(true);
    const line = (r: PointResult) => `${r.point.op} ${r.point.mode}: ${r.outcome} ${r.stateHash} ${r.reasons.join(' | ')}`;
    const shared = [...a, ...b].sort((x, y) => x.order - y.order).map((r) => line(r.result));
    const one: string[] = [];
    for (const p of points) one.push(line(await alone.recover(p)));
    expect(shared).toEqual(one);
  });
});
