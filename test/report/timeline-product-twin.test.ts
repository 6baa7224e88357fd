// The product's pictures from the real two-processor twin (rigs/twin-nrf9160-nrf52840-product.yaml),
// not a hand-made recording: one cut in the radio's swap recorded as the rig records it (timeline
// events, merged console, marker edges with their processor and memory) drawn as the product
// timeline and opened in headless Chromium; and a sweep's op log drawn as the product map, its
// rows for both processors and its marks naming where each cut landed.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRig } from '../../src/config/index.js';
import { parseTrigger } from '../../src/config/trigger.js';
import { renderResilienceMap, writeResilienceMap } from '../../src/report/maps/resilience-map.js';
import type { CutRecording, FlashOpInfo } from '../../src/report/timeline/recording.js';
import { cutMoments } from '../../src/report/timeline/recording.js';
import { cutTimelineSvg } from '../../src/report/timeline/svg.js';
import { openRig } from '../../src/rig/open-rig.js';
import { runCut } from '../../src/scenario/cut.js';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import { render } from '../helpers/browser.js';

const RIG = 'rigs/twin-nrf9160-nrf52840-product.yaml';
const FROM = 'firmware/product-v1.tar';
const TO = 'firmware/product-v2.tar';

const dir = mkdtempSync(join(tmpdir(), 'hil-product-twin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One cut on the product twin, recorded as the rig session records it for the report. */
async function recordCut(trigger: string): Promise<{ rec: CutRecording; outcome: string }> {
  const config = await loadRig(RIG);
  const rig = await openRig(config);
  try {
    const scheme = await schemeAdapter(config.scheme);
    const images = { from: await loadUpdateImage(FROM, config.scheme), to: await loadUpdateImage(TO, config.scheme) };
    const flashOps: number[] = [];
    const info: FlashOpInfo[] = [];
    rig.marker!((op) => {
      flashOps.push(rig.clock.now());
      info.push({ ...(op?.mcu && { mcu: op.mcu }), ...(op?.memory && { memory: op.memory }) });
    });
    const result = await runCut(rig, scheme, images, { trigger: parseTrigger(trigger), offMs: 200, seed: 1 });
    const rec: CutRecording = {
      events: [...rig.timeline.events],
      lines: rig.console.lines.map((l) => ({ t: l.t, text: l.text })),
      flashOps,
      flashOpInfo: info,
      members: Object.keys(rig.mcus ?? {}),
    };
    return { rec, outcome: result.outcome };
  } finally {
    await rig.close();
  }
}

describe('the product timeline of a real twin cut', () => {
  it("draws a cut in the radio's swap with both processors' lanes, the lock, the link and the shared flash by both", async () => {
    const { rec, outcome } = await recordCut('marker:450');
    expect(['updated', 'rolled-back']).toContain(outcome);
    const fire = cutMoments(rec).fire!;
    expect(Object.keys(fire.devicePhases ?? {}).sort()).toEqual(['host', 'radio']);
    expect(fire.devicePhases!.radio).toMatch(/swap/);

    const path = join(dir, 'product-cut.svg');
    writeFileSync(path, cutTimelineSvg(rec, { heading: `${RIG}: marker:450 -> ${outcome}` }));
    const page = await render(path, {
      select: {
        lanes: '.lane',
        hostPhases: '.lane[data-lane="phase-host"] .band rect',
        radioPhases: '.lane[data-lane="phase-radio"] .band rect',
        lock: '.band.lock rect',
        links: '.link-msg',
        sharedByHost: '.lane[data-lane="flash-shared-flash"] path.tick.by-host',
        sharedByRadio: '.lane[data-lane="flash-shared-flash"] path.tick.by-radio',
        hostBanners: '.banner[data-member="host"]',
        radioBanners: '.banner[data-member="radio"]',
        cut: '.cut-line',
      },
      window: { width: 1100, height: 700 },
    });
    expect(page.parseError).toBeUndefined();
    expect(page.found.lanes!.map((l) => l.data.lane)).toEqual([
      'power',
      'updater',
      'phase-host',
      'phase-radio',
      'lock',
      'link',
      'flash-host-flash',
      'flash-radio-flash',
      'flash-shared-flash',
      'console-host',
      'console-radio',
    ]);
    for (const key of ['hostPhases', 'radioPhases', 'lock', 'links', 'sharedByHost', 'sharedByRadio', 'hostBanners', 'radioBanners', 'cut']) {
      expect([key, page.counts[key]! > 0]).toEqual([key, true]);
      for (const e of page.found[key]!) expect(e.box.width + e.box.height).toBeGreaterThan(0);
    }
    expect(page.found.radioPhases!.some((b) => /^radio: swap/.test(b.title ?? ''))).toBe(true);
    expect(page.found.lock!.some((b) => /host/.test(b.title ?? ''))).toBe(true);
    expect(page.found.links!.flatMap((l) => (l.title ?? '').split('\n')).some((t) => t.startsWith('host → radio: '))).toBe(true);
  });
});

describe('the product map of a real twin sweep', () => {
  it("names the processor and each one's phase at hand-picked points in the host's download, the radio's swap and the host's swap", async () => {
    const run = await runSweep(
      { rig: RIG, images: { from: FROM, to: TO }, seed: 1 },
      {
        workers: 0,
        points: [
          { op: 10, mode: 'before', seed: 1 },
          { op: 450, mode: 'torn', fraction: 0.5, seed: 1 },
          { op: 700, mode: 'after', seed: 1 },
        ],
      },
    );
    const mcus = new Set(run.ops.map((o) => o.mcu));
    expect([...mcus].sort()).toEqual(['host', 'radio']);
    // Judged by a safe set without `updated`, every point is drawn with its own mark and title.
    const svg = renderResilienceMap({ title: 'product points', ops: run.ops, results: run.results, safe: ['rolled-back'] });
    const page = await render(writeResilienceMap(dir, 'product points', svg), {
      select: { issuers: 'rect.band.issuer', hostRow: '.band.phase.member-host', radioRow: '.band.phase.member-radio', marks: '.mark.fail' },
    });
    expect(page.parseError).toBeUndefined();
    expect(page.counts.hostRow).toBeGreaterThan(1);
    expect(page.counts.radioRow).toBeGreaterThan(1);
    expect(new Set(page.found.issuers!.map((r) => r.data.member ?? r.title))).not.toEqual(new Set());
    const titles = page.found.marks!.map((m) => m.title ?? '');
    const ofOp = (op: number) => titles.find((t) => t.startsWith(`op ${op} `)) ?? '';
    expect(ofOp(10)).toMatch(/^op 10 \(by host; host: download radio, radio: /);
    expect(ofOp(450)).toMatch(/^op 450 \(by radio; radio: swap region \d+, host: /);
    expect(ofOp(700)).toMatch(/^op 700 \(by host; host: swap region \d+, radio: /);
  });
});
