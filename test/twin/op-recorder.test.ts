/**
 * The twin's op log: what it records of each flash operation, the states it keeps, and the cut
 * states it rebuilds from them (before, after, torn with the part's physics), on a small board
 * whose firmware is a fixed list of flash operations.
 */
import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { W25Q32 } from '../../src/twin/flash/geometry.js';
import { McuTwin } from '../../src/twin/mcu-twin.js';
import type { Mcu } from '../../src/twin/mcu.js';
import { OpRecorder } from '../../src/twin/flash/op-recorder.js';
import { stateDigest } from '../../src/twin/flash/state-digest.js';
import { Rng } from '../../src/twin/rng.js';

const A = W25Q32.base + 0x1_0000;
const DATA = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) & 0x7f));

/** Erase a sector, program a page into it, then idle; reports phases as the scheme twins do. */
class ScriptTwin extends McuTwin {
  readonly target = 'rp2040';
  readonly scheme = 'script';
  readonly variant = 'correct';
  protected readonly boot = async (mcu: Mcu) => {
    mcu.emit({ kind: 'phase', name: 'erase' });
    await mcu.flashOp(mcu.flash.erase(A, 4096));
    mcu.emit({ kind: 'phase', name: 'write', detail: 'page 0' });
    await mcu.flashOp(mcu.flash.program(A, DATA));
    await mcu.waitRx(60_000);
  };
  constructor(clock: VirtualClock) {
    super({ clock, geometry: W25Q32, powerLoss: 'torn', seed: 1, rxCapacity: 64 });
  }
}

async function recorded() {
  const clock = new VirtualClock();
  const twin = new ScriptTwin(clock);
  twin.flash.writeRaw(A, Buffer.alloc(4096, 0x5a));
  const rec = new OpRecorder(twin);
  rec.start();
  twin.powerOn();
  await clock.sleep(1000);
  rec.stop();
  twin.powerOff();
  return { clock, twin, rec };
}

describe('op recorder', () => {
  it('logs each op with its marker edge, phase, times and stage', async () => {
    const { rec } = await recorded();
    expect(rec.ops.map((o) => [o.index, o.marker, o.kind, o.address, o.length, o.phase, o.stage])).toEqual([
      [0, 1, 'erase', A, 4096, 'erase', 'update'],
      [1, 2, 'program', A, 256, 'write page 0', 'update'],
    ]);
    const [erase, program] = rec.ops;
    expect(erase!.endMs! - erase!.startMs).toBe(45); // tSE of the W25Q32
    expect(program!.startMs).toBe(erase!.endMs);
    expect(program!.endMs! - program!.startMs).toBeCloseTo(0.7, 6);
  });

  it('rebuilds before and after states, and shares the id of equal states', async () => {
    const { twin, rec } = await recorded();
    rec.load(0, 'before');
    expect(twin.flash.read(A, 4)).toEqual(Buffer.alloc(4, 0x5a));
    rec.load(0, 'after');
    expect(twin.flash.isErased(A, 4096)).toBe(true);
    rec.load(1, 'after');
    expect(twin.flash.read(A, 256)).toEqual(DATA);
    // Nothing happened between the erase's end and the program's start: one state, one recovery.
    expect(rec.stateId(0, 'after')).toBe(rec.stateId(1, 'before'));
    expect(rec.stateId(0, 'before')).not.toBe(rec.stateId(0, 'after'));
    expect(rec.stateId(1, 'torn')).toBeUndefined();
  });

  it('tears an op with the part physics, the same bits as a real cut with the same seed and fraction', async () => {
    const { twin, rec } = await recorded();
    twin.mcu.reseed(9);
    rec.load(1, 'torn', 0.5);
    const fromLog = stateDigest(twin.snapshot());
    // Half the page's bytes complete, the rest still erased (one byte partly programmed).
    expect(twin.flash.read(A, 127)).toEqual(DATA.subarray(0, 127));
    expect(twin.flash.isErased(A + 129, 127)).toBe(true);

    // The same cut made the long way: erase done, the program interrupted half way with seed 9.
    const clock = new VirtualClock();
    const other = new ScriptTwin(clock);
    other.flash.writeRaw(A, Buffer.alloc(4096, 0x5a));
    other.flash.erase(A, 4096).complete();
    other.flash.program(A, DATA).interrupt('torn', 0.5, new Rng(9));
    expect(stateDigest(other.snapshot())).toBe(fromLog);
  });

  it('refuses to load into a powered device and names a missing op', async () => {
    const { twin, rec } = await recorded();
    expect(() => rec.load(5, 'before')).toThrow(/no op 5 in the recording \(2 ops\)/);
    twin.powerOn();
    expect(() => rec.load(0, 'before')).toThrow(/unpowered/);
    twin.powerOff();
  });

  it('knows the op in flight: started and not complete', async () => {
    const clock = new VirtualClock();
    const twin = new ScriptTwin(clock);
    const rec = new OpRecorder(twin);
    rec.start();
    twin.powerOn();
    await clock.sleep(10);
    expect(rec.inFlight).toBe(0);
    await clock.sleep(45);
    expect(rec.inFlight).toBeUndefined();
    expect(rec.opsStarted).toBe(2);
    rec.stop();
    twin.powerOff();
  });

  it('a second recorder logs a recovery while the first keeps its states loadable; a recorder stopped after it started leaves it observing', async () => {
    const { clock, twin, rec } = await recorded();
    const recovery = new OpRecorder(twin);
    // The recovery: erase and program again from the state before the first op's program.
    rec.load(1, 'before');
    // A recorder still attached when the recovery's starts, stopped after it: its stop must not detach the recovery's observer.
    const stale = new OpRecorder(twin);
    stale.start();
    recovery.start('recovery');
    stale.stop();
    twin.powerOn();
    await clock.sleep(1000);
    recovery.stop();
    twin.powerOff();
    expect(recovery.ops.map((o) => [o.index, o.kind, o.stage])).toEqual([
      [0, 'erase', 'recovery'],
      [1, 'program', 'recovery'],
    ]);
    // Both logs load their own states.
    recovery.load(1, 'after');
    expect(twin.flash.read(A, 256)).toEqual(DATA);
    rec.load(0, 'before');
    expect(twin.flash.read(A, 4)).toEqual(Buffer.alloc(4, 0x5a));
  });
});
