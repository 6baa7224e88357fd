// A two-processor product's resilience map (issue 13 item 5): which processor issued each op, a
// phase row per processor, and every failing mark and window naming the processor and phase its cut
// landed in; the double-cut map gets the same rows. An op log that names no processor is drawn as
// before (resilience-map.test.ts).
import { describe, expect, it } from '@jest/globals';
import { NO_PHASE, productBands } from '../../src/report/maps/product-bands.js';
import { renderResilienceMap, type MapOp } from '../../src/report/maps/resilience-map.js';
import { productOps, productResults } from './resilience-map-product-fixture.js';

const titles = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<rect class="${cls}"[^>]*><title>([^<]+)</title>`, 'g'))].map((m) => m[1]);

describe("a product's op log as band rows", () => {
  it('gives the issuing processor per op run and one phase row per processor', () => {
    const pb = productBands(productOps())!;
    expect(pb.members).toEqual(['host', 'radio']);
    expect(pb.issuer.map((b) => [b.label, b.from, b.to])).toEqual([
      ['host', 0, 59],
      ['radio', 60, 85],
      ['host', 86, 169],
    ]);
    expect(pb.rows.map((r) => [r.member, r.bands.map((b) => b.label)])).toEqual([
      ['host', ['download radio', 'wait radio', 'download host', 'swap region 1']],
      ['radio', ['app', 'swap region 1', 'swap region 2', 'confirm image_ok', 'app']],
    ]);
    expect(pb.issued.map((b) => b.label)).toEqual(['host: download radio', 'radio: swap region 1', 'radio: swap region 2', 'radio: confirm image_ok', 'host: download host', 'host: swap region 1']);
    expect(pb.where(75)).toBe('by radio; radio: swap region 2, host: wait radio');
    expect(pb.where(10)).toBe('by host; host: download radio, radio: app');
  });

  it("carries each processor's phase from its own last op when the log has no `phases`", () => {
    const ops: MapOp[] = productOps().map(({ phases: _, ...op }) => op);
    const pb = productBands(ops)!;
    expect(pb.rows.map((r) => [r.member, r.bands.map((b) => b.label)])).toEqual([
      ['host', ['download radio', 'download host', 'swap region 1']],
      ['radio', [NO_PHASE, 'swap region 1', 'swap region 2', 'confirm image_ok']],
    ]);
    expect(pb.where(75)).toBe('by radio; radio: swap region 2, host: download radio');
  });

  it("drops an app's progress count from its phase: one band for a download, not one per chunk", () => {
    const ops: MapOp[] = Array.from({ length: 40 }, (_, i) => ({
      index: i,
      kind: 'program',
      mcu: 'host',
      phase: `download radio ${(i + 1) * 500}/20000`,
      phases: { host: `download radio ${(i + 1) * 500}/20000` },
    }));
    expect(productBands(ops)!.rows[0]!.bands.map((b) => b.label)).toEqual(['download radio']);
  });

  it('is absent for an op log that names no processor', () => {
    expect(productBands(productOps().map(({ mcu: _, phases: __, ...op }) => op))).toBeUndefined();
  });
});

describe("a product's resilience map", () => {
  const ops = productOps();
  const results = productResults(ops);

  it('draws the issuer row, both phase rows labelled with their processor, and the stage row as before', () => {
    const svg = renderResilienceMap({ title: 'product every-op', ops, results });
    expect(titles(svg, 'band issuer')).toEqual(['ops 0-59 issued by host', 'ops 60-85 issued by radio', 'ops 86-169 issued by host']);
    expect(titles(svg, 'band phase member-host')).toEqual(['host: download radio: ops 0-59', 'host: wait radio: ops 60-85', 'host: download host: ops 86-145', 'host: swap region 1: ops 146-169']);
    expect(titles(svg, 'band phase member-radio')).toHaveLength(5);
    // The row's label names the processor; its bands say the phase.
    expect([...svg.matchAll(/<text class="band-label phase member-radio"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).toEqual(['app', 'swap region 1', 'swap region 2', 'confirm image_ok', 'app']);
    expect(svg).toContain('>host phase</text>');
    expect(svg).toContain('>radio phase</text>');
    expect(svg).toContain('>op issued by</text>');
    expect(titles(svg, 'band stage')).toEqual(['stage update: ops 0-145', 'stage reboot: ops 146-169']);
  });

  it('names the processor and phase of each failing cut, and of its window', () => {
    const svg = renderResilienceMap({ title: 'product every-op', ops, results });
    const failing = [...svg.matchAll(/<rect class="mark fail o-bricked" data-op="(\d+)" data-mode="(\w+)"[^>]*><title>([^<]+)<\/title>/g)];
    expect(failing).toHaveLength(24);
    expect(failing.find((m) => m[1] === '75' && m[2] === 'torn')![3]).toBe('op 75 (by radio; radio: swap region 2, host: wait radio) torn at 50 %: bricked - radio: no valid image in primary');
    expect(svg).toMatch(/<rect class="window" [^>]+><title>vulnerable window ops 72-83 \(radio: swap region 2\): 24 failing points, bricked x24<\/title>/);
    expect(svg).toContain('>170 flash ops (host 144, radio 26), 510 cut points: 24 failing (bricked x24) in 1 window: ops 72-83 (radio: swap region 2)</text>');
  });

  it('draws a log where both processors issue ops within one pixel column as striped columns, its size bounded by the width', () => {
    // The radio appends its log between every two of the host's ops: 20,000 runs of one op.
    const dense: MapOp[] = Array.from({ length: 20_000 }, (_, i) => ({
      index: i,
      kind: 'program',
      mcu: i % 2 ? 'radio' : 'host',
      phase: i % 2 ? 'log' : 'download radio',
      phases: { host: 'download radio', radio: 'log' },
    }));
    const svg = renderResilienceMap({ title: 'dense', ops: dense, results: [] });
    const issuers = titles(svg, 'band issuer');
    expect(issuers).toEqual(['ops 0-19999 issued by host and radio']);
    expect(svg).toContain('fill="url(#issuers-mixed)"');
    expect(svg).toMatch(/<pattern id="issuers-mixed" [^>]+><rect width="2" height="4" fill="#1565c0"\/><rect x="2" width="2" height="4" fill="#e65100"\/><\/pattern>/);
    expect(svg.length).toBeLessThan(30_000);
  });

  it("names a window by the issuing processor's own phase at its ops, even where the rows had to merge bands to fit", () => {
    // 40 host phases of 5 ops each: more than a row's bands, so the row merges them; the window is op 87's own.
    const many: MapOp[] = Array.from({ length: 200 }, (_, i) => ({ index: i, kind: 'program', mcu: 'host', phase: `step ${Math.floor(i / 5)}`, phases: { host: `step ${Math.floor(i / 5)}` } }));
    const svg = renderResilienceMap({ title: 'many phases', ops: many, results: [{ point: { op: 87, mode: 'before' }, outcome: 'bricked' }] });
    expect(productBands(many)!.rows[0]!.bands.length).toBeLessThan(40);
    expect(svg).toContain('in 1 window: op 87 (host: step 17)</text>');
    expect(svg).toContain('<title>op 87 (by host; host: step 17) before: bricked</title>');
  });

  it('keeps the double-cut map working, with the product rows and each cell naming where its first cut landed', () => {
    const double = [...results.slice(0, 30), ...results.slice(200, 260).map((r, i) => ({ ...r, point: { ...r.point, second: { op: i % 20, mode: 'before' as const } } }))];
    const svg = renderResilienceMap({ title: 'product double', ops, results: double, double: { secondOps: 20 } });
    expect(svg).toContain('>op issued by</text>');
    expect(titles(svg, 'band phase member-radio')).toHaveLength(5);
    const cell = /<rect class="mark fail o-bricked" data-op="(\d+)" data-mode="before" data-second-op="(\d+)"[^>]*><title>([^<]+)<\/title>/.exec(svg)!;
    expect(cell[3]).toMatch(new RegExp(`^first cut op ${cell[1]} before \\(by radio; radio: swap region 2, host: wait radio\\), second cut op ${cell[2]} before of the recovery: bricked`));
  });
});
