/**
 * The boot-counter suites, run as `hil run` runs them (every cut of every rig entry, the real
 * twin rigs from rigs/): suites/loader-app-crash-loop.yaml (an app that crashes at start, under
 * watchdog resets, brownouts and power cuts at each crash), suites/detect-loader-app-ram.yaml
 * (brownouts after an update, SRAM kept) and suites/detect-loader-app-crash.yaml.
 */
import { describe, expect, it } from '@jest/globals';
import { loadSuite } from '../../src/config/index.js';
import { runSuiteOnRig } from '../../src/scenario/suite-run.js';

async function runSuite(file: string) {
  const suite = await loadSuite(file);
  const runs = [];
  for (const entry of suite.rigs) runs.push(await runSuiteOnRig(suite, entry));
  return runs.map((run, i) => ({ rig: run.rig.name, variant: suite.rigs[i]!.twin?.variant ?? run.rig.twin?.variant, results: run.results }));
}

describe('suites/loader-app-crash-loop.yaml', () => {
  it('watchdog resets and BOR-only brownouts: DFU mode after at most three boots of the crashing app; power cuts at each crash: an endless loop', async () => {
    const [watchdog, brownout, powerCut] = await runSuite('suites/loader-app-crash-loop.yaml');
    for (const entry of [watchdog!, brownout!]) {
      expect(entry.results.map((r) => r.outcome)).toEqual(['waiting', 'waiting', 'waiting']);
      for (const r of entry.results) {
        // Each start of the crashing image faults once: crashes seen after the cut = its boots.
        expect(r.observation!.crashes).toBeLessThanOrEqual(3);
        expect(r.observation!.dfu).toBeDefined();
      }
      // Cut long after the update: the cut's POR wiped the counter, so three fresh attempts.
      expect(entry.results[0]!.observation!.crashes).toBe(3);
      expect(entry.results[0]!.observation!.dfu!.reason).toBe('App unstable, dropping back into DFU mode');
    }
    // The cut lands just after the second start: a POR, so under watchdog resets the count starts
    // again (3 more), under brownouts at each crash too (the host's own cut is still a power cut).
    expect(powerCut!.results.map((r) => r.outcome)).toEqual(['boot-loop', 'boot-loop', 'waiting']);
    for (const r of powerCut!.results.slice(0, 2)) {
      expect(r.observation!.crashes).toBeGreaterThan(3);
      expect(r.observation!.dfu).toBeUndefined();
    }
  });
});

describe('suites/detect-loader-app-ram.yaml', () => {
  it('two brownouts after the update: the correct design runs v2 after each; the seeded bugs end in DFU mode with a valid app', async () => {
    const [correct, neverCleared, ramTrusted] = await runSuite('suites/detect-loader-app-ram.yaml');
    expect(correct!.results.map((r) => r.outcome)).toEqual(['updated', 'updated', 'updated']);
    expect(correct!.results.every((r) => r.verdict!.agree)).toBe(true);
    expect(neverCleared!.results[0]!.outcome).toBe('waiting');
    expect(neverCleared!.results[0]!.observation!.dfu!.reason).toBe('App unstable, dropping back into DFU mode');
    expect(ramTrusted!.results.map((r) => r.outcome)).toEqual(['updated', 'waiting', 'waiting']);
    expect(ramTrusted!.results.slice(1).map((r) => r.observation!.dfu!.reason)).toEqual(['DFU requested', 'App unstable, dropping back into DFU mode']);
    for (const r of [neverCleared!.results[0]!, ...ramTrusted!.results.slice(1)]) {
      expect(r.verdict).toMatchObject({ fromConsole: 'waiting', fromFlash: 'updated', agree: false });
    }
  });
});

describe('suites/detect-loader-app-crash.yaml', () => {
  it('counter-cleared-early loops forever where the correct Loader stops in DFU mode', async () => {
    const [correct, early] = await runSuite('suites/detect-loader-app-crash.yaml');
    expect(correct!.results.map((r) => r.outcome)).toEqual(['waiting']);
    expect(early!.variant).toBe('counter-cleared-early');
    expect(early!.results.map((r) => r.outcome)).toEqual(['boot-loop']);
    expect(early!.results[0]!.observation!.crashes).toBeGreaterThan(3);
  });
});
