import { afterEach, describe, expect, it } from '@jest/globals';
import { HOST_DFU_STATE_ADDRESS, HOST_PARTITIONS } from '../../src/targets/nrf91-nrf52-product.js';
import { decodeRecord, Stage } from '../../src/twin/multi-mcu-dfu/dfu-state.js';
import { findTwin } from '../../src/twin/registry.js';
import { productBench, type ProductBench } from './multi-mcu-dfu-harness.js';

let benches: ProductBench[] = [];
afterEach(() => {
  for (const b of benches) b.dispose();
  benches = [];
});

function bench(...args: Parameters<typeof productBench>): ProductBench {
  const b = productBench(...args);
  benches.push(b);
  return b;
}

const COMPLETE = /fota: complete host=2\.0\.0 radio=2\.0\.0/;
const BANNER2 = /hilrig-app 2\.0\.0 running from slot primary @0x0000c200/;

describe('multi-mcu-dfu twin: the correct product', () => {
  it('is registered with the variants the host meta lists', () => {
    expect(Object.keys(findTwin('multi-mcu-dfu')!.variants)).toEqual(['correct', 'lock-not-taken', 'ready-early', 'host-confirms-early', 'unchecked-apply', 'no-resume']);
  });

  it('updates both processors without a cut: radio first, then the host; both consoles show the 2.0.0 banner', async () => {
    const b = bench();
    b.twin.powerOn();
    await b.begin();
    await b.waitFor(COMPLETE);
    expect(b.host()).toMatch(BANNER2);
    expect(b.radio()).toMatch(BANNER2);
    // The radio reported 2.0.0 before the host marked its own image.
    const link = b.events.filter((x) => x.e.kind === 'link').map((x) => x.e.kind === 'link' && `${x.e.from}>${x.e.to} ${x.e.text}`);
    const reported = link.findIndex((l) => l === 'radio>host boot 2.0.0');
    expect(reported).toBeGreaterThan(link.findIndex((l) => typeof l === 'string' && l.startsWith('host>radio dfu ready')));
    const hostMark = b.events.findIndex((x) => x.e.kind === 'phase' && x.e.mcu === 'host' && x.e.name === 'apply host');
    const radioReport = b.events.findIndex((x) => x.e.kind === 'link' && x.e.text === 'boot 2.0.0');
    expect(hostMark).toBeGreaterThan(radioReport);
    // Both swapped under the bus lock: no conflict on the bus.
    expect(b.twin.shared.collisions).toBe(0);
    expect(b.events.some((x) => x.e.kind === 'lock' && x.e.mcu === 'radio')).toBe(true);
    const rec = decodeRecord(b.twin.readMemory(HOST_DFU_STATE_ADDRESS, HOST_PARTITIONS.dfuState.size));
    expect(rec?.stage).toBe(Stage.DONE);
  });

  it('resumes an interrupted download at its last whole sector after a cut', async () => {
    const b = bench();
    b.twin.powerOn();
    await b.begin();
    const cut = b.cutWhen((e) => e.kind === 'phase' && e.name === 'download' && e.detail === 'radio 13000/25180');
    const at = await cut;
    const after = b.host().length;
    await b.waitFor(COMPLETE, { from: after });
    const asks = b
      .host()
      .slice(after)
      .match(/fota get \S+ radio \d+/g)!;
    expect(asks[0]).toMatch(/ radio 12288$/);
    expect(at).toBeGreaterThan(0);
  });
});

describe('multi-mcu-dfu twin: each variant in its window', () => {
  it('lock-not-taken: its unlocked chunk writes collide with the radio log on the bus; with the lock nothing collides', async () => {
    const b = bench({ variant: 'lock-not-taken' });
    b.twin.powerOn();
    await b.begin();
    await b.waitFor(/fota: failed verify-(radio|host) host=1\.0\.0 radio=1\.0\.0/);
    expect(b.twin.shared.collisions + b.twin.shared.ignoredWhileBusy).toBeGreaterThan(0);
    expect(b.events.some((x) => x.e.kind === 'bus-conflict')).toBe(true);
  });

  it('no-resume: a cut in the download leaves both at 1.0.0 and the host idle, its record still pending', async () => {
    const b = bench({ variant: 'no-resume' });
    b.twin.powerOn();
    await b.begin();
    await b.cutWhen((e) => e.kind === 'phase' && e.name === 'download' && e.detail === 'radio 13000/25180');
    await b.waitFor(/fota: idle host=1\.0\.0 radio=1\.0\.0/, { from: b.host().length });
    expect(decodeRecord(b.twin.readMemory(HOST_DFU_STATE_ADDRESS, HOST_PARTITIONS.dfuState.size))?.stage).toBe(Stage.DOWNLOADING);
  });

  it('ready-early: a cut after its early signal, before the last radio chunk is written: the radio rejects the image; the correct product finishes', async () => {
    const early = bench({ variant: 'ready-early' });
    early.twin.powerOn();
    await early.begin();
    await early.cutWhen((e) => e.kind === 'link' && e.text.startsWith('dfu ready'));
    await early.waitFor(/fota: failed radio-rejected host=1\.0\.0 radio=1\.0\.0/, { from: early.host().length });

    const correct = bench();
    correct.twin.powerOn();
    await correct.begin();
    await correct.cutWhen((e) => e.kind === 'phase' && e.name === 'download' && e.detail === 'radio 25180/25180');
    await correct.waitFor(COMPLETE, { from: correct.host().length });
  });

  it('host-confirms-early: a cut after its own pending mark, before the radio marked its image: host 2.0.0 with radio 1.0.0', async () => {
    const b = bench({ variant: 'host-confirms-early' });
    b.twin.powerOn();
    await b.begin();
    // Its magic is the last write of its mark: cut once that program is over.
    await b.cutWhen((e) => e.kind === 'phase' && e.mcu === 'host' && e.name === 'apply host', { delayMs: 60 });
    await b.waitFor(/fota: complete host=2\.0\.0 radio=1\.0\.0/, { from: b.host().length });
  });

  it('unchecked-apply: a cut after the radio confirmed 2.0.0 and before the host recorded it: the re-sent signal swaps the stale image back', async () => {
    const b = bench({ variant: 'unchecked-apply' });
    b.twin.powerOn();
    await b.begin();
    await b.cutWhen((e) => e.kind === 'link' && e.from === 'radio' && e.text === 'boot 2.0.0');
    await b.waitFor(/fota: failed radio-not-updated host=1\.0\.0 radio=1\.0\.0/, { from: b.host().length });

    const correct = bench();
    correct.twin.powerOn();
    await correct.begin();
    await correct.cutWhen((e) => e.kind === 'link' && e.from === 'radio' && e.text === 'boot 2.0.0');
    await correct.waitFor(COMPLETE, { from: correct.host().length });
  });
});
