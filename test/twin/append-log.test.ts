/**
 * A board's append log, keyed apart by its tail memo (src/twin/append-log.ts): what a tail appended
 * is taken only when it appended and did nothing else, and it is put at another end of the log only
 * where its writer would do exactly the same there (erased bytes, no erase, no wrap, same alignment).
 */
import { describe, expect, it } from '@jest/globals';
import { appended, maskLog, relocated, withLog, type LogSectors } from '../../src/twin/append-log.js';

const LOG: LogSectors = { first: 2, count: 2, sectorSize: 64, erased: 0xff };
const REGION = { size: 128, align: 8 };

function erased(): Buffer[] {
  return [Buffer.alloc(64, 0xff), Buffer.alloc(64, 0xff)];
}

/** The region's sectors with `bytes` at offset `at`. */
function written(sectors: readonly Buffer[], at: number, bytes: Buffer): Buffer[] {
  const whole = Buffer.concat(sectors);
  bytes.copy(whole, at);
  return [whole.subarray(0, 64), whole.subarray(64)].map((b) => Buffer.from(b));
}

const REC = Buffer.from('rec#0001rec#0002');

describe('an append log kept apart from a board state key', () => {
  it('masks the log sectors out of a snapshot in place and gives them back', () => {
    const sectors = [Buffer.from('a'), Buffer.from('b'), ...erased(), Buffer.from('c')];
    const snapshot = { sectors: [...sectors] };
    const taken = maskLog(snapshot, LOG);
    expect(taken).toEqual({ sectors: [sectors[2], sectors[3]] });
    expect(snapshot.sectors[0]).toBe(sectors[0]);
    expect(snapshot.sectors[4]).toBe(sectors[4]);
    expect(snapshot.sectors[2]).toBe(snapshot.sectors[3]);
    expect(snapshot.sectors[2]).not.toBe(sectors[2]);
  });

  it('takes what a tail appended at the log end, across a sector boundary', () => {
    const mark = { at: 56, sectors: written(erased(), 0, Buffer.alloc(56, 1)) };
    const final = written(mark.sectors, 56, REC);
    expect(appended(mark, 72, { sectors: final }, LOG)).toEqual({ at: 56, bytes: REC });
    // Nothing appended: an empty span.
    expect(appended(mark, 56, mark, LOG)).toEqual({ at: 56, bytes: Buffer.alloc(0) });
  });

  it('refuses a tail that wrote elsewhere, erased, or appended over written bytes', () => {
    const mark = { at: 8, sectors: written(erased(), 0, Buffer.alloc(8, 1)) };
    // A byte before the end changed.
    expect(appended(mark, 24, { sectors: written(written(mark.sectors, 8, REC), 0, Buffer.from([0])) }, LOG)).toBeUndefined();
    // An erase of the first sector (its written bytes gone).
    expect(appended(mark, 24, { sectors: written(erased(), 8, REC) }, LOG)).toBeUndefined();
    // The end went backwards (a wrap).
    expect(appended(mark, 0, mark, LOG)).toBeUndefined();
    // Its records landed on bytes that were not erased at the mark.
    const dirty = { at: 8, sectors: written(mark.sectors, 16, Buffer.from([0x55])) };
    expect(appended(dirty, 24, { sectors: written(dirty.sectors, 8, REC) }, LOG)).toBeUndefined();
  });

  it('plays a span back at another end: the same records there, the other sectors shared', () => {
    const span = { at: 8, bytes: REC };
    const mark = { at: 32, sectors: written(erased(), 0, Buffer.alloc(32, 2)) };
    const out = relocated(span, mark, LOG, REGION)!;
    expect(Buffer.concat(out.sectors)).toEqual(Buffer.concat(written(mark.sectors, 32, REC)));
    expect(out.sectors[1]).toBe(mark.sectors[1]);
    expect(out.writes).toBeUndefined();
    // The mark's own buffers are never written.
    expect(mark.sectors[0]!.subarray(32, 48).every((b) => b === 0xff)).toBe(true);
    // Nothing appended: the mark's sectors as they are.
    expect(relocated({ at: 8, bytes: Buffer.alloc(0) }, mark, LOG, REGION)).toBe(mark);
  });

  it('refuses to play a span where its writer would act otherwise', () => {
    const span = { at: 8, bytes: REC };
    // Off the record alignment.
    expect(relocated(span, { at: 36, sectors: erased() }, LOG, REGION)).toBeUndefined();
    // Past the region's end (the writer would wrap).
    expect(relocated(span, { at: 120, sectors: erased() }, LOG, REGION)).toBeUndefined();
    // Written bytes later in the last sector it enters: the writer would erase that sector first.
    expect(relocated(span, { at: 56, sectors: written(erased(), 100, Buffer.from([0])) }, LOG, REGION)).toBeUndefined();
    // Written bytes under its records.
    expect(relocated(span, { at: 16, sectors: written(erased(), 20, Buffer.from([0])) }, LOG, REGION)).toBeUndefined();
  });

  it('puts the log sectors into a recorded state without touching the others', () => {
    const state = { sectors: [Buffer.from('a'), Buffer.from('b'), ...erased(), Buffer.from('c')] };
    const log = written(erased(), 0, REC);
    const out = withLog(state, { sectors: log }, LOG);
    expect(out.sectors).toEqual([state.sectors[0], state.sectors[1], log[0], log[1], state.sectors[4]]);
    expect(out.sectors[0]).toBe(state.sectors[0]);
    expect(state.sectors[2]!.every((b) => b === 0xff)).toBe(true);
  });

  describe('on a part that counts writes per unit (nWRITE): a record is appended where its units were not written since their erase', () => {
    const COUNTED: LogSectors = { ...LOG, unit: 4 };
    /** Counts per 4-byte unit of the region's two sectors, with `n` writes over bytes [from, to). */
    const counts = (from: number, to: number, n = 1): Uint8Array[] => {
      const all = new Uint8Array(32);
      all.fill(n, from / 4, to / 4);
      return [all.slice(0, 16), all.slice(16)];
    };

    it('takes a span whose units were each written once, and refuses one over written units or with other counts changed', () => {
      const mark = { at: 8, sectors: written(erased(), 0, Buffer.alloc(8, 1)), writes: counts(0, 8) };
      const final = { sectors: written(mark.sectors, 8, REC), writes: counts(0, 24) };
      expect(appended(mark, 24, final, COUNTED)).toEqual({ at: 8, bytes: REC });
      // A unit of the records written twice (an erased-looking torn write under it).
      const twice = counts(0, 24);
      twice[0]![3] = 2;
      expect(appended(mark, 24, { ...final, writes: twice }, COUNTED)).toBeUndefined();
      // A unit before the end written again.
      const again = counts(0, 24);
      again[0]![0] = 2;
      expect(appended(mark, 24, { ...final, writes: again }, COUNTED)).toBeUndefined();
      // The mark's units under the records were already written (with erased-looking bytes).
      expect(appended({ ...mark, writes: counts(0, 16) }, 24, final, COUNTED)).toBeUndefined();
    });

    it('plays a span back with its units counted once each, and refuses where a unit was written since its erase', () => {
      const span = { at: 8, bytes: REC };
      const mark = { at: 56, sectors: written(erased(), 0, Buffer.alloc(56, 2)), writes: counts(0, 56) };
      const out = relocated(span, mark, COUNTED, REGION)!;
      expect(Buffer.concat(out.sectors)).toEqual(Buffer.concat(written(mark.sectors, 56, REC)));
      expect(Buffer.concat(out.writes!.map((w) => w ?? new Uint8Array(16)))).toEqual(Buffer.concat(counts(0, 72)));
      // The mark's counts are never written.
      expect(mark.writes[1]!.every((c) => c === 0)).toBe(true);
      // A unit after the end written once (bytes still erased): the writer would program it a second time.
      const worn = counts(0, 56);
      worn[1]![4] = 1;
      expect(relocated(span, { ...mark, writes: worn }, COUNTED, REGION)).toBeUndefined();
      // Not on a unit boundary.
      expect(relocated({ at: 0, bytes: Buffer.alloc(6, 0) }, mark, COUNTED, { size: 128, align: 2 })).toBeUndefined();
    });

    it('masks the counts with the sectors and puts them back with them', () => {
      const writes = [undefined, undefined, ...counts(0, 8), new Uint8Array(16)];
      const snapshot = { sectors: [Buffer.from('a'), Buffer.from('b'), ...erased(), Buffer.from('c')], writes: [...writes] };
      const taken = maskLog(snapshot, COUNTED);
      expect(taken.writes).toEqual([writes[2], writes[3]]);
      expect(snapshot.writes[2]).toBeUndefined();
      expect(snapshot.writes[4]).toBe(writes[4]);
      const back = withLog(snapshot, taken, COUNTED);
      expect(back.writes![2]).toBe(writes[2]);
      expect(back.writes![4]).toBe(writes[4]);
    });
  });
});
