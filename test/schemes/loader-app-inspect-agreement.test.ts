/**
 * loader-app: the twin and `hil inspect`'s reading agree at every op state of an application
 * update (issue 10 item 4's rule, for the scheme issue 12 added; test/twin/agreement.test.ts does the
 * other schemes the same way). A SweepSession records the update once (the Loader's DFU mode: old
 * header zeroed, erase, data, CRC checks, header last); each distinct before/after state and a
 * seeded torn sample is loaded into the unpowered twin, the scheme's inspection predicts the next
 * boot from the flash (slot 2 and the known image it holds, or none: DFU mode), then the twin boots
 * and its first application start (or none within the boot timeout) is what it did.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SweepCutPoint } from '../../src/drivers/device/twin-sweep.js';
import { everyOpPoints } from '../../src/scenario/sweep/points.js';
import { SweepSession } from '../../src/scenario/sweep/session.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import type { UpdateImage } from '../../src/schemes/scheme.js';

const TORN_SAMPLE = 24;
const RIG = `target: stm32f429
scheme: loader-app
twin: { variant: correct, powerLoss: skip, seed: 1 }
power: { driver: twin, offMs: 200 }
console: { driver: twin, baud: 921600 }
updater: { driver: sfu-app }
probe: { driver: twin }
boot: { timeoutMs: 3000 }
`;

const dir = mkdtempSync(join(tmpdir(), 'hil-loader-app-agreement-'));
const rigFile = join(dir, 'agreement-loader-app.yaml');
writeFileSync(rigFile, RIG);
const sessions: SweepSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a boot starts: slot 2 (and the known image in it) or nothing (DFU mode, or no program). */
interface Boot {
  slot: string | null;
  image?: string;
}

const text = (b: Boot) => `${b.slot ?? 'no app start'}${b.image ? ` (${b.image})` : ''}`;

function identify(region: Buffer, known: readonly UpdateImage[]): string | undefined {
  return known.find((k) => {
    const img = k.slotImage.slot2;
    return img !== undefined && region.subarray(0, img.length).equals(img);
  })?.name;
}

async function checkPoint(session: SweepSession, known: readonly UpdateImage[], point: SweepCutPoint): Promise<{ predicted: Boot; performed: Boot; summary: string }> {
  const { rig, scheme } = session;
  const sweep = rig.twin!.sweep;
  rig.timeline.clear();
  await rig.power.off();
  sweep.load(point);
  const view = await scheme.inspect(sweep.probe, [...known]);
  const predicted: Boot = { slot: view.bootsNext };
  const matches = view.slots.find((s) => s.slot === view.bootsNext)?.matches;
  if (view.bootsNext && matches) predicted.image = matches;
  const summary = view.table
    .split('\n')
    .filter((l) => /boots next|Loader|slot 2/.test(l))
    .join(' / ');
  await rig.clock.sleep(rig.config.power.offMs);
  // The first application start after power-up, and what slot 2 holds at that instant.
  let started: Promise<Record<string, Buffer>> | undefined;
  let off = () => {};
  await new Promise<void>((resolve, reject) => {
    const timer = rig.clock.setTimer(rig.config.boot.timeoutMs, () => resolve());
    off = rig.timeline.subscribe((e) => {
      if (!started && e.source === 'twin' && e.kind === 'boot:app' && e.detail === 'slot2') {
        started = sweep.probe.dump(scheme.dumpRegions.filter((r) => r.name === 'slot2'));
        timer.cancel();
        resolve();
      }
    });
    rig.power.on().catch(reject);
  }).finally(() => off());
  let performed: Boot = { slot: started ? 'slot2' : null };
  if (started) {
    const id = identify((await started).slot2!, known);
    if (id) performed.image = id;
    if (id === UPDATER) performed = { slot: null };
  }
  await rig.power.off();
  return { predicted, performed, summary };
}

interface Case {
  name: string;
  setup: string;
  from: string;
  to: string;
  /** A multi-stage update: images sent before `to` (the Loader update's Updater and new Loader). */
  via?: string[];
}

const CASES: Case[] = [
  { name: 'factory: application 1.0.0 -> 2.0.0', setup: 'factory', from: 'firmware/fwup-app-v1.bin', to: 'firmware/fwup-app-v2.bin' },
  { name: 'factory: application 1.0.0 -> one that crashes at start', setup: 'factory', from: 'firmware/fwup-app-v1.bin', to: 'firmware/fwup-app-v2-crashes.bin' },
  {
    name: 'Loader update: Updater, Loader 2.0.0, application 2.0.0',
    setup: 'factory',
    from: 'firmware/fwup-app-v1.bin',
    via: ['firmware/fwup-updater-v1.bin', 'firmware/fwup-loader-v2.bin'],
    to: 'firmware/fwup-app-v2.bin',
  },
];

/** The Updater in slot 2 starts like an application but only waits for a Loader: for both sides that is no application start. */
const UPDATER = 'fwup-updater-v1.bin';

describe.each(CASES)('loader-app: twin and hil inspect agree at every op state ($name)', (c) => {
  it('at every distinct before/after state and a torn sample', async () => {
    const known = [
      await loadUpdateImage(c.from, 'loader-app'),
      ...(c.via?.includes(`firmware/${UPDATER}`) ? [await loadUpdateImage(`firmware/${UPDATER}`, 'loader-app')] : []),
      await loadUpdateImage(c.to, 'loader-app'),
    ];
    const session = await SweepSession.open({ rig: rigFile, twin: { variant: 'correct' }, images: { from: c.from, to: c.to, ...(c.via && { via: c.via }) }, setup: c.setup, seed: 7 });
    sessions.push(session);
    const { ops } = session.recording;
    expect(ops.length).toBeGreaterThan(10);
    const sweep = session.rig.twin!.sweep;
    const seen = new Set<number>();
    const exact = session.everyOp(['before', 'after']).filter((p) => {
      const id = sweep.stateId(p.op, p.mode);
      if (id === undefined) return true;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    const step = Math.max(1, Math.floor(ops.length / TORN_SAMPLE));
    const torn = everyOpPoints(ops, ['torn'], 11).filter((p) => p.op % step === 0);
    const bad: string[] = [];
    const outcomes = new Set<string>();
    for (const point of [...exact, ...torn]) {
      const r = await checkPoint(session, known, point);
      outcomes.add(text(r.performed));
      if (r.predicted.slot !== r.performed.slot || r.predicted.image !== r.performed.image) {
        const op = ops[point.op]!;
        bad.push(`op ${point.op} ${point.mode} (phase ${op.phase ?? 'none'}, ${op.kind} 0x${op.address.toString(16)}): host predicts ${text(r.predicted)}; twin ${text(r.performed)} | ${r.summary}`);
      }
    }
    expect(bad).toEqual([]);
    // Both ends were seen: the old application, DFU mode (no app start) and the new one.
    expect([...outcomes].sort()).toEqual(expect.arrayContaining(['no app start', `slot2 (${known.at(-1)!.name})`]));
  });
});
