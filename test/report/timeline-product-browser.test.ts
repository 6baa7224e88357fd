// A product's cut timeline as a browser shows it (real headless Chromium, test/helpers/browser.ts):
// every lane laid out with its label, both processors' phase bands, the lock's holders in their
// colours, the link's arrows both ways with their words, the shared flash's ops in two colours (one
// per processor), each console's banners visible, and the cut line drawn over all of them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutTimelineSvg } from '../../src/report/timeline/svg.js';
import { render, type RenderedPage } from '../helpers/browser.js';
import { productRecording } from './timeline-product-fixture.js';

const HOST = 'rgb(21, 101, 192)';
const RADIO = 'rgb(230, 81, 0)';

const SELECT = {
  svg: 'svg.cut-timeline.product',
  lanes: '.lane',
  labels: '.lane-label',
  hostPhases: '.lane[data-lane="phase-host"] .band rect',
  radioPhases: '.lane[data-lane="phase-radio"] .band rect',
  lock: '.band.lock rect',
  links: '.link-msg',
  sharedTicks: '.lane[data-lane="flash-shared-flash"] path.tick',
  internalTicks: '.lane[data-lane$="-flash"]:not([data-lane="flash-shared-flash"]) path.tick',
  banners: '.banner rect',
  bannerLabels: '.banner-label',
  cut: '.cut-line',
  swatches: '.member-swatch rect',
  conflicts: '.bus-conflict path',
};

let page: RenderedPage;
const dir = mkdtempSync(join(tmpdir(), 'hil-product-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const path = join(dir, 'product-cut.svg');
  writeFileSync(path, cutTimelineSvg(productRecording(), { heading: 'twin-nrf9160-nrf52840-product: marker:122 -> updated' }));
  page = await render(path, { select: SELECT, window: { width: 1100, height: 700 } });
});

