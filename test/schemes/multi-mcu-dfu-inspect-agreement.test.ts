/**
 * multi-mcu-dfu: the twin and `hil inspect`'s reading agree at every op state of a product update
 * (the rule test/twin/agreement.test.ts and loader-app-inspect-agreement.test.ts hold for the other
 * schemes), per member. A SweepSession records the update once (download into the shared NOR
 * under the lock, the radio's swap, the host's swap); each distinct before/after state and a
 * seeded torn sample is loaded into the unpowered twin, the scheme's inspection predicts each
 * member's next boot (the image its MCUboot will start, or none), then the twin is powered and
 * each member's first app start (and what its primary holds at that instant) is what it did.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { SweepCutPoint } from '../../src/drivers/device/twin-sweep.js';
import { everyOpPoints } from '../../src/scenario/sweep/points.js';
import { SweepSession } from '../../src/scenario/sweep/session.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import type { UpdateImage } from '../../src/schemes/scheme.js';
import { HOST_DFU_STATE_ADDRESS, HOST_PARTITIONS, PRODUCT_MEMBERS, productSlotAddress } from '../../src/targets/nrf91-nrf52-product.js';
import { readDfuState } from '../../src/schemes/multi-mcu-dfu/dfu-state.js';
// The twin's own decoder, only to hold the host-side reading to it (src/schemes never imports the twin).
import { decodeRecord, unpackVersion } from '../../src/twin/multi-mcu-dfu/dfu-state.js';

const RIG = 'rigs/twin-nrf9160-nrf52840-product.yaml';
const FROM = 'firmware/product-v1.tar';
const TO = 'firmware/product-v2.tar';
const TORN_SAMPLE = 16;

const sessions: SweepSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
});

/** Per member: the known member image that starts, or null (it stays in MCUboot). */
type Boots = Record<string, string | null>;
const text = (b: Boots) => PRODUCT_MEMBERS.map((m) => `${m.name}: ${b[m.name] ?? 'no app start'}`).join(', ');

function identify(member: string, primary: Buffer, known: readonly UpdateImage[]): string {
  const k = known.find((i) => {
    const img = i.slotImage[`${member}:primary`];
    return img !== undefined && primary.subarray(0, img.length).equals(img);
  });
  return k ? `${k.name}:${member}` : 'an unknown image';
}

const STAGE_NAMES = ['downloading', 'verified', 'radio-done', 'host-applying', 'done', 'failed'];

/** The host's dfu-state as the inspection reads it and as the twin's host app decodes it, in one comparable shape. */
function dfuBoth(hostFlash: Buffer): { host: string; twin: string } {
  const mine = readDfuState(hostFlash);
  const rec = decodeRecord(hostFlash.subarray(HOST_PARTITIONS.dfuState.base, HOST_PARTITIONS.dfuState.base + HOST_PARTITIONS.dfuState.size));
  const host =
    mine?.state === 'record' ? `${mine.pkg} ${mine.stage} ${PRODUCT_MEMBERS.map((m) => `${m.name}:${mine.members![m.name].settled}:${mine.members![m.name].version ?? '-'}`).join(' ')}` : 'no update';
  const twin = rec
    ? `${rec.pkg8} ${STAGE_NAMES[rec.stage]} ${PRODUCT_MEMBERS.map((m) => `${m.name}:${rec.progress[m.name]}:${rec.version[m.name] === undefined ? '-' : unpackVersion(rec.version[m.name]!)}`).join(' ')}`
    : 'no update';
  return { host, twin };
}

