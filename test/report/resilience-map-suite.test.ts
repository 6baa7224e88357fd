/**
 * The maps `hil run` draws for real suites (src/testing/sweep-map.ts on real twin sweeps): judged
 * by the suite's own `expect.safe` and with its `expect.known` points drawn as known weaknesses.
 * - detect-loader-app makes `waiting` safe (the Loader waits in DFU mode after a cut): its
 *   correct rig's every-op sweep has waiting points and must show no failing mark at all;
 * - detect-mcuboot-revert accepts the torn copy_done write (mcuboot#1966): those points are known
 *   marks, not failing ones, and open no vulnerable window.
 */
import { describe, expect, it } from '@jest/globals';
import { loadSuite } from '../../src/config/load.js';
import { knownFor } from '../../src/config/suite-schema.js';
import { runSweep } from '../../src/scenario/sweep/engine.js';
import { sweepMapSvg } from '../../src/testing/sweep-map.js';

const count = (svg: string, cls: string) => (svg.match(new RegExp(`class="mark ${cls} `, 'g')) ?? []).length;
const attr = (svg: string, name: string) => /<svg [^>]*>/.exec(svg)![0].match(new RegExp(`${name}="(\\d+)"`))?.[1];

describe("a sweep's map judged by its suite", () => {
  it('detect-loader-app (waiting is safe): the correct Loader has waiting points and no failing mark', async () => {
    const suite = await loadSuite('suites/detect-loader-app.yaml');
    expect(suite.expect.safe).toContain('waiting');
    const run = await runSweep({ rig: 'rigs/twin-stm32f429-loader-app.yaml', images: { from: 'firmware/fwup-app-v1.bin', to: 'firmware/fwup-app-v2.bin' }, seed: 1 }, { workers: 0 });
    const waiting = run.results.filter((r) => r.outcome === 'waiting').length;
    expect(waiting).toBeGreaterThan(0);
    const byDefault = sweepMapSvg({ title: 'default safe set', ops: run.ops, results: run.results });
    expect(count(byDefault, 'fail')).toBeGreaterThanOrEqual(waiting);
    const map = sweepMapSvg({ title: 'detect-loader-app', ops: run.ops, results: run.results, safe: suite.expect.safe });
    expect(count(map, 'fail')).toBe(0);
    expect(attr(map, 'data-failing')).toBe('0');
    expect(map).not.toContain('class="window"');
    expect(map).toMatch(new RegExp(`<g class="legend-item" data-outcome="waiting" data-count="${waiting}"><title>waiting: [\\d,]+ cut points \\(safe\\)`));
  });

  it('detect-mcuboot-revert: the torn copy_done points its expect.known accepts are known marks, not failing ones', async () => {
    const suite = await loadSuite('suites/detect-mcuboot-revert.yaml');
    expect(suite.expect.known?.length).toBeGreaterThan(0);
    const run = await runSweep(
      { rig: 'rigs/twin-nrf52840-mcuboot.yaml', images: { from: 'firmware/mcuboot-app-v1.signed.bin', to: 'firmware/mcuboot-app-v2-crashes.signed.bin' }, setup: 'test', seed: 1 },
      { modes: ['torn'] },
    );
    const safe = suite.expect.safe as readonly string[];
    // As src/testing/sweep-tests.ts marks them.
    const results = run.results.map((r) => ({ ...r, known: !safe.includes(r.outcome) && knownFor(suite.expect.known, run.ops[r.point.op], r.point, r.outcome) !== undefined }));
    const known = results.filter((r) => r.known).length;
    expect(known).toBeGreaterThan(0);
    const map = sweepMapSvg({ title: 'detect-mcuboot-revert', ops: run.ops, results, safe });
    expect(count(map, 'known')).toBe(known);
    expect(attr(map, 'data-known')).toBe(String(known));
    const failing = results.filter((r) => !safe.includes(r.outcome) && !r.known).length;
    expect(count(map, 'fail')).toBe(failing);
    expect(map).toContain(`known weakness ${known}`);
  });
});
