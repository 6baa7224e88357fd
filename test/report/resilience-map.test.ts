import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Outcome } from '../../src/config/vocabulary.js';
import type { MapOp, MapResult } from '../../src/report/maps/resilience-map.js';
import { mapFileName, renderResilienceMap, writeResilienceMap } from '../../src/report/maps/resilience-map.js';
import { MAX_SAFE_MARKS } from '../../src/report/maps/bins.js';
import { MAX_BANDS, phaseBands, phaseLabel, stageBands } from '../../src/report/maps/phase-bands.js';
import { renderTimeMap } from '../../src/signoff/time-map.js';

/** Ops shaped like the SFU twin's update: erase B, write B page by page, sign B. */
function sfuOps(): MapOp[] {
  const ops: MapOp[] = [];
  for (let i = 0; i < 4; i++) ops.push({ index: ops.length, kind: 'erase', target: 'flash', phase: 'erase B', stage: 'update' });
  for (let i = 0; i < 640; i++) ops.push({ index: ops.length, kind: 'program', target: 'flash', phase: 'write B', stage: 'update' });
  ops.push({ index: ops.length, kind: 'program', target: 'flash', phase: 'sign B', stage: 'update' });
  return ops;
}

/** Every op in every mode, safe; `failing` overrides some points' outcomes. */
function everyOp(ops: readonly MapOp[], failing: Record<string, Outcome> = {}): MapResult[] {
  const results: MapResult[] = [];
  for (const op of ops)
    for (const mode of ['before', 'after', 'torn'] as const) {
      const outcome = failing[`${op.index}/${mode}`] ?? (op.index === ops.length - 1 && mode !== 'before' ? 'updated' : 'rolled-back');
      results.push({ point: { op: op.index, mode, seed: op.index, ...(mode === 'torn' && { fraction: (op.index % 10) / 10 + 0.05 }) }, outcome, reasons: outcome === 'bricked' ? ['no banner'] : [] });
    }
  return results;
}

/** Every element of a class (`<rect class="mark fail ...">`): its attributes and its title. */
function elements(svg: string, cls: string): { attrs: Record<string, string>; title?: string }[] {
  const out: { attrs: Record<string, string>; title?: string }[] = [];
  const re = /<(rect|text|g|line)\s([^>]*?)(\/?)>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    if (!(attrs.class ?? '').split(' ').includes(cls)) continue;
    const t = m[3] ? undefined : /^<title>([^<]*)<\/title>/.exec(svg.slice(re.lastIndex))?.[1];
    out.push({ attrs, ...(t !== undefined && { title: t }) });
  }
  return out;
}

