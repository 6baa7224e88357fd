import { describe, expect, it } from '@jest/globals';
import { W25Q32 } from '../../src/twin/flash/geometry.js';
import { FlashError, NorFlash } from '../../src/twin/flash/nor-flash.js';
import { Rng } from '../../src/twin/rng.js';

const BASE = W25Q32.base;

function popcount(buf: Buffer): number {
  let n = 0;
  for (const b of buf) for (let v = b; v; v &= v - 1) n++;
  return n;
}

describe('NOR flash model (W25Q32)', () => {
  it('starts erased and programs only 1->0', async () => {
    const f = new NorFlash(W25Q32);
    expect(f.isErased(BASE, W25Q32.size)).toBe(true);
    f.program(BASE + 16, Buffer.from([0x0f, 0xf0])).complete();
    f.program(BASE + 16, Buffer.from([0xf3, 0xff])).complete();
    expect([...f.read(BASE + 16, 2)]).toEqual([0x03, 0xf0]);
  });

  it('refuses a program that crosses a page and an unaligned or unknown erase', () => {
    const f = new NorFlash(W25Q32);
    expect(() => f.program(BASE + 250, Buffer.alloc(10))).toThrow(FlashError);
    expect(() => f.erase(BASE + 0x800, 4096)).toThrow(/not aligned/);
    expect(() => f.erase(BASE, 8192)).toThrow(/no erase unit/);
    expect(() => f.read(BASE + W25Q32.size - 2, 4)).toThrow(/outside/);
  });

  it('erases a 4 KiB sector and a 64 KiB block with datasheet times', () => {
    const f = new NorFlash(W25Q32);
    f.writeRaw(BASE, Buffer.alloc(0x20000, 0));
    const sector = f.erase(BASE + 0x1000, 4096);
    const block = f.erase(BASE + 0x10000, 65536);
    expect([sector.durationMs, block.durationMs]).toEqual([45, 150]);
    sector.complete();
    block.complete();
    expect(f.isErased(BASE + 0x1000, 4096)).toBe(true);
    expect(f.isErased(BASE + 0x10000, 65536)).toBe(true);
    expect(f.read(BASE, 1)[0]).toBe(0);
    expect(f.read(BASE + 0x2000, 1)[0]).toBe(0);
  });

  it('power loss: skip leaves the old bytes, complete lands the op', () => {
    const f = new NorFlash(W25Q32);
    const rng = new Rng(1);
    expect(f.program(BASE, Buffer.alloc(256, 0)).interrupt('skip', 0.5, rng)).toBe('skip');
    expect(f.isErased(BASE, 256)).toBe(true);
    expect(f.program(BASE, Buffer.alloc(256, 0)).interrupt('complete', 0.5, rng)).toBe('complete');
    expect(popcount(f.read(BASE, 256))).toBe(0);
  });

  it('torn write clears some, not all, of the bits it should, and never sets one', () => {
    const f = new NorFlash(W25Q32);
    f.program(BASE, Buffer.alloc(256, 0x0f)).complete(); // 4 bits set per byte remain
    f.program(BASE, Buffer.alloc(256, 0x00)).interrupt('torn', 0.5, new Rng(7));
    const after = f.read(BASE, 256);
    const ones = popcount(after);
    expect(ones).toBeGreaterThan(0);
    expect(ones).toBeLessThan(256 * 4);
    for (const b of after) expect(b & 0xf0).toBe(0); // bits already 0 stay 0
  });

  it('torn erase leaves a sector neither erased nor as it was', () => {
    const f = new NorFlash(W25Q32);
    f.writeRaw(BASE, Buffer.alloc(4096, 0));
    f.erase(BASE, 4096).interrupt('torn', 0.3, new Rng(3));
    const after = f.read(BASE, 4096);
    const ones = popcount(after);
    expect(ones).toBeGreaterThan(0);
    expect(ones).toBeLessThan(4096 * 8);
  });

  it('is reproducible from a seed', () => {
    const run = (seed: number) => {
      const f = new NorFlash(W25Q32);
      f.program(BASE, Buffer.alloc(256, 0)).interrupt('random', 0.5, new Rng(seed));
      return f.read(BASE, 256).toString('hex');
    };
    expect(run(42)).toBe(run(42));
    const outcomes = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(run));
    expect(outcomes.size).toBeGreaterThan(1);
  });

  it('snapshots are copy-on-write: later writes do not leak into a snapshot, restore is exact', () => {
    const f = new NorFlash(W25Q32);
    f.writeRaw(BASE, Buffer.from('baseline'));
    const snap = f.snapshot();
    f.writeRaw(BASE, Buffer.from('changed!'));
    f.erase(BASE + 0x10000, 65536).complete();
    f.writeRaw(BASE + 0x10000, Buffer.from('more'));
    expect(f.read(BASE, 8).toString()).toBe('changed!');
    f.restore(snap);
    expect(f.read(BASE, 8).toString()).toBe('baseline');
    expect(f.isErased(BASE + 0x10000, 4)).toBe(true);
    // Writing after a restore must not modify the snapshot either.
    f.writeRaw(BASE, Buffer.from('again!!!'));
    f.restore(snap);
    expect(f.read(BASE, 8).toString()).toBe('baseline');
  });

  it('counts operations for the marker pin', () => {
    const f = new NorFlash(W25Q32);
    const seen: string[] = [];
    f.onOp = (op) => seen.push(`${op.kind}@${op.index}`);
    f.erase(BASE, 4096).complete();
    f.program(BASE, Buffer.alloc(4)).complete();
    expect(seen).toEqual(['erase@0', 'program@1']);
    expect(f.opCount).toBe(2);
  });
});
