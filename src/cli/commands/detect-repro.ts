/**
 * The commands that replay a `hil detect` catch. A sweep point replays exactly as `hil sweep
 * --point OP:MODE[:F][@MS]` (the sweep's recording, that one point, its seed rebuilt from --seed),
 * and in full as a `hil cut` line (the cut at the op's marker edge, plus the fraction of the op for a
 * torn point, with the twin's power loss that leaves the point's state:
 * test/scenario/sweep-equivalence.test.ts holds the engine equal to that replay). A suite's
 * second-cut point replays as the suite's own `hil cut` line.
 */
import { loadSuite } from '../../config/index.js';
import { reproCommand, reproTwin } from '../../report/cut-summary.js';
import type { DetectionRepros } from '../../report/detection.js';
import type { DetectPlan, DetectUse } from '../../scenario/detect/plan.js';
import { prepareSuiteRig } from '../../scenario/suite-run.js';
import { pointCommand, pointRepro } from './sweep-repro.js';

/** The repro lines of every catch `detectionRows` may pick: the suites' second-cut lines are read here once. */
export async function detectRepros(plan: DetectPlan): Promise<DetectionRepros> {
  const replayLines = new Map<DetectUse, Map<number, string>>();
  for (const use of plan.uses) {
    if (!use.secondCuts.length) continue;
    const suite = await loadSuite(use.suiteFile);
    const { config, images, points, spec } = await prepareSuiteRig(suite, suite.rigs[use.entry]!);
    const files = { rig: config.file, twin: reproTwin(config.twin), from: images.from.file, to: images.to.file, ...(images.previous && { previous: images.previous.file }) };
    replayLines.set(use, new Map(use.secondCuts.map((i) => [i, reproCommand({ ...files, ...spec(points[i]!, i) })])));
  }
  return {
    point(use, sweep, r) {
      if (!sweep.recording) return {};
      const c = use.repro;
      const repro = pointCommand({ ...c, seed: sweep.sweep.request.seed }, r.point);
      // A double point replays through the engine (its second cut is an op of the recovery's own
      // log); a hil cut line would need one power-loss mode for both cuts and the recovery's times.
      if (r.point.second) return { repro };
      // The settled point (the state after the update, once the host saw it done) replays by its time.
      const at = r.settled ? r.point.atMs! : undefined;
      if (at === undefined) return { repro, cut: pointRepro(c, sweep.recording, r.point) };
      const cut = reproCommand({
        rig: c.rig,
        twin: reproTwin(c.twin),
        from: c.from,
        to: c.to,
        ...(c.previous !== undefined && { previous: c.previous }),
        setup: c.setup,
        trigger: { kind: 'after', ms: at },
        offMs: c.offMs,
        seed: r.point.seed,
        ...(c.bootLoopCycles ? { bootLoopCycles: c.bootLoopCycles } : {}),
      });
      return { repro, cut };
    },
    replay: (use, r) => replayLines.get(use)?.get(r.index),
  };
}
