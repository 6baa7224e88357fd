/**
 * A product's sweep sessions share played-back board tails only within one session
 * (src/twin/board-tail.ts), so its points are shared out by stretches of consecutive ops, every
 * mode together (Share.ends): the engine's thread takes blocks from the front, the others from the
 * back, until the two ends meet, and every session records the update itself (a torn state reruns
 * its op). Split by mode instead, both sessions simulated most runs' first recoveries. Checked
 * here: the claims from both ends (in this thread and across real threads, on one shared buffer),
 * and two product sessions sharing a sweep that way give each point once, with the one-session
 * results.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Worker } from 'node:worker_threads';
import { SweepPace } from '../../src/scenario/sweep/pace.js';
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

describe('SweepPace.claimFromEnd', () => {
  it('the front counts up, the back counts down, each block once, and both get -1 once they meet', () => {
    const front = new SweepPace();
    const back = new SweepPace(front.buffer);
    expect([front.claimFromEnd(true, 5), back.claimFromEnd(false, 5), back.claimFromEnd(false, 5), front.claimFromEnd(true, 5)]).toEqual([0, 4, 3, 1]);
    expect(front.left()).toBeUndefined();
    front.opened(100, 5, 0);
    expect(back.left()).toEqual({ blocks: 1, torn: 0 });
    // The blocks left are the ones a recording worker could take (every mode): worth recording while the engine has no pace.
    expect(back.worthRecording(true)).toBe(true);
    expect(back.worthRecording()).toBe(false);
    expect(back.claimFromEnd(false, 5)).toBe(2);
    expect(front.claimFromEnd(true, 5)).toBe(-1);
    expect(back.claimFromEnd(false, 5)).toBe(-1);
    expect(back.worthRecording(true)).toBe(false);
  });

  it('refuses more blocks than its counters hold', () => {
    expect(() => new SweepPace().claimFromEnd(true, 70_000)).toThrow('at most 65535');
  });

  it('two threads claiming from opposite ends of one buffer at once take every block exactly once', async () => {
    const total = 20_000;
    const pace = new SweepPace();
    // The other thread runs the compiled pace (a worker thread has no TypeScript loader; npm test builds first).
    const compiled = new URL('../../dist/scenario/sweep/pace.js', import.meta.url).href;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.compiled).then(({ SweepPace }) => {
        const pace = new SweepPace(workerData.buffer);
        const got = [];
        for (let b; (b = pace.claimFromEnd(false, workerData.total)) >= 0; ) got.push(b);
        parentPort.postMessage(got);
      });`;
    const worker = new Worker(code, { eval: true, workerData: { compiled, buffer: pace.buffer, total } });
    const theirs = new Promise<number[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const mine: number[] = [];
    for (let b; (b = pace.claimFromEnd(true, total)) >= 0;) mine.push(b);
    const back = await theirs;
    await worker.terminate();
    // Each side's claims run in its own direction, and together they are every block once.
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
    expect(back).toEqual([...back].sort((a, b) => b - a));
    expect([...mine, ...back].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});

describe('a product sweep shared out by stretches of ops (Share.ends)', () => {
  it('two sessions take the blocks from either end, every mode, and give the one-session results', async () => {
    const [front, back, alone] = await Promise.all([SweepSession.open(REQUEST), SweepSession.open(REQUEST), SweepSession.open(REQUEST)]);
    sessions.push(front, back, alone);
    // Four blocks of ops from the download, every mode.
    const points = front.everyOp(['before', 'after', 'torn']).filter((p) => p.op >= 16 && p.op < 80);
    const { buffer } = new SweepPace();
    const task = (index: number) => ({ modes: [], points, share: { index, of: 2 }, claim: buffer, ends: true });
    const [a, b] = await Promise.all([recoverShare(front, task(0), () => undefined, { lead: { openMs: 1 } }), recoverShare(back, task(1), () => undefined)]);
    const blocks = blocksOf(points);
    const blockOf = (order: number) => blocks.findIndex((bl) => bl.includes(order));
    const frontBlocks = [...new Set(a.map((r) => blockOf(r.order)))];
    const backBlocks = [...new Set(b.map((r) => blockOf(r.order)))];
    // A stretch from the front and one from the back that meet: every block, once.
    expect(frontBlocks).toEqual(frontBlocks.map((_, i) => i));
    expect(backBlocks).toEqual(backBlocks.map((_, i) => blocks.length - 1 - i));
    expect(frontBlocks.length + backBlocks.length).toBe(blocks.length);
    // Torn points included on both sides: each session recorded the update itself.
    expect(b.some((r) => r.result.point.mode === 'torn')).toBe(true);
    const line = (r: PointResult) => `${r.point.op} ${r.point.mode}: ${r.outcome} ${r.stateHash} ${r.reasons.join(' | ')}`;
    const shared = [...a, ...b].sort((x, y) => x.order - y.order).map((r) => line(r.result));
    const one: string[] = [];
    for (const p of points) one.push(line(await alone.recover(p)));
    expect(shared).toEqual(one);
  });
});
