/**
 * What `hil detect` runs: one op sweep per distinct rig entry of the detection suites, and what
 * each entry judges it by. Entries that differ only by their twin's power-loss mode make the same
 * sweep (a sweep sets the power loss per point: before skips the op, after completes it, torn
 * tears it), so they share one: detect-mcuboot's correct and correct+torn entries, and the STM32
 * rom-fallback correct entries of two suites, are one sweep each.
 */
import type { SuiteConfig } from '../../config/index.js';
import { TWIN_VARIANTS } from '../../drivers/device/twin.js';
import { prepareSuiteRig } from '../suite-run.js';
import type { SweepRequest } from '../sweep/session.js';
import type { SweepReproContext } from '../sweep/repro-context.js';
import { formatCompatibleText } from '../../config/version-pattern.js';
import type { KnownWeakness } from '../../config/suite-schema.js';

export interface DetectSweep {
  /** Canonical JSON of the request: equal keys, one sweep. */
  key: string;
  request: SweepRequest;
  scheme: string;
  variant: string;
  /** For the progress line: the first entry that uses it. */
  label: string;
  /** Swept for double cuts too (double-rule.ts): a suite using it has second-cut points. */
  double?: true;
}

/** One rig entry of one suite: its sweep and how its points are judged. */
export interface DetectUse {
  suite: string;
  suiteFile: string;
  /** Index in the suite's `rigs:` list. */
  entry: number;
  scheme: string;
  variant: string;
  buggy: boolean;
  /** The suite's safe outcomes: any other outcome catches. */
  safe: readonly string[];
  sweep: string;
  repro: SweepReproContext;
  /**
   * The suite's cut points that carry a second cut (indices into its points): replayed in full, and
   * their sweep is swept for double cuts too (DetectSweep.double).
   */
  secondCuts: number[];
  /** The suite's accepted weaknesses (`expect.known`): matching points are known, not catching. */
  known?: readonly KnownWeakness[];
}

export interface DetectPlan {
  sweeps: DetectSweep[];
  uses: DetectUse[];
}

export function isBuggy(scheme: string, variant: string): boolean {
  return TWIN_VARIANTS[scheme]?.[variant]?.buggy ?? variant !== 'correct';
}

export async function detectPlan(suites: readonly SuiteConfig[]): Promise<DetectPlan> {
  const sweeps = new Map<string, DetectSweep>();
  const uses: DetectUse[] = [];
  for (const suite of suites) {
    for (const [entry, rigEntry] of suite.rigs.entries()) {
      const { config, images, points, setup, compatible } = await prepareSuiteRig(suite, rigEntry);
      const variant = config.twin?.variant ?? 'correct';
      const offMs = suite.cuts.offMs ?? config.power.offMs;
      const bootLoopCycles = suite.expect.bootLoopCycles;
      const request: SweepRequest = {
        rig: config.file,
        ...(rigEntry.twin?.variant !== undefined && { twin: { variant: rigEntry.twin.variant } }),
        images: { from: images.from.file, to: images.to.file, ...(images.previous && { previous: images.previous.file }), ...(suite.images.via && { via: suite.images.via }) },
        setup,
        seed: config.twin?.seed ?? 1,
        offMs,
        ...(bootLoopCycles ? { bootLoopCycles } : {}),
        ...(compatible && { compatible }),
      };
      const key = JSON.stringify(request);
      if (!sweeps.has(key)) sweeps.set(key, { key, request, scheme: config.scheme, variant, label: `${suite.name} / ${variant}` });
      uses.push({
        suite: suite.name,
        suiteFile: suite.file,
        entry,
        scheme: config.scheme,
        variant,
        buggy: isBuggy(config.scheme, variant),
        safe: suite.expect.safe,
        sweep: key,
        repro: {
          rig: config.file,
          twin: { variant },
          from: images.from.file,
          to: images.to.file,
          ...(images.previous && { previous: images.previous.file }),
          ...(suite.images.via && { via: suite.images.via }),
          setup,
          offMs,
          ...(bootLoopCycles ? { bootLoopCycles } : {}),
          ...(compatible && { compatible: formatCompatibleText(compatible) }),
        },
        secondCuts: points.flatMap((p, i) => (p.second !== undefined ? [i] : [])),
        ...(suite.expect.known && { known: suite.expect.known }),
      });
    }
  }
  for (const u of uses) if (u.secondCuts.length) sweeps.get(u.sweep)!.double = true;
  return { sweeps: [...sweeps.values()], uses };
}
