// The rig fence on a real (twin) rig: every hardware action checks the fence file first and is
// logged to the rig's event log; an expired or superseded lease stops the action (safe state
// unless someone newer drives the rig) with LeaseLostError; and the double-booking check on logs.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRig } from '../../src/config/index.js';
import { RigError } from '../../src/core/errors.js';
import { findDoubleBooking, formatOverlap, readRigEvents } from '../../src/lab/exclusive-check.js';
import { FENCE_ENV, LeaseLostError, fenceRig, readFenceFile, writeFenceFile, type FenceFile, type RigEvent } from '../../src/rig/fence.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { waitFor } from '../helpers/wait-for.js';

const RIG = 'twin-rp2040-sfu';
let dir: string;
let fencePath: string;
let eventLog: string;
const open: Rig[] = [];

function fence(extra: Partial<FenceFile> = {}): FenceFile {
  return { rig: RIG, token: 7, holder: 'w1', validUntil: Date.now() + 60000, eventLog, ...extra };
}

async function openFenced(): Promise<Rig> {
  process.env[FENCE_ENV] = fencePath;
  try {
    const rig = await openRig(await loadRig(RIG));
    open.push(rig);
    return rig;
  } finally {
    delete process.env[FENCE_ENV];
  }
}

const actions = (): string[] => readRigEvents(eventLog).map((e) => e.action);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hilrig-fence-'));
  fencePath = join(dir, 'fence', `${RIG}.json`);
  eventLog = join(dir, 'events', `${RIG}.jsonl`);
  writeFileSync(join(dir, 'events-dir-marker'), '');
});

afterEach(async () => {
  for (const rig of open.splice(0)) await rig.close().catch(() => undefined);
});

test('without the variable a rig is not fenced at all', async () => {
  const rig = await openRig(await loadRig(RIG));
  open.push(rig);
  await rig.power.on();
  expect(readRigEvents(eventLog)).toEqual([]);
});

test('no fence file, or one for another rig or an expired lease: refused at open, nothing touched', async () => {
  await expect(openFenced()).rejects.toThrow(LeaseLostError);
  await expect(openFenced()).rejects.toThrow(/rig twin-rp2040-sfu: no valid lease: no readable fence file/);
  writeFenceFile(fencePath, fence({ rig: 'other-rig' }));
  await expect(openFenced()).rejects.toThrow(/fence file .* is for rig other-rig/);
  writeFenceFile(fencePath, fence({ validUntil: Date.now() - 1 }));
  await expect(openFenced()).rejects.toThrow(/lease token 7 not renewed in time/);
  // A lease-lost error is a rig error: Allure broken, exit 3, never a device failure.
  expect(new LeaseLostError('x')).toBeInstanceOf(RigError);
  expect(readRigEvents(eventLog)).toEqual([]);
});

test('with a valid lease every hardware action is logged with the token; console writes are not actions', async () => {
  writeFenceFile(fencePath, fence());
  const rig = await openFenced();
  await rig.power.on();
  await rig.power.cycle(50);
  await rig.reset();
  await rig.probe!.dump([{ name: 'x', base: 0x10000000, size: 16 }]);
  await rig.console.write('hello\n');
  await rig.power.off();
  await rig.safe();
  expect(actions()).toEqual(['power.on', 'power.cycle', 'reset', 'probe.dump', 'power.off', 'safe']);
  for (const e of readRigEvents(eventLog)) {
    expect(e).toMatchObject({ rig: RIG, token: 7, holder: 'w1', pid: process.pid });
    // Each action's end is logged too (its own line, merged back by readRigEvents).
    expect(e.endAt).toBeGreaterThanOrEqual(e.at);
  }
  expect(readFileSync(eventLog, 'utf8').trim().split('\n')).toHaveLength(12);
  // Reads pass through untouched.
  expect(rig.name).toBe(RIG);
  expect(rig.power.state).toBe('off');
});

test('a lease that ran out stops the next action: safe state, LeaseLostError, and every action after', async () => {
  writeFenceFile(fencePath, fence({ validUntil: Date.now() + 300 }));
  const rig = await openFenced();
  await rig.power.on();
  expect(rig.power.state).toBe('on');
  await waitFor('the lease to run out', () => Date.now() > readFenceFile(fencePath)!.validUntil);
  await expect(rig.power.cycle(50)).rejects.toThrow(/rig twin-rp2040-sfu: lease lost \(lease token 7 not renewed in time.*\): stopped before power\.cycle/);
  // twin-rp2040-sfu's safeState is off.
  expect(rig.power.state).toBe('off');
  await expect(rig.reset()).rejects.toThrow(LeaseLostError);
  expect(actions()).toEqual(['power.on', 'safe-state (lease lost)', 'safe-state (lease lost)']);
});

