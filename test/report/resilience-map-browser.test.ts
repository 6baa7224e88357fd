/**
 * The resilience map as a browser shows it: a real headless Chromium (Debian's package; scripts/test.sh
 * installs it) renders maps written by writeResilienceMap, and the test asserts on the laid-out page:
 * the bands and their labels have a size, there is one mark per cut point, failing marks have their
 * outcome's colour, a visible box and are on top; judged by a suite's safe set, known weaknesses
 * (expect.known) are drawn apart, visible and outside every window.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Outcome } from '../../src/config/vocabulary.js';
import { OUTCOME_COLOURS, isFailing } from '../../src/report/maps/outcome-style.js';
import { phaseBands } from '../../src/report/maps/phase-bands.js';
import { renderResilienceMap, writeResilienceMap, type MapOp, type MapResult } from '../../src/report/maps/resilience-map.js';
import { runDoubleSweep } from '../../src/scenario/sweep/double.js';
import { runSweep, type SweepRun } from '../../src/scenario/sweep/engine.js';
import { render, type RenderedPage } from '../helpers/browser.js';

const SELECT = {
  map: 'svg.resilience-map',
  marks: '.mark',
  failing: '.mark.fail',
  known: '.mark.known',
  phaseBands: '.band.phase',
  stageBands: '.band.stage',
  bandLabels: '.band-label',
  windows: '.window',
  legend: '.legend-item',
};

const rgb = (hex: string) => `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;

const dir = mkdtempSync(join(tmpdir(), 'hil-map-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What every rendered map must show, whatever its sweep (judged by `safe`, the map's safe set). */
function expectReadable(page: RenderedPage, ops: readonly MapOp[], results: readonly MapResult[], safe?: readonly Outcome[]): void {
  const set = safe ? new Set(safe) : undefined;
  const isKnown = (r: MapResult) => r.known !== undefined && r.known !== false && isFailing(r.outcome, set);
  expect(page.parseError).toBeUndefined();
  expect(page.errors).toEqual([]);
  expect(page.counts.map).toBe(1);
  const map = page.found.map![0]!;
  expect(map.box.width).toBeGreaterThan(0);
  expect(map.box.height).toBeGreaterThan(0);

  // The bands and their labels are laid out, one label per band, with the expected text.
  const bands = phaseBands(ops);
  expect(page.counts.phaseBands).toBe(bands.length);
  for (const b of page.found.phaseBands!) {
    expect(b.box.width).toBeGreaterThan(0);
    expect(b.box.height).toBeGreaterThan(0);
    expect(b.title).toMatch(/: ops? \d+/);
  }
  // The one-dimensional map also shows the host's stages; the double map's x axis only the phases.
  if (!results.some((r) => r.point.second)) expect(page.counts.stageBands).toBeGreaterThan(0);
  const labels = page.found.bandLabels!.filter((l) => l.class.includes('phase'));
  expect(labels.map((l) => l.text).sort()).toEqual(bands.map((b) => b.label).sort());
  for (const l of page.found.bandLabels!) {
    expect(l.box.width).toBeGreaterThan(0);
    expect(l.box.height).toBeGreaterThan(0);
    expect(l.visibility).toBe('visible');
  }

  // One mark per point; every failing one in its outcome's colour, visible and on top.
  expect(page.counts.marks).toBe(results.length);
  const failing = results.filter((r) => isFailing(r.outcome, set) && !isKnown(r));
  expect(page.counts.failing).toBe(failing.length);
  expect(page.counts.known).toBe(results.filter(isKnown).length);
  for (const m of page.found.failing!) {
    const outcome = /o-([a-z-]+)/.exec(m.class)![1] as Outcome;
    expect(isFailing(outcome, set)).toBe(true);
    expect(m.fill).toBe(rgb(OUTCOME_COLOURS[outcome]));
    expect(m.box.width).toBeGreaterThanOrEqual(3);
    expect(m.box.height).toBeGreaterThan(0);
    expect(m.opacity).toBe(1);
    expect(m.display).not.toBe('none');
    // On top of every safe mark: what shows at its centre is itself, or another failing mark
    // (two failing cuts of one op and mode, such as two torn fractions, share a place).
    expect(m.onTop || /\bfail\b/.test(m.atCentre ?? '')).toBe(true);
  }
  if (failing.length) {
    expect(page.counts.windows).toBeGreaterThan(0);
    for (const w of page.found.windows!) expect(w.box.width).toBeGreaterThan(0);
  }
  // The legend counts (the known weaknesses' item with its own) add up to the points.
  expect(page.found.legend!.reduce((sum, l) => sum + Number(l.data.count ?? l.data.known), 0)).toBe(results.length);
}

