/**
 * After a cut during an application update, the loader-app boot chain writes nothing while it
 * recovers (the Loader waits in DFU mode, or the old or new app runs): a double sweep is its first
 * cuts alone. Holds the `'loader-app': []` entry of test/scenario/sweep-double.test.ts.
 */
import { expect, it } from '@jest/globals';
import '../helpers/sweep-timeout.js';
import { runDoubleSweep } from '../../src/scenario/sweep/double.js';
import { SCHEMES } from '../../src/schemes/meta-registry.js';

it.each(['correct', 'header-first'])('loader-app / %s: recoveries write nothing', async (variant) => {
  const scheme = SCHEMES.find((s) => s.name === 'loader-app')!;
  const request = { rig: scheme.bench.rig, twin: { variant }, images: { from: `firmware/${scheme.samples.from}`, to: `firmware/${scheme.samples.to}` }, seed: 20261206 };
  const run = await runDoubleSweep(request, { mode: 'double', first: { sample: 40 }, second: {} }, { workers: 0 });
  expect(run.firsts.length).toBeGreaterThanOrEqual(40);
  expect(run.firsts.filter((f) => f.recovery?.ops !== 0).map((f) => f.point)).toEqual([]);
  expect(run.secondOps).toBe(0);
});