describe('phase bands from the op log', () => {
  it('merges runs of the same phase into a few labelled bands (SFU: erase, write, sign)', () => {
    const bands = phaseBands(sfuOps());
    expect(bands.map((b) => [b.label, b.from, b.to])).toEqual([
      ['erase B', 0, 3],
      ['write B', 4, 643],
      ['sign B', 644, 644],
    ]);
  });

  it("names MCUboot's swap steps by region, and ops with no phase by what they do", () => {
    expect(phaseLabel({ index: 0, kind: 'erase', phase: 'swap idx 3 state 2' })).toBe('swap region 3');
    expect(phaseLabel({ index: 0, kind: 'erase', phase: 'revert idx 1 state 3' })).toBe('revert region 1');
    expect(phaseLabel({ index: 0, kind: 'erase' })).toBe('erase');
    expect(phaseLabel({ index: 0, kind: 'program' })).toBe('write');
    expect(phaseLabel({ index: 0, kind: 'program', target: 'options' })).toBe('option bytes');
    const ops: MapOp[] = [];
    for (const [phase, n] of [
      ['swap idx 1 state 1', 30],
      ['swap idx 1 state 2', 120],
      ['swap idx 1 state 3', 121],
      ['swap idx 2 state 1', 13],
      ['swap idx 2 state 3', 14],
      ['confirm image_ok', 1],
    ] as const)
      for (let i = 0; i < n; i++) ops.push({ index: ops.length, kind: i % 2 ? 'program' : 'erase', phase, stage: 'reboot' });
    expect(phaseBands(ops).map((b) => b.label)).toEqual(['swap region 1', 'swap region 2', 'confirm image_ok']);
  });

  it('keeps a 1,000-op sweep whose phases alternate to a handful of bands, every op covered once', () => {
    const ops: MapOp[] = [];
    for (let s = 0; s < 250; s++) {
      ops.push({ index: ops.length, kind: 'erase', phase: `erase sector ${s}` });
      for (let i = 0; i < 3; i++) ops.push({ index: ops.length, kind: 'program', phase: `write sector ${s}` });
    }
    ops.push({ index: ops.length, kind: 'program', phase: 'commit' });
    const bands = phaseBands(ops);
    expect(bands.length).toBeLessThanOrEqual(MAX_BANDS);
    expect(bands[0]!.from).toBe(0);
    expect(bands.at(-1)!.to).toBe(ops.length - 1);
    for (let i = 1; i < bands.length; i++) expect(bands[i]!.from).toBe(bands[i - 1]!.to + 1);
    // Every original phase is still named in some band's parts (the band titles).
    expect(new Set(bands.flatMap((b) => b.parts)).size).toBe(501);
  });

  it('splits the host stages (STM32: the commit goes on after the host saw the update end)', () => {
    const ops: MapOp[] = [
      { index: 0, kind: 'program', phase: 'commit bank2', stage: 'update' },
      { index: 1, kind: 'program', phase: 'commit bank2', stage: 'reboot' },
      { index: 2, kind: 'program', target: 'options', phase: 'bfb2 set for bank2', stage: 'reboot' },
    ];
    expect(stageBands(ops).map((b) => [b.label, b.from, b.to])).toEqual([
      ['update', 0, 0],
      ['reboot', 1, 2],
    ]);
    expect(phaseBands(ops).map((b) => b.label)).toEqual(['commit bank2', 'bfb2 set for bank2']);
  });
});

describe('the map title', () => {
  it('a title too long for the map is cut with an ellipsis, the whole of it kept as the element title', () => {
    const long = `twin-nrf52840-mcuboot (correct) every-op sweep: ${'a-very-long-image-name-'.repeat(6)}v1.signed.bin -> v2.signed.bin`;
    const svg = renderResilienceMap({ title: long, ops: [], results: [] });
    const m = /<text class="map-title"[^>]*><title>([^<]*)<\/title>([^<]*)<\/text>/.exec(svg);
    expect(m?.[1]).toBe(long.replace('>', '&gt;'));
    expect(m![2]!.endsWith('\u2026')).toBe(true);
    expect(m![2]!.length).toBeLessThan(long.length);
    // A short one stays as it is, with no title child.
    expect(renderResilienceMap({ title: 'twin-rp2040-sfu v1 -> v2', ops: [], results: [] })).toContain('font-weight="bold">twin-rp2040-sfu v1 -&gt; v2</text>');
  });
});

