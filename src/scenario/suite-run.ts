import { compatibleIssuesFor } from '../config/suite-schema.js';
import { ConfigFileError } from '../config/errors.js';
import { checkRigForSuite, configErrorAt, displayFile, loadRig, suiteCutPoints, withTwinOverrides, type CutPoint, type RigConfig, type SuiteConfig, type SuiteRig } from '../config/index.js';
import { openRig } from '../rig/open-rig.js';
import { runCut, type CutResult, type CutSpec } from './cut.js';
import { schemeAdapter, schemeSetup, type SchemeAdapter } from '../schemes/registry.js';
import { loadUpdateImage, type UpdateImage } from './update-image.js';

/** Everything a suite's cuts on one rig need, loaded and checked before the rig is opened. */
export interface PreparedSuiteRig {
  config: RigConfig;
  scheme: SchemeAdapter;
  setup: string;
  images: { from: UpdateImage; to: UpdateImage; previous?: UpdateImage };
  points: CutPoint[];
  /** Retries after each recovery: the rig entry's `retry:`, else the suite's (op sweeps take it too). */
  retry: number;
  /** A product's supported version sets (the suite's `compatible:`; op sweeps take them too). */
  compatible?: SuiteConfig['compatible'];
  /** The cut spec of point i: the suite's and the rig's defaults filled in. */
  spec(point: CutPoint, i: number): CutSpec;
}

/**
 * Op sweeps (`cuts.sweeps` with `mode:`) build their cut points from the twin's recorded op log:
 * on a bench rig there is none. Checked before any rig is touched, at the sweep's line.
 */
export function checkOpSweepRig(config: RigConfig, suite: SuiteConfig): void {
  const first = suite.cuts.opSweeps[0];
  if (!first || config.twin) return;
  throw configErrorAt(
    suite,
    ['cuts', 'sweeps', first.index],
    `an op sweep (mode ${first.sweep.mode}) runs on the twin's sweep engine, and rig ${config.name} (${displayFile(config.file)}) has no twin: section; run it on a twin rig or use a trigger sweep`,
  );
}

/**
 * A suite's `compatible:` version sets name the members of the rig's product scheme, every one of
 * them; a single-processor rig has none. Checked before any rig is touched, at the suite's lines.
 */
export function checkCompatibleRig(config: RigConfig, suite: SuiteConfig): void {
  const issues = compatibleIssuesFor(suite, config.scheme, config.name);
  if (issues.length) throw new ConfigFileError(issues);
}

export async function prepareSuiteRig(suite: SuiteConfig, entry: Pick<SuiteRig, 'path' | 'twin' | 'retry'>): Promise<PreparedSuiteRig> {
  const config = withTwinOverrides(await loadRig(entry.path), entry.twin, suite.file);
  checkRigForSuite(config, suite);
  checkOpSweepRig(config, suite);
  checkCompatibleRig(config, suite);
  const scheme = await schemeAdapter(config.scheme);
  const setup = schemeSetup(scheme, suite.setup, suite.file);
  const from = await loadUpdateImage(suite.images.from, config.scheme);
  const to = await loadUpdateImage(suite.images.to, config.scheme, suite.images.via);
  const previous = suite.images.previous ? await loadUpdateImage(suite.images.previous, config.scheme) : undefined;
  const retry = entry.retry ?? suite.retry;
  return {
    config,
    scheme,
    setup,
    images: { from, to, ...(previous && { previous }) },
    points: suiteCutPoints(suite),
    retry,
    ...(suite.compatible && { compatible: suite.compatible }),
    spec: (point, i) => ({
      trigger: point.trigger,
      offMs: point.offMs ?? suite.cuts.offMs ?? config.power.offMs,
      seed: point.seed ?? (config.twin?.seed ?? 1) + i,
      bootLoopCycles: suite.expect.bootLoopCycles,
      setup,
      ...(point.second !== undefined && { second: point.second }),
      ...(retry > 0 && { retry }),
      ...(suite.compatible && { compatible: suite.compatible }),
    }),
  };
}

export interface SuiteRigRun {
  suite: string;
  rig: RigConfig;
  expect: SuiteRig['expect'];
  results: CutResult[];
}

/**
 * Every cut of a suite on one of its rigs, in this process, one after the other (the twin at
 * time factor 0 makes that cheap). `hil run` does the same through Jest and Allure; `hil detect`
 * uses this directly.
 */
export async function runSuiteOnRig(suite: SuiteConfig, entry: SuiteRig, opts: { signal?: AbortSignal; onCut?: (r: CutResult, i: number, n: number) => void } = {}): Promise<SuiteRigRun> {
  const { config, scheme, images, points, spec } = await prepareSuiteRig(suite, entry);
  const rig = await openRig(config);
  const results: CutResult[] = [];
  try {
    for (const [i, point] of points.entries()) {
      opts.signal?.throwIfAborted();
      const r = await runCut(rig, scheme, images, spec(point, i), { ...(opts.signal && { signal: opts.signal }) });
      results.push(r);
      opts.onCut?.(r, i, points.length);
    }
  } finally {
    await rig.close();
  }
  return { suite: suite.name, rig: config, expect: entry.expect, results };
}