describe("a product's cut timeline in headless Chromium", () => {
  it('lays out every lane with its label, one picture, no parse error', () => {
    expect(page.parseError).toBeUndefined();
    expect(page.errors).toEqual([]);
    expect(page.counts.svg).toBe(1);
    expect(page.found.labels!.map((l) => l.text)).toEqual([
      'power',
      'update phase',
      'host phase',
      'radio phase',
      'bus lock held by',
      'link host ↔ radio',
      'host flash ops',
      'radio flash ops',
      'shared-flash ops',
      'host console',
      'radio console',
    ]);
    const lanes = page.found.lanes!;
    for (const [i, lane] of lanes.entries()) {
      expect(lane.box.width).toBeGreaterThan(800);
      if (i > 0) expect(lane.box.y).toBeGreaterThanOrEqual(lanes[i - 1]!.box.y + lanes[i - 1]!.box.height);
    }
    expect(page.found.swatches!.map((s) => s.fill)).toEqual([HOST, RADIO]);
  });

  it("shows both processors' phases, the lock held by each in its colour, and a bus conflict in red on top", () => {
    for (const key of ['hostPhases', 'radioPhases'] as const) {
      expect(page.counts[key]).toBeGreaterThan(3);
      for (const b of page.found[key]!) expect(b.box.width).toBeGreaterThan(0);
    }
    expect(page.found.radioPhases!.map((b) => b.title)).toContain('radio: swap idx 1 state 0: 520.000 ms to 700.000 ms');
    expect(page.found.lock!.map((b) => [b.fill, b.title])).toEqual([
      [HOST, 'lock held by host: 20.000 ms to 480.000 ms'],
      [RADIO, 'lock held by radio: 520.000 ms to 700.000 ms'],
      [RADIO, 'lock held by radio: 910.000 ms to 1300.000 ms'],
    ]);
    const conflict = page.found.conflicts![0]!;
    expect(page.counts.conflicts).toBe(1);
    expect(conflict.stroke).toBe('rgb(213, 0, 0)');
    expect(conflict.box.width).toBeGreaterThan(5);
    expect(conflict.onTop).toBe(true);
  });

  it("draws the link's messages both ways, visible, their words on hover", () => {
    const links = page.found.links!;
    expect(links.map((l) => [l.data.from, l.data.to])).toEqual([
      ['host', 'radio'],
      ['radio', 'host'],
      ['radio', 'host'],
      ['host', 'radio'],
    ]);
    for (const l of links) {
      expect(l.box.height).toBeGreaterThan(10);
      expect(l.visibility).toBe('visible');
    }
    expect(links[0]!.title).toBe('host → radio: dfu ready 24576 9f86d081884c7d65 (505.000 ms)');
    // A reply a moment later stays apart from the message it answers.
    expect(links[1]!.box.x).toBeGreaterThan(links[0]!.box.x);
  });

  it('colours the shared flash by the processor that issued each op; internal flashes in their owner colour', () => {
    expect(page.found.sharedTicks!.map((t) => [t.stroke, t.title])).toEqual([
      [HOST, '92 flash ops by host in shared-flash'],
      [RADIO, '47 flash ops by radio in shared-flash'],
    ]);
    expect(page.found.internalTicks!.map((t) => t.stroke)).toEqual([HOST, RADIO]);
    for (const t of [...page.found.sharedTicks!, ...page.found.internalTicks!]) expect(t.box.width).toBeGreaterThan(0);
  });

  it("marks each console's banners, and writes them out where there is room", () => {
    const banners = page.found.banners!;
    expect(banners.filter((b) => b.fill === HOST)).toHaveLength(6);
    expect(banners.filter((b) => b.fill === RADIO)).toHaveLength(3);
    for (const b of banners) expect(b.box.height).toBeGreaterThan(15);
    expect(page.found.bannerLabels!.map((l) => l.text)).toContain('I: Starting bootloader');
  });

  it('stays well-formed with hostile processor names and link text (quotes, markup, control characters)', async () => {
    const evil = 'ra"dio <b>&';
    const rec = productRecording();
    const rename = (v: unknown) => (v === 'radio' ? evil : v);
    const events = rec.events.map((e) => (e.data ? { ...e, data: Object.fromEntries(Object.entries(e.data).map(([k, v]) => [k, rename(v)])) } : e));
    events.push({ t: 1507, source: 'twin', kind: 'link', detail: '</title><script>x</script>\u0001', data: { from: 'host', to: evil } });
    events.push({ t: 1508, source: 'twin', kind: 'link', detail: 'no ends' });
    const path = join(dir, 'evil.svg');
    writeFileSync(
      path,
      cutTimelineSvg({
        ...rec,
        events: events.sort((a, b) => a.t - b.t),
        members: ['host', evil],
        flashOpInfo: rec.flashOpInfo!.map((o) => ({ ...o, mcu: rename(o.mcu) as string, memory: o.memory === 'radio-flash' ? `${evil}-flash` : o.memory! })),
        lines: rec.lines.map((l) => ({ ...l, text: l.text.replace(/^radio\|/, `${evil}|`) })),
      }),
    );
    const evilPage = await render(path, { select: { lanes: '.lane', links: '.link-msg', scripts: 'svg script, svg b', labels: '.lane-label' } });
    expect(evilPage.parseError).toBeUndefined();
    expect(evilPage.counts.scripts).toBe(0);
    expect(evilPage.counts.lanes).toBe(11);
    expect(evilPage.found.labels!.map((l) => l.text)).toContain(`${evil} phase`);
    // Messages a moment apart share one arrow: its title lists them a line each.
    const said = evilPage.found.links!.flatMap((l) => (l.title ?? '').split('\n'));
    expect(said).toContain(`host → ${evil}: </title><script>x</script>\ufffd (507.000 ms)`);
    expect(said).toContain('? → ?: no ends (508.000 ms)');
  });

  it('draws the cut line over every lane', () => {
    const cut = page.found.cut![0]!;
    const lanes = page.found.lanes!;
    expect(cut.box.y).toBeLessThanOrEqual(lanes[0]!.box.y);
    expect(cut.box.y + cut.box.height).toBeGreaterThanOrEqual(lanes.at(-1)!.box.y + lanes.at(-1)!.box.height);
  });
});
