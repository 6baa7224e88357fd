// A two-processor product's resilience map as a browser shows it (real headless Chromium): the row of
// the processor that issued each op in that processor's colour, a phase row per processor with every
// band and label laid out, failing marks on top naming processor and phase, and the same rows on the
// double-cut map.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productBands } from '../../src/report/maps/product-bands.js';
import { renderResilienceMap, writeResilienceMap, type MapResult } from '../../src/report/maps/resilience-map.js';
import { render, type RenderedPage } from '../helpers/browser.js';
import { productOps, productResults } from './resilience-map-product-fixture.js';

const HOST = 'rgb(21, 101, 192)';
const RADIO = 'rgb(230, 81, 0)';

const SELECT = {
  map: 'svg.resilience-map',
  issuer: 'rect.band.issuer',
  hostBands: '.band.phase.member-host',
  radioBands: '.band.phase.member-radio',
  hostLabels: '.band-label.phase.member-host',
  radioLabels: '.band-label.phase.member-radio',
  rowLabels: '.row-label',
  failing: '.mark.fail',
  windows: '.window',
};

const dir = mkdtempSync(join(tmpdir(), 'hil-product-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ops = productOps();
const results = productResults(ops);
const pb = productBands(ops)!;

function expectProductRows(page: RenderedPage): void {
  expect(page.parseError).toBeUndefined();
  expect(page.errors).toEqual([]);
  expect(page.counts.map).toBe(1);
  expect(page.found.issuer!.map((r) => r.fill)).toEqual([HOST, RADIO, HOST]);
  for (const r of page.found.issuer!) expect(r.box.width).toBeGreaterThan(0);
  for (const [member, key, labels] of [
    ['host', 'hostBands', 'hostLabels'],
    ['radio', 'radioBands', 'radioLabels'],
  ] as const) {
    const row = pb.rows.find((r) => r.member === member)!;
    expect(page.counts[key]).toBe(row.bands.length);
    for (const b of page.found[key]!) {
      expect(b.box.width).toBeGreaterThan(0);
      expect(b.title).toMatch(new RegExp(`^${member}: .*: ops? \\d+`));
    }
    // Every band's label is written, inside its band or called out above the row, and visible.
    expect(page.found[labels]!.map((l) => l.text).sort()).toEqual(row.bands.map((b) => b.label).sort());
    for (const l of page.found[labels]!) {
      expect(l.box.width).toBeGreaterThan(0);
      expect(l.visibility).toBe('visible');
    }
  }
  // The rows sit one under the other: issuer, host phase, radio phase.
  const rowY = (text: string) => page.found.rowLabels!.find((l) => l.text === text)!.box.y;
  expect(rowY('op issued by')).toBeLessThan(rowY('host phase'));
  expect(rowY('host phase')).toBeLessThan(rowY('radio phase'));
}

describe("a product's resilience map in headless Chromium", () => {
  it('shows who issued each op, both processors’ phases, and failing marks on top naming processor and phase', async () => {
    const page = await render(writeResilienceMap(dir, 'product every-op', renderResilienceMap({ title: 'product every-op', ops, results })), { select: SELECT });
    expectProductRows(page);
    expect(page.counts.failing).toBe(24);
    for (const m of page.found.failing!) {
      expect(m.title).toMatch(new RegExp(`^op ${m.data.op} \\(by radio; radio: swap region 2, host: wait radio\\) ${m.data.mode}`));
      expect(m.box.width).toBeGreaterThanOrEqual(3);
      expect(m.onTop || /\bfail\b/.test(m.atCentre ?? '')).toBe(true);
    }
    expect(page.found.windows![0]!.title).toContain('(radio: swap region 2)');
  });

  it('keeps the double-cut map working with the same rows', async () => {
    const double: MapResult[] = [...results.slice(0, 30), ...results.slice(200, 260).map((r, i) => ({ ...r, point: { ...r.point, second: { op: i % 20, mode: 'before' as const } } }))];
    const page = await render(writeResilienceMap(dir, 'product double', renderResilienceMap({ title: 'product double', ops, results: double, double: { secondOps: 20 } })), { select: SELECT });
    expectProductRows(page);
    expect(page.counts.failing).toBeGreaterThan(0);
    for (const m of page.found.failing!) expect(m.title).toMatch(/^first cut op \d+ \w+( at \d+ %)? \(by radio; radio: swap region 2, host: wait radio\), second cut op \d+/);
  });
});
