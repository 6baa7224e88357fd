/**
 * FlashSet: several flash parts on one address map (a product's two internal flashes and the
 * shared SPI NOR), and the op log of two processors writing them: one stream in start order,
 * each op with its processor and that processor's phase, cut states rebuilt across the parts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { crc32 } from 'node:zlib';
import { NRF52840_NVMC } from '../../src/targets/nrf52840.js';
import { FlashSet } from '../../src/twin/flash/flash-set.js';
import { FlashError, NorFlash } from '../../src/twin/flash/nor-flash.js';
import { OpRecorder } from '../../src/twin/flash/op-recorder.js';
import { sameState, stateDigest, StateKeys } from '../../src/twin/flash/state-digest.js';
import { HOST_BASE, RADIO_BASE, SHARED_BASE, TwoMcuBoard } from './two-mcu-board.js';

let boards: TwoMcuBoard[] = [];
afterEach(() => {
  for (const b of boards) b.dispose();
  boards = [];
});

function board(seed = 1): TwoMcuBoard {
  const b = new TwoMcuBoard({ seed });
  boards.push(b);
  return b;
}

const bytes = (n: number, k: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * k + 3) & 0xff));

describe('FlashSet', () => {
  it('dispatches reads by address, across part boundaries too, and sums the parts op counts', () => {
    const b = board();
    const [host, radio, shared] = b.flash.parts;
    expect(b.flash.base).toBe(0);
    expect(b.flash.geometry.size).toBe(6 * 1024 * 1024);
    host!.writeRaw(RADIO_BASE - 8, bytes(8, 5));
    radio!.writeRaw(RADIO_BASE, bytes(8, 7));
    shared!.writeRaw(SHARED_BASE + 0x100, bytes(16, 11));
    expect(b.flash.read(RADIO_BASE - 8, 16)).toEqual(Buffer.concat([bytes(8, 5), bytes(8, 7)]));
    expect(b.flash.partAt(SHARED_BASE + 0x100)).toBe(shared);
    expect(b.flash.read(SHARED_BASE + 0x100, 16)).toEqual(bytes(16, 11));
    expect(b.flash.crc32(SHARED_BASE, 0x1000)).toBe(crc32(shared!.read(SHARED_BASE, 0x1000)) >>> 0);
    expect(b.flash.crc32(RADIO_BASE - 8, 16)).toBe(crc32(b.flash.read(RADIO_BASE - 8, 16)) >>> 0);
    host!.erase(0, 4096).complete();
    shared!.erase(SHARED_BASE, 4096).complete();
    expect(b.flash.opCount).toBe(2);
  });

  it('changes its state version with every change to any part, and only then (an op recorder skips unchanged snapshots)', () => {
    const b = board();
    const [host, , shared] = b.flash.parts;
    const seen = new Set<number>([b.flash.version]);
    const changed = (what: () => unknown) => {
      what();
      expect(seen.has(b.flash.version)).toBe(false);
      seen.add(b.flash.version);
    };
    const same = (what: () => unknown) => {
      const v = b.flash.version;
      what();
      expect(b.flash.version).toBe(v);
    };
    changed(() => host!.writeRaw(0x100, bytes(8, 5)));
    changed(() => shared!.program(SHARED_BASE, bytes(32, 3)).complete());
    const snap = b.flash.snapshot();
    same(() => b.flash.read(0, 64));
    same(() => b.flash.snapshot());
    changed(() => shared!.erase(SHARED_BASE, 4096).complete());
    changed(() => b.flash.restore(snap));
    changed(() => host!.eraseAll());
  });

  it('reads into a kept buffer per part, copying only what changed since (readInto seen)', () => {
    const b = board();
    const out = Buffer.alloc(16);
    const seen: (Buffer | undefined)[] = [];
    b.flash.parts[0]!.writeRaw(RADIO_BASE - 8, bytes(8, 5));
    b.flash.snapshot();
    b.flash.readInto(RADIO_BASE - 8, out, seen);
    expect(out.subarray(0, 8)).toEqual(bytes(8, 5));
    b.flash.parts[1]!.writeRaw(RADIO_BASE, bytes(8, 9));
    b.flash.readInto(RADIO_BASE - 8, out, seen);
    expect(out).toEqual(Buffer.concat([bytes(8, 5), bytes(8, 9)]));
  });

  it('snapshots the parts end to end and restores each its share; digests and keys see one state', () => {
    const b = board();
    const before = b.flash.snapshot();
    const keys = new StateKeys();
    const k0 = keys.of(before);
    b.flash.parts[1]!.program(RADIO_BASE + 0x1000, bytes(64, 3)).complete();
    b.flash.parts[2]!.program(SHARED_BASE + 0x2000, bytes(64, 13)).complete();
    const after = b.flash.snapshot();
    expect(after.sectors.length).toBe(256 + 256 + 1024);
    expect(sameState(before, after)).toBe(false);
    expect(stateDigest(before)).not.toBe(stateDigest(after));
    expect(keys.of(after)).not.toBe(k0);
    b.flash.restore(before);
    expect(sameState(before, b.flash.snapshot())).toBe(true);
    expect(b.flash.read(SHARED_BASE + 0x2000, 64).every((x) => x === 0xff)).toBe(true);
    expect(keys.of(b.flash.snapshot())).toBe(k0);
    b.flash.restore(after);
    expect(b.flash.read(RADIO_BASE + 0x1000, 64)).toEqual(bytes(64, 3));
    // The radio's NVMC counts writes per word (nWRITE): the counts come back with the restore.
    b.flash.parts[1]!.program(RADIO_BASE + 0x1000, Buffer.alloc(64, 0)).complete();
    expect(b.flash.parts[1]!.overWrites).toBe(0);
    b.flash.parts[1]!.program(RADIO_BASE + 0x1000, Buffer.alloc(4, 0)).complete();
    expect(b.flash.parts[1]!.overWrites).toBe(1);
  });

  it('refuses overlapping parts, a snapshot of another shape, and an address in no part (bad input)', () => {
    const a = new NorFlash({ ...NRF52840_NVMC, base: 0 });
    const overlapping = new NorFlash({ ...NRF52840_NVMC, base: 0x8_0000 });
    expect(() => new FlashSet([a, overlapping])).toThrow(/overlaps nRF52840 NVMC/);
    expect(() => new FlashSet([])).toThrow(/at least one/);
    const gap = new FlashSet([a, new NorFlash({ ...NRF52840_NVMC, base: 0x20_0000 })], 'gapped');
    expect(() => gap.read(0x18_0000, 4)).toThrow(FlashError);
    expect(() => gap.read(0x18_0000, 4)).toThrow(/0x180000 is in no part of gapped/);
    expect(() => gap.restore({ sectors: [] })).toThrow(/snapshot has 0 sectors, gapped has 512/);
  });

  it('has a resume memo that never arms (a product job spans parts)', () => {
    const b = board();
    b.flash.resume.until = 1000;
    expect(b.flash.resume.jumps).toBe(0);
  });
});

describe('op log of two processors', () => {
  /** host: erase + program its flash; radio: erase + program its flash, starting 10 ms later. */
  async function record() {
    const b = board();
    const rec = new OpRecorder(b.device);
    rec.start();
    b.start(
      async (mcu) => {
        mcu.emit({ kind: 'phase', name: 'download' });
        await mcu.flashOp(mcu.flash.erase(HOST_BASE + 0x2_0000, 4096));
        mcu.emit({ kind: 'phase', name: 'store', detail: 'chunk 0' });
        await mcu.flashOp(mcu.flash.program(HOST_BASE + 0x2_0000, bytes(1024, 7)));
        await mcu.sleep(60_000);
      },
      async (mcu) => {
        await mcu.sleep(10);
        mcu.emit({ kind: 'phase', name: 'swap', detail: 'idx 1 state 1' });
        await mcu.flashOp(mcu.flash.erase(RADIO_BASE + 0x1_0000, 4096));
        await mcu.flashOp(mcu.flash.program(RADIO_BASE + 0x1_0000, bytes(1024, 3)));
        await mcu.sleep(60_000);
      },
    );
    await b.clock.sleep(1000);
    rec.stop();
    b.powerOff();
    return { b, rec };
  }

  it('logs both processors ops in start order, each with its processor and that processor phase', async () => {
    const { rec } = await record();
    expect(rec.ops.map((o) => [o.index, o.mcu, o.kind, o.address, o.phase, o.marker])).toEqual([
      [0, 'host', 'erase', HOST_BASE + 0x2_0000, 'download', 1],
      [1, 'radio', 'erase', RADIO_BASE + 0x1_0000, 'swap idx 1 state 1', 2],
      [2, 'host', 'program', HOST_BASE + 0x2_0000, 'store chunk 0', 3],
      [3, 'radio', 'program', RADIO_BASE + 0x1_0000, 'swap idx 1 state 1', 4],
    ]);
    // What the other processor was doing at each op.
    expect(rec.ops[1]!.phases).toEqual({ host: 'download', radio: 'swap idx 1 state 1' });
    expect(rec.ops[0]!.phases).toEqual({ host: 'download' });
    expect(rec.ops.every((o) => o.target === 'flash')).toBe(true);
  });

  it('rebuilds a torn op in one part with the other parts as they were before it', async () => {
    const { b, rec } = await record();
    b.mcu.reseed(7);
    rec.load(3, 'torn', 0.5);
    const radio = b.flash.read(RADIO_BASE + 0x1_0000, 1024);
    const want = bytes(1024, 3);
    // The radio's program tore half way (its NVMC words in order: the first ~half complete).
    expect(radio.subarray(0, 400)).toEqual(want.subarray(0, 400));
    expect(radio.subarray(600).every((x) => x === 0xff)).toBe(true);
    // The host's program (op 2, 85-95.5 ms) was still in flight when op 3 started (95 ms): not there yet.
    expect(b.flash.read(HOST_BASE + 0x2_0000, 1024).every((x) => x === 0xff)).toBe(true);
    rec.load(2, 'after');
    expect(b.flash.read(HOST_BASE + 0x2_0000, 1024)).toEqual(bytes(1024, 7));
    expect(b.flash.read(RADIO_BASE + 0x1_0000, 1024).every((x) => x === 0xff)).toBe(true);
    expect(rec.stateId(3, 'before')).toBe(rec.stateId(1, 'after'));
  });
});
