/**
 * A sweep's run memo (src/twin/flash/run-memo.ts) keys a recovery by the sectors it read: every
 * way a firmware reads the flash must count, an erase makes a sector the run's own, a write into a
 * sector it had not erased counts as a read, and a run under which the flash was restored is not
 * kept. A later state that agrees on the read sectors takes the run, with the sectors it changed
 * put in place and the others left as they were.
 */
import { describe, expect, it } from '@jest/globals';
import { W25Q32 } from '../../src/twin/flash/geometry.js';
import { NorFlash } from '../../src/twin/flash/nor-flash.js';
import { RunMemo, SectorReads, type ChangedSectors } from '../../src/twin/flash/run-memo.js';

const S = 4096;
const at = (sector: number, offset = 0) => W25Q32.base + sector * S + offset;

function flash(): NorFlash {
  const f = new NorFlash(W25Q32);
  for (let s = 0; s < 8; s++) f.writeRaw(at(s), Buffer.alloc(64, s + 1));
  return f;
}

/** Complete at once: the memo looks at the flash's effects, not at op timing. */
function erase(f: NorFlash, sector: number): void {
  f.erase(at(sector), S).complete();
}
function program(f: NorFlash, address: number, bytes: Buffer): void {
  f.program(address, bytes).complete();
}

function watched(fn: (f: NorFlash) => void): SectorReads {
  const f = flash();
  const reads = (f.reads = new SectorReads(W25Q32.size / S));
  fn(f);
  f.reads = undefined;
  return reads;
}

const deps = (r: SectorReads) => [...r.deps.keys()].filter((i) => r.deps[i]);
const touched = (r: SectorReads) => [...r.touched.keys()].filter((i) => r.touched[i]);

describe('which sectors a run read', () => {
  it.each([
    ['read', (f: NorFlash) => f.read(at(1, 10), S)],
    ['readInto', (f: NorFlash) => f.readInto(at(1, 10), Buffer.alloc(S))],
    ['crc32', (f: NorFlash) => f.crc32(at(1, 10), S)],
    ['sha256', (f: NorFlash) => f.sha256(at(1, 10), S)],
    ['readU32 and peek', (f: NorFlash) => [f.readU32(at(1, 10)), f.peek(at(2), 4)]],
    ['isErased', (f: NorFlash) => f.isErased(at(1, 10), S)],
    ['lastWritten', (f: NorFlash) => f.lastWritten(at(1, 10), S)],
  ])('%s counts every sector of its range', (_name, read) => {
    expect(deps(watched(read))).toEqual([1, 2]);
  });

  it('a sector erased whole is the run’s own: reads and writes after it are not reads of the start', () => {
    const r = watched((f) => {
      erase(f, 3);
      f.read(at(3), 16);
      program(f, at(3), Buffer.alloc(16, 0));
    });
    expect(deps(r)).toEqual([]);
    expect(touched(r)).toEqual([3]);
  });

  it('a write into a sector not erased counts as a read (what it leaves depends on what was there)', () => {
    const r = watched((f) => program(f, at(4, 256), Buffer.alloc(16, 0)));
    expect(deps(r)).toEqual([4]);
    expect(touched(r)).toEqual([4]);
  });

  it('a read before the erase still counts', () => {
    const r = watched((f) => {
      f.read(at(5), 4);
      erase(f, 5);
    });
    expect(deps(r)).toEqual([5]);
  });

  it('a restore under the run is told (a memo jump or a played tail: its reads were not seen)', () => {
    const r = watched((f) => f.restore(f.snapshot()));
    expect(r.restored).toBe(true);
  });
});