describe('renderResilienceMap (one-dimensional)', () => {
  const ops = sfuOps();
  const results = everyOp(ops, { '644/before': 'bricked', '644/torn': 'bricked', '643/after': 'waiting' });
  const svg = renderResilienceMap({ title: 'twin-rp2040-sfu v1 -> v2', ops, results });

  it('is a standalone SVG document with an accessible title and description', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<title id="map-title">twin-rp2040-sfu v1 -&gt; v2</title>');
    expect(svg).toMatch(/<desc id="map-desc">645 flash ops, 1,935 cut points: 3 failing \(waiting x1, bricked x2\) in 1 window: ops 643-644<\/desc>/);
  });

  it('draws the phases and stages as labelled bands with titles', () => {
    const bands = elements(svg, 'band');
    expect(bands.filter((b) => b.attrs.class!.includes('phase')).map((b) => b.title)).toEqual(['erase B: ops 0-3', 'write B: ops 4-643', 'sign B: op 644']);
    expect(bands.filter((b) => b.attrs.class!.includes('stage')).map((b) => b.title)).toEqual(['stage update: ops 0-644']);
    const labels = [...svg.matchAll(/<text class="band-label phase"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels.sort()).toEqual(['erase B', 'sign B', 'write B']);
  });

  it('has one mark per cut point, failing marks after every safe mark, wide enough to see, with a title', () => {
    const marks = elements(svg, 'mark');
    expect(marks).toHaveLength(results.length);
    const fail = elements(svg, 'fail');
    expect(fail.map((m) => [m.attrs['data-op'], m.attrs['data-mode'], m.attrs.class])).toEqual([
      ['644', 'before', 'mark fail o-bricked'],
      ['643', 'after', 'mark fail o-waiting'],
      ['644', 'torn', 'mark fail o-bricked'],
    ]);
    for (const m of fail) expect(Number(m.attrs.width)).toBeGreaterThanOrEqual(3);
    expect(fail[0]!.title).toBe('op 644 (sign B) before: bricked - no banner');
    expect(fail[2]!.title).toMatch(/^op 644 \(sign B\) torn at \d+ %: bricked/);
    expect(svg.lastIndexOf('class="mark"')).toBeLessThan(svg.indexOf('class="mark fail'));
  });

  it('puts each mode in its own row and each mark inside its op column', () => {
    const rows = [...svg.matchAll(/<text class="row-label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(rows).toEqual(['stage', 'phase', 'failing ops (1)', 'before op', 'after op', 'torn in op']);
    const safe = elements(svg, 'mark').filter((m) => !m.attrs.class!.includes('fail'));
    const ys = new Set(safe.filter((m) => Number(m.attrs.height) > 10).map((m) => m.attrs.y));
    expect(ys.size).toBe(2); // before and after rows
    // Torn marks sit as deep in their row as the cut went into the op.
    const torn = (op: number) => Number(safe.find((m) => Number(m.attrs.height) === 6 && Math.abs(Number(m.attrs.x) - (130 + (op + 0.5) * (1046 / 645))) < 2)!.attrs.y);
    expect(torn(9)).toBeGreaterThan(torn(0)); // fraction 0.95 vs 0.05
  });

  it('has a legend with the count of every outcome seen', () => {
    const items = elements(svg, 'legend-item').map((i) => [i.attrs['data-outcome'], Number(i.attrs['data-count'])]);
    expect(items).toEqual([
      ['updated', 1],
      ['rolled-back', 1931],
      ['waiting', 1],
      ['bricked', 2],
    ]);
  });

  it('shows the vulnerable window across the rows even when 3 failing points hide among 3,000', () => {
    const big: MapOp[] = Array.from({ length: 1000 }, (_, i) => ({ index: i, kind: 'program', phase: i < 500 ? 'write' : 'commit', stage: 'update' }));
    const many = everyOp(big, { '700/before': 'bricked', '700/torn': 'wrong-image', '701/after': 'boot-loop' });
    expect(many).toHaveLength(3000);
    const map = renderResilienceMap({ title: 'three in three thousand', ops: big, results: many });
    const windows = elements(map, 'window');
    expect(windows).toHaveLength(1);
    expect(windows[0]!.title).toBe('vulnerable window ops 700-701 (commit): 3 failing points, bricked x1, wrong-image x1, boot-loop x1');
    expect(Number(windows[0]!.attrs.width)).toBeGreaterThanOrEqual(5);
    const fail = elements(map, 'fail');
    expect(fail).toHaveLength(3);
    // About a pixel per op here: the failing marks are still three pixels wide.
    for (const m of fail) expect(Number(m.attrs.width)).toBeGreaterThanOrEqual(3);
    expect(map).toContain('data-points="3000" data-failing="3"');
    expect(Buffer.byteLength(map)).toBeLessThan(300_000);
  });

  it('stays well under 1 MB at 5,000 points', () => {
    const big: MapOp[] = Array.from({ length: 1667 }, (_, i) => ({ index: i, kind: i % 7 ? 'program' : 'erase', phase: `swap idx ${1 + Math.floor(i / 400)} state 1`, stage: 'reboot' }));
    const map = renderResilienceMap({ title: '5k', ops: big, results: everyOp(big, { '3/before': 'bricked' }) });
    expect(elements(map, 'mark')).toHaveLength(5001);
    expect(Buffer.byteLength(map)).toBeLessThan(500_000);
  });

  it('bins safe marks past MAX_SAFE_MARKS points (each failing point keeps its own mark), so a huge sweep stays a small file', () => {
    const big: MapOp[] = Array.from({ length: 2000 }, (_, i) => ({ index: i, kind: 'program', phase: i < 1000 ? 'write B' : 'commit', stage: 'update' }));
    const results: MapResult[] = [];
    for (const op of big) {
      results.push({ point: { op: op.index, mode: 'before', seed: 1 }, outcome: 'rolled-back' }, { point: { op: op.index, mode: 'after', seed: 1 }, outcome: 'rolled-back' });
      for (let f = 0; f < 8; f++) results.push({ point: { op: op.index, mode: 'torn', fraction: (f + 0.5) / 8, seed: f }, outcome: op.index === 1500 && f === 3 ? 'bricked' : 'updated' });
    }
    expect(results.length).toBeGreaterThan(MAX_SAFE_MARKS);
    const map = renderResilienceMap({ title: '20,000 points', ops: big, results });
    const bins = elements(map, 'bin');
    expect(bins.length).toBeGreaterThan(0);
    expect(bins.length).toBeLessThanOrEqual(MAX_SAFE_MARKS);
    expect(bins.reduce((a, b) => a + Number(b.attrs['data-count']), 0)).toBe(results.length - 1);
    expect(elements(map, 'fail').map((m) => [m.attrs['data-op'], m.attrs['data-mode']])).toEqual([['1500', 'torn']]);
    expect(map).toContain('(drawn per ');
    expect(Buffer.byteLength(map)).toBeLessThan(1_000_000);
    // Below the limit: one mark per point.
    expect(elements(renderResilienceMap({ title: 'small', ops: big, results: results.slice(0, 9000) }), 'bin')).toHaveLength(0);
  });

  it('escapes every label, title and reason, and drops characters XML cannot carry', () => {
    const evil: MapOp[] = [{ index: 0, kind: 'erase', phase: '<script>alert("x")</script>&\u0001', stage: 'up"date' }];
    const map = renderResilienceMap({
      title: 'rig <b>&"\'',
      ops: evil,
      results: [{ point: { op: 0, mode: 'before', seed: 1 }, outcome: 'bricked', reasons: ['console: </title><script>x</script>'] }],
    });
    expect(map).not.toMatch(/<script|<b>|<\/title><script/);
    expect(map).not.toContain('\u0001');
    expect(map).toContain('rig &lt;b&gt;&amp;&quot;&#39;');
    expect(map).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;\ufffd');
    expect(map).toContain('console: &lt;/title&gt;&lt;script&gt;x&lt;/script&gt;');
    // Every tag the map opens, it closes.
    const open = (map.match(/<(g|rect|text|title)[\s>]/g) ?? []).length - (map.match(/<rect[^>]*\/>/g) ?? []).length;
    expect(open).toBe((map.match(/<\/(g|rect|text|title)>/g) ?? []).length);
  });

  it('says there are no cut points rather than drawing empty rows', () => {
    const map = renderResilienceMap({ title: 'empty', ops: sfuOps(), results: [] });
    expect(map).toContain('no cut points');
    expect(elements(map, 'mark')).toHaveLength(0);
  });
});

describe('renderResilienceMap (double cuts)', () => {
  const ops: MapOp[] = Array.from({ length: 20 }, (_, i) => ({ index: i, kind: 'program', phase: i < 10 ? 'write B' : 'sign B', stage: 'update' }));
  const results: MapResult[] = [];
  for (let a = 0; a < 20; a++)
    for (let b = 0; b < 12; b++)
      results.push({ point: { op: a, mode: 'before', seed: 1, second: { op: b, mode: 'after', seed: 2 } }, outcome: a === 15 && b === 4 ? 'bricked' : 'updated', reasons: [] });
  results.push({ point: { op: 3, mode: 'torn', fraction: 0.5, seed: 3 }, outcome: 'rolled-back', reasons: [] });
  const svg = renderResilienceMap({ title: 'double <cuts>', ops, results });

  it('draws a grid of first cut op x second cut op, one cell per point, failing cells on top', () => {
    expect(svg).toContain('double cuts over 20 flash ops: 241 points, 1 failing (bricked x1), first cut in op 15');
    expect(elements(svg, 'mark')).toHaveLength(241);
    const fail = elements(svg, 'fail');
    expect(fail).toHaveLength(1);
    expect(fail[0]!.attrs['data-op']).toBe('15');
    expect(fail[0]!.attrs['data-second-op']).toBe('4');
    expect(fail[0]!.title).toBe('first cut op 15 before, second cut op 4 after of the recovery: bricked');
    expect(Number(fail[0]!.attrs.width)).toBeGreaterThanOrEqual(4);
    expect(Number(fail[0]!.attrs.height)).toBeGreaterThanOrEqual(4);
    expect(elements(svg, 'grid')).toHaveLength(1);
    expect(elements(svg, 'window')[0]!.title).toBe('first cut op 15: 1 failing point, bricked x1');
    expect(svg).toContain('first cut only');
    expect(elements(svg, 'band').map((b) => b.title)).toEqual(['write B: ops 0-9', 'sign B: ops 10-19']);
  });

  it('bins the safe cells of a double sweep of 100,000 points', () => {
    const many: MapResult[] = [];
    for (let a = 0; a < 400; a++)
      for (let b = 0; b < 250; b++) many.push({ point: { op: a % 20, mode: 'after', seed: a, second: { op: b, mode: 'before', seed: a } }, outcome: a === 7 && b === 100 ? 'wrong-image' : 'updated' });
    const map = renderResilienceMap({ title: 'big double', ops, results: many });
    const bins = elements(map, 'bin');
    expect(bins.reduce((a, b) => a + Number(b.attrs['data-count']), 0)).toBe(many.length - 1);
    expect(elements(map, 'fail')).toHaveLength(1);
    expect(Buffer.byteLength(map)).toBeLessThan(1_000_000);
  });

  it('is drawn on request, and cells of a later second op sit lower', () => {
    const forced = renderResilienceMap({ title: 'd', ops, results: results.slice(0, 240), double: { secondOps: 30 } });
    const cells = elements(forced, 'mark');
    expect(cells).toHaveLength(240);
    const y = (i: number) => Number(cells[i]!.attrs.y);
    expect(y(11)).toBeGreaterThan(y(0));
  });
});

describe('writeResilienceMap', () => {
  const root = mkdtempSync(join(tmpdir(), 'hil-map-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes <dir>/<safe name>.svg, creating the directory, and returns the path', () => {
    const dir = join(root, 'reports', 'maps');
    const path = writeResilienceMap(dir, 'twin-nrf52840-mcuboot every-op', '<svg/>');
    expect(path).toBe(join(dir, 'twin-nrf52840-mcuboot-every-op.svg'));
    expect(readFileSync(path, 'utf8')).toBe('<svg/>');
  });

  it('never leaves the directory or makes a hidden or option-like name', () => {
    expect(mapFileName('../../etc/passwd')).toBe('etc-passwd.svg');
    expect(mapFileName('.hidden')).toBe('hidden.svg');
    expect(mapFileName('--rm -rf')).toBe('rm-rf.svg');
    expect(mapFileName('a map.svg')).toBe('a-map.svg');
    expect(mapFileName('')).toBe('map.svg');
    expect(mapFileName('/')).toBe('map.svg');
    expect(mapFileName('x'.repeat(500))).toHaveLength(124);
    const path = writeResilienceMap(join(root, 'm'), '../escape', '<svg/>');
    expect(dirname(path)).toBe(join(root, 'm'));
    expect(existsSync(join(root, 'escape.svg'))).toBe(false);
  });
});

describe("a map judged by the suite's safe set and its known weaknesses", () => {
  const ops = sfuOps();

  it("draws no failing mark and no window for waiting points when the suite's expect.safe lists waiting", () => {
    const results = everyOp(ops, { '100/torn': 'waiting', '101/before': 'waiting', '644/before': 'bricked' });
    const byDefault = renderResilienceMap({ title: 'default', ops, results });
    expect(elements(byDefault, 'fail').map((m) => m.attrs.class)).toEqual(['mark fail o-waiting', 'mark fail o-bricked', 'mark fail o-waiting']);
    const map = renderResilienceMap({ title: 'waiting is safe', ops, results, safe: ['updated', 'rolled-back', 'waiting'] });
    expect(elements(map, 'fail').map((m) => [m.attrs['data-op'], m.attrs.class])).toEqual([['644', 'mark fail o-bricked']]);
    expect(elements(map, 'window').map((w) => w.title)).toEqual(['vulnerable window op 644 (sign B): 1 failing point, bricked x1']);
    expect(map).toContain('data-points="1935" data-failing="1"');
    // The waiting points are safe marks in their own group, and the legend calls them safe (not bold).
    expect(elements(map, 'safe').map((g) => g.attrs.class)).toContain('marks safe o-waiting');
    const legendWaiting =
      /<g class="legend-item" data-outcome="waiting" data-count="2"><title>waiting: 2 cut points \(safe\)<\/title><rect [^>]*fill="(#[0-9a-f]{6})"\/><text [^>]*>waiting 2<\/text>/.exec(map);
    expect(legendWaiting).not.toBeNull();
    // Paled: a safe outcome must not draw the eye as a loud one does.
    expect(legendWaiting![1]).not.toBe('#ff8c00');
    expect(map).toContain(`.o-waiting{fill:${legendWaiting![1]}}`);
    expect(map).toMatch(/<desc id="map-desc">645 flash ops, 1,935 cut points: 1 failing \(bricked x1\) in 1 window: op 644<\/desc>/);
  });

  it('with a safe set of updated only, rolled-back points fail', () => {
    // The last op's after and torn points end updated, the other seven rolled back.
    const three = ops.slice(0, 3);
    const map = renderResilienceMap({ title: 'updated only', ops: three, results: everyOp(three), safe: ['updated'] });
    expect(elements(map, 'fail')).toHaveLength(7);
    expect(map).toMatch(/font-weight="bold">rolled-back 7<\/text>/);
  });

  it('draws known points as known weaknesses: their own marks, legend item and count, never failing, never a window', () => {
    const results = everyOp(ops, { '300/torn': 'boot-loop', '301/torn': 'boot-loop', '644/before': 'bricked' }).map((r) =>
      r.outcome === 'boot-loop' ? { ...r, known: 'torn copy_done write (mcuboot#1966)' } : r,
    );
    const map = renderResilienceMap({ title: 'known', ops, results });
    const known = elements(map, 'known').filter((k) => k.attrs.class!.startsWith('mark known'));
    expect(known.map((k) => [k.attrs['data-op'], k.attrs.class])).toEqual([
      ['300', 'mark known o-boot-loop'],
      ['301', 'mark known o-boot-loop'],
    ]);
    expect(known[0]!.title).toMatch(/^op 300 \(write B\) torn at \d+ %: boot-loop, known weakness \(torn copy_done write \(mcuboot#1966\)\)$/);
    for (const k of known) expect(Number(k.attrs.width)).toBeGreaterThanOrEqual(3);
    expect(elements(map, 'fail').map((m) => m.attrs['data-op'])).toEqual(['644']);
    expect(elements(map, 'window')).toHaveLength(1);
    expect(map).toContain('data-points="1935" data-failing="1" data-known="2"');
    // The legend counts each point once: boot-loop is not an outcome item, the known item has its count.
    const items = elements(map, 'legend-item').map((i) => [i.attrs['data-outcome'] ?? 'known', Number(i.attrs['data-count'] ?? i.attrs['data-known'])]);
    expect(items).toEqual([
      ['updated', 2],
      ['rolled-back', 1930],
      ['bricked', 1],
      ['known', 2],
    ]);
    expect(elements(map, 'swatch').some((s) => s.attrs.class === 'swatch known')).toBe(true);
    expect(map).toContain('.mark.known,.swatch.known{');
    expect(map).toContain('1 failing (bricked x1) in 1 window: op 644; 2 known weaknesses accepted (boot-loop x2)');
    expect(map).toContain('645 points, 2 known');
    // Known marks come after the safe marks and before the failing ones.
    expect(map.lastIndexOf('class="mark"')).toBeLessThan(map.indexOf('class="mark known'));
    expect(map.indexOf('class="mark known')).toBeLessThan(map.indexOf('class="mark fail'));
  });

  it('a point flagged known whose outcome is safe stays an ordinary safe mark', () => {
    const results = everyOp(ops.slice(0, 2)).map((r) => ({ ...r, known: true }));
    const map = renderResilienceMap({ title: 'k', ops: ops.slice(0, 2), results });
    expect(elements(map, 'known')).toHaveLength(0);
    expect(map).not.toContain('data-known');
  });

  it('the double map judges by the same safe set and draws known cells apart', () => {
    const dops: MapOp[] = Array.from({ length: 10 }, (_, i) => ({ index: i, kind: 'program', phase: 'write B', stage: 'update' }));
    const results: MapResult[] = [];
    for (let a = 0; a < 10; a++)
      for (let b = 0; b < 6; b++) {
        const outcome: Outcome = a === 2 ? 'waiting' : a === 5 && b === 1 ? 'boot-loop' : a === 7 && b === 3 ? 'bricked' : 'updated';
        results.push({ point: { op: a, mode: 'after', seed: 1, second: { op: b, mode: 'before', seed: 2 } }, outcome, ...(outcome === 'boot-loop' && { known: true }) });
      }
    const map = renderResilienceMap({ title: 'double', ops: dops, results, safe: ['updated', 'waiting'] });
    expect(elements(map, 'fail').map((m) => [m.attrs['data-op'], m.attrs['data-second-op']])).toEqual([['7', '3']]);
    const known = elements(map, 'known').filter((k) => k.attrs.class!.startsWith('mark known'));
    expect(known.map((k) => [k.attrs['data-op'], k.attrs['data-second-op']])).toEqual([['5', '1']]);
    expect(known[0]!.title).toBe('first cut op 5 after, second cut op 1 before of the recovery: boot-loop, known weakness');
    expect(elements(map, 'window').map((w) => w.title)).toEqual(['first cut op 7: 1 failing point, bricked x1']);
    expect(map).toContain('data-points="60" data-failing="1" data-known="1"');
    expect(map).toContain('1 failing (bricked x1), first cut in op 7; 1 known weakness accepted (boot-loop x1)');
  });
});

describe("the sign-off's time map (replay cells)", () => {
  it("judges by the sign-off's safe set, as the op maps do", () => {
    const marks = [
      { value: 100, text: 'after:100ms', outcome: 'waiting' as const },
      { value: 200, text: 'after:200ms', outcome: 'updated' as const },
      { value: 300, text: 'after:300ms', outcome: 'bricked' as const },
    ];
    const byDefault = renderTimeMap({ title: 't', axis: 'ms after the update started', marks });
    expect(elements(byDefault, 'fail').map((m) => m.attrs.class)).toEqual(['mark fail o-waiting', 'mark fail o-bricked']);
    const map = renderTimeMap({ title: 't', axis: 'ms after the update started', marks, safe: ['updated', 'rolled-back', 'waiting'] });
    expect(elements(map, 'fail').map((m) => m.attrs.class)).toEqual(['mark fail o-bricked']);
    expect(map).toContain('data-points="3" data-failing="1"');
    expect(map).toMatch(/waiting: 1 cut point \(safe\)/);
  });
});