async function checkPoint(
  session: SweepSession,
  known: readonly UpdateImage[],
  point: SweepCutPoint,
): Promise<{ predicted: Boots; performed: Boots; summary: string; dfu: { host: string; twin: string } }> {
  const { rig, scheme } = session;
  const sweep = rig.twin!.sweep;
  rig.timeline.clear();
  await rig.power.off();
  sweep.load(point);
  const view = await scheme.inspect(sweep.probe, [...known]);
  const hostFlash = (await sweep.probe.dump([{ name: 'host-flash', base: HOST_DFU_STATE_ADDRESS - HOST_PARTITIONS.dfuState.base, size: 0x10_0000 }]))['host-flash']!;
  const dfu = dfuBoth(hostFlash);
  const predicted: Boots = {};
  for (const m of PRODUCT_MEMBERS) {
    const v = view.members![m.name]!;
    predicted[m.name] = v.bootsNext === null ? null : (v.next?.matches ?? `an unknown image${v.next?.version ? ` ${v.next.version}` : ''}`);
  }
  const summary = view.table
    .split('\n')
    .filter((l) => /^(host|radio) \(|next boot|^product/.test(l))
    .join(' / ');
  await rig.clock.sleep(rig.config.power.offMs);
  // Each member's first app start after power-up, and what its primary holds at that instant.
  const started = new Map<string, Promise<Record<string, Buffer>>>();
  let off = () => {};
  await new Promise<void>((resolve, reject) => {
    const timer = rig.clock.setTimer(rig.config.boot.timeoutMs, () => resolve());
    off = rig.timeline.subscribe((e) => {
      const mcu = (e.data as { mcu?: string } | undefined)?.mcu;
      if (e.source === 'twin' && e.kind === 'boot:app' && mcu && !started.has(mcu)) {
        const m = PRODUCT_MEMBERS.find((x) => x.name === mcu)!;
        started.set(mcu, sweep.probe.dump([{ name: 'primary', base: productSlotAddress(m.name, 'primary'), size: m.slots.primary.size }]));
        if (started.size === PRODUCT_MEMBERS.length) {
          timer.cancel();
          resolve();
        }
      }
    });
    rig.power.on().catch(reject);
  }).finally(() => off());
  const performed: Boots = {};
  for (const m of PRODUCT_MEMBERS) {
    const s = started.get(m.name);
    performed[m.name] = s ? identify(m.name, (await s).primary!, known) : null;
  }
  await rig.power.off();
  return { predicted, performed, summary, dfu };
}

describe('multi-mcu-dfu: twin and hil inspect agree per member at every op state (product 1.0.0 -> 2.0.0)', () => {
  it("at every distinct before/after state and a torn sample: each member's next boot, and the host's dfu-state record", async () => {
    const known = [await loadUpdateImage(FROM, 'multi-mcu-dfu'), await loadUpdateImage(TO, 'multi-mcu-dfu')];
    const session = await SweepSession.open({ rig: RIG, twin: { variant: 'correct' }, images: { from: FROM, to: TO }, setup: 'factory', seed: 7 });
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
    const stages = new Set<string>();
    for (const point of [...exact, ...torn]) {
      const r = await checkPoint(session, known, point);
      for (const m of PRODUCT_MEMBERS) outcomes.add(`${m.name}: ${r.performed[m.name] ?? 'no app start'}`);
      stages.add(r.dfu.twin.split(' ')[1] ?? r.dfu.twin);
      if (r.dfu.host !== r.dfu.twin) bad.push(`op ${point.op} ${point.mode}: dfu-state read as "${r.dfu.host}", the twin's host app decodes "${r.dfu.twin}"`);
      if (PRODUCT_MEMBERS.some((m) => r.predicted[m.name] !== r.performed[m.name])) {
        const op = ops[point.op]!;
        bad.push(
          `op ${point.op} ${point.mode} (${op.mcu ?? '?'} phase ${op.phase ?? 'none'}, ${op.kind} 0x${op.address.toString(16)}): host predicts ${text(r.predicted)}; twin ${text(r.performed)} | ${r.summary}`,
        );
      }
    }
    expect(bad).toEqual([]);
    // The record was read in every stage an update passes through.
    expect([...stages].sort()).toEqual(expect.arrayContaining(['downloading', 'verified', 'radio-done', 'host-applying', 'done']));
    // Both members were seen at both ends of the update.
    expect([...outcomes].sort()).toEqual(expect.arrayContaining(['host: product-v1.tar:host', 'host: product-v2.tar:host', 'radio: product-v1.tar:radio', 'radio: product-v2.tar:radio']));
  });
});