describe('RunMemo', () => {
  /** A run from the flash's state: reads sector 1, erases and rewrites sector 6, programs into sector 2. */
  function run(f: NorFlash): string {
    const v = f.read(at(1), 4).toString('hex');
    erase(f, 6);
    program(f, at(6), Buffer.alloc(32, 0x42));
    program(f, at(2, 512), Buffer.alloc(16, 0x10));
    return v;
  }

  interface Kept {
    read: string;
    changed: ChangedSectors;
  }

  function setup() {
    const f = flash();
    const memo = new RunMemo<Kept>([f], f);
    const start = f.snapshot();
    memo.start();
    const read = run(f);
    const changed = memo.changed();
    const end = f.snapshot();
    // Later writes of the flash's (into the slab its sectors share) do not reach what the memo keeps.
    expect(memo.keep('ctx', { read, changed }, true)).toBe(true);
    return { f, memo, start, end, read, changed };
  }

  it('a kept run holds its sectors in a buffer of its own, not views that would hold the flash’s slabs', () => {
    const { end, changed } = setup();
    expect(changed.sectors.map((c) => c.index)).toEqual([2, 6]);
    for (const c of changed.sectors) {
      expect(c.sector).toEqual(end.sectors[c.index]);
      // No write counts on this part: the two sectors alone (a slab is 128 KiB).
      expect(c.sector.buffer.byteLength).toBe(2 * S);
    }
  });

  it('a state that differs only in sectors the run never read takes the run, with what it wrote put in place', () => {
    const { f, memo, start, end, read } = setup();
    f.restore(start);
    // Sector 7 differs (never read); sector 6 differs too, but the run erased it before anything else.
    f.writeRaw(at(7, 100), Buffer.alloc(8, 0x00));
    f.writeRaw(at(6, 100), Buffer.alloc(8, 0x00));
    const own7 = f.read(at(7), S);
    const kept = memo.find('ctx');
    expect(kept?.read).toBe(read);
    expect(memo.hits).toBe(1);
    memo.place(kept!.changed);
    expect(f.read(at(6), S)).toEqual(Buffer.from(end.sectors[6]!));
    expect(f.read(at(2), S)).toEqual(Buffer.from(end.sectors[2]!));
    expect(f.read(at(7), S)).toEqual(own7);
  });

  it('a state that differs in a sector the run read, or written into, or another context, does not', () => {
    const { f, memo, start } = setup();
    for (const [sector, context] of [
      [1, 'ctx'],
      [2, 'ctx'],
      [7, 'other'],
    ] as const) {
      f.restore(start);
      f.writeRaw(at(sector, 100), Buffer.alloc(8, 0x00));
      const before = f.snapshot();
      expect(memo.find(context)).toBeUndefined();
      // A miss leaves the state as loaded.
      expect(f.snapshot().sectors).toEqual(before.sectors);
    }
    expect(memo.hits).toBe(0);
  });

  it('a run kept where a board tail begins (`all`): every sector it did not erase counts, and one it read before erasing it too', () => {
    const f = flash();
    const memo = new RunMemo<string>([f], f);
    const start = f.snapshot();
    memo.start();
    f.read(at(5), 4);
    erase(f, 5);
    erase(f, 6);
    expect(memo.keep('ctx', 'judged', true, true)).toBe(true);
    const differing = (sector: number) => {
      f.restore(start);
      f.writeRaw(at(sector, 100), Buffer.alloc(8, 0x00));
      return memo.find('ctx');
    };
    // Sector 6 was erased unread: the run's own. Sector 5 was read first; sector 7 never touched, but the rest depends on the whole state.
    expect(differing(6)).toBe('judged');
    expect(differing(5)).toBeUndefined();
    expect(differing(7)).toBeUndefined();
  });

  it('a run that was not whole (it drew, or the flash was restored under it) is not kept', () => {
    const f = flash();
    const memo = new RunMemo<string>([f], f);
    const start = f.snapshot();
    memo.start();
    expect(memo.keep('ctx', run(f), false)).toBe(false);
    f.restore(start);
    memo.start();
    run(f);
    f.restore(f.snapshot());
    expect(memo.keep('ctx', 'x', true)).toBe(false);
    f.restore(start);
    expect(memo.find('ctx')).toBeUndefined();
    expect(f.reads).toBeUndefined();
  });
});
