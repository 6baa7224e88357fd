/**
 * The op recorder's state log: states kept as the sectors that changed since the one before, built
 * again on demand in any order, from a NOR flash's real snapshots (copy-on-write sector buffers).
 */
import { describe, expect, it } from '@jest/globals';
import { NorFlash, type FlashSnapshot } from '../../src/twin/flash/nor-flash.js';
import { sameState, stateDigest } from '../../src/twin/flash/state-digest.js';
import { StateLog } from '../../src/twin/flash/state-log.js';
import { W25Q32 } from '../../src/twin/flash/geometry.js';

/** A flash and its snapshots after each of `n` raw writes, one sector each, some sectors written again. */
function history(n: number): { flash: NorFlash; states: FlashSnapshot[] } {
  const flash = new NorFlash(W25Q32);
  const states = [flash.snapshot()];
  for (let k = 0; k < n; k++) {
    const sector = (k * 7) % 40;
    flash.writeRaw(W25Q32.base + sector * W25Q32.sectorSize + (k % 64) * 4, Buffer.from([k & 0xff, 1, 2, 3]));
    states.push(flash.snapshot());
  }
  return { flash, states };
}

describe('state log', () => {
  it('gives back every state, forwards, backwards and at random, across its whole checkpoints', () => {
    const { states } = history(100);
    const log = new StateLog();
    const ids = states.map((s) => log.add(s));
    expect(ids).toEqual(states.map((_, i) => i));
    const order = [...ids, ...ids.slice().reverse(), 77, 3, 64, 65, 31, 32, 33, 0, 100, 1];
    for (const id of order) {
      const got = log.get(id);
      expect(sameState(got, states[id]!)).toBe(true);
      expect(stateDigest(got)).toBe(stateDigest(states[id]!));
    }
  });

  it('gives the last id again for a state with the same buffers, a new one when a sector or the option bytes differ', () => {
    const { flash, states } = history(2);
    const log = new StateLog();
    log.add(states[0]!);
    expect(log.add(states[1]!)).toBe(1);
    expect(log.add(flash.snapshot())).toBe(2);
    expect(log.add(flash.snapshot())).toBe(2);
    const withOptions = (b: number) => ({ ...flash.snapshot(), options: Buffer.from([b]) });
    expect(log.add(withOptions(1))).toBe(3);
    expect(log.add(withOptions(1))).toBe(3);
    expect(log.add(withOptions(2))).toBe(4);
    expect((log.get(3) as unknown as { options: Buffer }).options).toEqual(Buffer.from([1]));
  });

  it('keeps what it was given, not the caller’s arrays, which may be reused', () => {
    const { states } = history(3);
    const log = new StateLog();
    const reused = { sectors: [...states[0]!.sectors], writes: [...(states[0]!.writes ?? [])] };
    log.add(reused);
    reused.sectors.splice(0, reused.sectors.length, ...states[3]!.sectors);
    log.add(reused);
    reused.sectors.fill(Buffer.alloc(0));
    expect(sameState(log.get(0), states[0]!)).toBe(true);
    expect(sameState(log.get(1), states[3]!)).toBe(true);
  });

  it('built states share its arrays until the next get; a copy has arrays of its own', () => {
    const { states } = history(5);
    const log = new StateLog();
    for (const s of states) log.add(s);
    const copy = log.copy(2);
    const built = log.get(2);
    log.get(5);
    expect(sameState(built, states[5]!)).toBe(true);
    expect(sameState(copy, states[2]!)).toBe(true);
    expect(() => log.get(6)).toThrow(/no state 6/);
  });

  it('refuses a state of another flash size', () => {
    const log = new StateLog();
    log.add(new NorFlash(W25Q32).snapshot());
    expect(() => log.add({ sectors: [Buffer.alloc(4096)] })).toThrow(/1 sectors in a log of 1024/);
  });
});