describe('resilience map in headless Chromium', () => {
  let run: SweepRun;
  beforeAll(async () => {
    // A real sweep: the seeded SFU bug that erases the running slot, every op, all three modes.
    run = await runSweep({ rig: 'rigs/twin-rp2040-sfu-bug-erase-running-slot.yaml', images: { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin' }, seed: 1 }, { workers: 0 });
  });

  it('shows the bands, one mark per point and the failing marks of a real sweep (SFU erase-running-slot)', async () => {
    expect(run.results.some((r) => isFailing(r.outcome))).toBe(true);
    const svg = renderResilienceMap({ title: 'twin-rp2040-sfu-bug-erase-running-slot app-v1 -> app-v2 every-op', ops: run.ops, results: run.results });
    const path = writeResilienceMap(dir, 'sfu-bug every-op', svg);
    const page = await render(path, { select: SELECT });
    expectReadable(page, run.ops, run.results);
    // Failing marks of the real sweep: each names its op and mode.
    for (const m of page.found.failing!) expect(m.title).toMatch(new RegExp(`^op ${m.data.op} \\(.*\\) ${m.data.mode}`));
  });

  it('keeps 3 failing points among 3,000 visible: wide enough, on top, inside their window', async () => {
    const ops: MapOp[] = Array.from({ length: 1000 }, (_, i) => ({
      index: i,
      kind: i % 50 ? 'program' : 'erase',
      phase: i < 600 ? 'write B' : i < 999 ? 'commit' : 'sign B',
      stage: i < 700 ? 'update' : 'reboot',
    }));
    const results: MapResult[] = [];
    const bad: Record<string, Outcome> = { '640/before': 'bricked', '640/torn': 'wrong-image', '641/after': 'rig-error' };
    for (const op of ops)
      for (const mode of ['before', 'after', 'torn'] as const)
        results.push({
          point: { op: op.index, mode, seed: op.index, ...(mode === 'torn' && { fraction: ((op.index * 37) % 90) / 100 + 0.05 }) },
          outcome: bad[`${op.index}/${mode}`] ?? 'rolled-back',
        });
    const path = writeResilienceMap(dir, 'three in three thousand', renderResilienceMap({ title: '3 failing among 3,000', ops, results }));
    const page = await render(path, { select: SELECT });
    expectReadable(page, ops, results);
    expect(page.counts.failing).toBe(3);
    const [win] = page.found.windows!;
    for (const m of page.found.failing!) {
      expect(m.box.x + m.box.width / 2).toBeGreaterThanOrEqual(win!.box.x);
      expect(m.box.x + m.box.width / 2).toBeLessThanOrEqual(win!.box.x + win!.box.width);
    }
  });

  it("judges by the suite's safe set and draws known weaknesses apart: waiting safe, known marks visible but not failing", async () => {
    const ops: MapOp[] = Array.from({ length: 400 }, (_, i) => ({ index: i, kind: i % 40 ? 'program' : 'erase', phase: i < 390 ? 'write slot 2' : 'header', stage: 'update' }));
    const results: MapResult[] = [];
    for (const op of ops)
      for (const mode of ['before', 'after', 'torn'] as const) {
        // A Loader update's middle waits in DFU mode (safe for this suite); two torn header writes
        // end in a boot loop the suite accepts (expect.known); one cut bricks.
        const outcome: Outcome = op.index === 395 && mode === 'after' ? 'bricked' : op.index >= 392 && op.index <= 393 && mode === 'torn' ? 'boot-loop' : op.index < 390 ? 'waiting' : 'updated';
        results.push({
          point: { op: op.index, mode, seed: op.index, ...(mode === 'torn' && { fraction: 0.5 }) },
          outcome,
          ...(outcome === 'boot-loop' && { known: 'torn header write (accepted)' }),
        });
      }
    const safe: Outcome[] = ['updated', 'rolled-back', 'waiting'];
    const path = writeResilienceMap(dir, 'waiting safe with known', renderResilienceMap({ title: 'waiting is safe, two known', ops, results, safe }));
    const page = await render(path, { select: SELECT });
    expectReadable(page, ops, results, safe);
    expect(page.counts.failing).toBe(1);
    expect(page.counts.known).toBe(2);
    expect(page.counts.windows).toBe(1);
    // Known marks: washed out, outlined, as wide as a failing mark and on top of the safe ones.
    for (const m of page.found.known!) {
      expect(m.class).toBe('mark known o-boot-loop');
      expect(m.opacity).toBe(1);
      expect(m.stroke).not.toBe('none');
      expect(m.box.width).toBeGreaterThanOrEqual(3);
      expect(m.onTop).toBe(true);
      expect(m.title).toMatch(/boot-loop, known weakness \(torn header write \(accepted\)\)/);
      // Outside the one window (op 395).
      const w = page.found.windows![0]!.box;
      expect(m.box.x + m.box.width).toBeLessThan(w.x + 0.5);
    }
    // The waiting marks are safe: the one failing mark is the bricked cut.
    expect(page.found.failing!.map((m) => m.class)).toEqual(['mark fail o-bricked']);
    const legendKnown = page.found.legend!.find((l) => l.data.known !== undefined);
    expect(legendKnown?.data.known).toBe('2');
    expect(legendKnown?.text).toContain('known weakness 2');
  });

  it('draws the 2-D map of a real double sweep (MCUboot resume-unjournaled, sampled first and second cuts)', async () => {
    const run = await runDoubleSweep(
      { rig: 'rigs/twin-nrf52840-mcuboot.yaml', twin: { variant: 'resume-unjournaled' }, images: { from: 'firmware/mcuboot-app-v1.signed.bin', to: 'firmware/mcuboot-app-v2.signed.bin' }, seed: 3 },
      { mode: 'double', first: { sample: 3 }, second: { sample: 5 } },
      { workers: 0 },
    );
    expect(run.results.length).toBeGreaterThan(0);
    expect(run.results.every((r) => r.point.second)).toBe(true);
    const results = [...run.firsts, ...run.results];
    const path = writeResilienceMap(
      dir,
      'mcuboot double',
      renderResilienceMap({ title: 'twin-nrf52840-mcuboot resume-unjournaled double', ops: run.ops, results, double: { secondOps: run.secondOps } }),
    );
    const page = await render(path, { select: { ...SELECT, grid: '.grid' } });
    expectReadable(page, run.ops, results);
    expect(page.counts.grid).toBe(1);
    // Every double point's cell lies inside the grid: second cut op down, first cut op across.
    const grid = page.found.grid![0]!.box;
    for (const m of page.found.failing!.filter((f) => f.data['second-op'] !== undefined)) {
      expect(m.box.y + m.box.height / 2).toBeGreaterThanOrEqual(grid.y);
      expect(m.box.y + m.box.height / 2).toBeLessThanOrEqual(grid.y + grid.height);
    }
  });

  it('draws a double-cut map as a grid with its failing cell on top', async () => {
    const ops: MapOp[] = Array.from({ length: 30 }, (_, i) => ({ index: i, kind: 'program', phase: i < 20 ? 'write B' : 'sign B', stage: 'update' }));
    const results: MapResult[] = [];
    for (let a = 0; a < 30; a++)
      for (let b = 0; b < 25; b++) results.push({ point: { op: a, mode: 'after', seed: 1, second: { op: b, mode: 'before', seed: 2 } }, outcome: a === 22 && b === 9 ? 'bricked' : 'updated' });
    const path = writeResilienceMap(dir, 'double', renderResilienceMap({ title: 'double', ops, results }));
    const page = await render(path, { select: { ...SELECT, grid: '.grid' } });
    expectReadable(page, ops, results);
    expect(page.counts.grid).toBe(1);
    expect(page.found.failing![0]!.data['second-op']).toBe('9');
  });
});

describe('browser helper', () => {
  it('fails with a clear message when Chromium cannot be found or cannot start', async () => {
    const path = writeResilienceMap(dir, 'tiny', renderResilienceMap({ title: 't', ops: [], results: [] }));
    const saved = process.env.HIL_CHROMIUM;
    try {
      process.env.HIL_CHROMIUM = join(dir, 'no-such-chromium');
      await expect(render(path, { select: {} })).rejects.toThrow(/HIL_CHROMIUM=.*no-such-chromium is not an executable file: install it with `sudo apt-get install -y chromium`/);
      process.env.HIL_CHROMIUM = '/bin/false';
      await expect(render(path, { select: {} })).rejects.toThrow(/headless Chromium \(\/bin\/false\) failed \(exit 1\) rendering/);
    } finally {
      if (saved === undefined) delete process.env.HIL_CHROMIUM;
      else process.env.HIL_CHROMIUM = saved;
    }
  });

  it('reports a malformed SVG instead of rendering a repaired one', async () => {
    const path = writeResilienceMap(dir, 'broken', '<svg xmlns="http://www.w3.org/2000/svg"><rect class="mark"></svg>');
    const page = await render(path, { select: { marks: '.mark' } });
    expect(page.parseError).toBeTruthy();
    expect(page.counts.marks).toBe(0);
  });
});