test("a newer token means the rig is someone else's now: the old holder stops and leaves it alone", async () => {
  writeFenceFile(fencePath, fence());
  const rig = await openFenced();
  await rig.power.on();
  writeFenceFile(fencePath, fence({ token: 8, holder: 'w2' }));
  await expect(rig.power.off()).rejects.toThrow(/token 7 superseded by token 8 \(w2\)/);
  expect(rig.power.state).toBe('on');
  await rig.safe();
  expect(rig.power.state).toBe('on');
  expect(actions()).toEqual(['power.on']);
});

test('a fence file never goes back to a smaller token', () => {
  writeFenceFile(fencePath, fence({ token: 9 }));
  expect(() => writeFenceFile(fencePath, fence({ token: 8 }))).toThrow(/already holds token 9 .* token 8 is superseded/);
  writeFenceFile(fencePath, fence({ token: 9, validUntil: 0 }));
  expect(readFenceFile(fencePath)).toMatchObject({ token: 9, validUntil: 0 });
  writeFileSync(fencePath, '{"rig": "half');
  expect(readFenceFile(fencePath)).toBeUndefined();
});

test("fenceRig wraps a product rig's processors too", async () => {
  const product = await loadRig('twin-nrf9160-nrf52840-product');
  const bare = await openRig(product);
  open.push(bare);
  writeFenceFile(fencePath, fence({ rig: product.name }));
  const rig = fenceRig(bare, fencePath);
  const [first] = Object.values(rig.mcus!);
  await first!.reset();
  expect(actions()).toEqual([`mcu.${first!.name}.reset`]);
});

describe('double booking from event logs', () => {
  const e = (at: number, token: number, action = 'power.on', rig = 'r'): RigEvent => ({ at, rig, token, holder: `w${token}`, pid: 1, action });

  test('back-to-back leases with growing tokens are fine', () => {
    expect(findDoubleBooking([e(1, 1), e(5, 1), e(6, 2), e(9, 2), e(12, 4), e(2, 1, 'x', 'other'), e(3, 3, 'x', 'other')])).toEqual([]);
  });

  test("an action of an older token inside a newer one's span is an overlap", () => {
    const found = findDoubleBooking([e(1, 1), e(5, 2), e(7, 1), e(9, 2)]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ rig: 'r', why: 'overlap', a: { token: 1, first: 1, last: 7 }, b: { token: 2, first: 5, last: 9 } });
    expect(formatOverlap(found[0]!)).toMatch(/rig r: driven by two leases at once: token 1 \(w1, 2 actions/);
  });

  test('a later span with a smaller token is out of order', () => {
    expect(findDoubleBooking([e(1, 5), e(2, 5), e(3, 4)])).toMatchObject([{ why: 'token-order', a: { token: 5 }, b: { token: 4 } }]);
  });

  test('an overlap with a span further back is found too', () => {
    expect(findDoubleBooking([e(1, 1), e(20, 1), e(5, 2), e(6, 2), e(8, 3)]).map((o) => [o.a.token, o.b.token])).toEqual([
      [1, 2],
      [1, 3],
    ]);
  });

  test('an action still running when the next lease began is an overlap (its end line counts)', () => {
    const running: RigEvent = { ...e(1, 1, 'probe.program'), endAt: 8 };
    expect(findDoubleBooking([e(0, 1), running, e(5, 2), e(9, 2)])).toMatchObject([{ why: 'overlap', a: { token: 1, last: 8 }, b: { token: 2, first: 5 } }]);
    expect(findDoubleBooking([e(0, 1), { ...running, endAt: 4 }, e(5, 2)])).toEqual([]);
  });

  test('end lines pair with their start by pid and seq; a start without one (the process died) has no end', () => {
    const log = join(dir, 'ends.jsonl');
    const lines = [
      { at: 1, rig: 'r', token: 1, holder: 'w1', pid: 10, action: 'power.on', seq: 1 },
      { at: 2, rig: 'r', token: 1, holder: 'w1', pid: 11, action: 'reset', seq: 1 },
      { rig: 'r', token: 1, pid: 11, seq: 1, endAt: 3 },
      { rig: 'r', token: 1, pid: 10, seq: 1, endAt: 6 },
      { at: 7, rig: 'r', token: 1, holder: 'w1', pid: 10, action: 'probe.program', seq: 2 },
    ];
    writeFileSync(log, lines.map((l) => JSON.stringify(l)).join('\n'));
    expect(readRigEvents(log).map((x) => [x.action, x.endAt])).toEqual([
      ['power.on', 6],
      ['reset', 3],
      ['probe.program', undefined],
    ]);
  });

  test('a torn last line (a crash mid-append) is skipped, the rest read', () => {
    const log = join(dir, 'torn.jsonl');
    writeFileSync(log, `${JSON.stringify(e(1, 1))}\n${JSON.stringify(e(2, 1))}\n{"at": 3, "ri`);
    expect(readRigEvents(log)).toHaveLength(2);
    expect(readRigEvents(join(dir, 'none.jsonl'))).toEqual([]);
    expect(readFileSync(log, 'utf8')).toContain('"ri');
  });
});
