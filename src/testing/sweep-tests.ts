/**
 * A suite's op sweeps (`cuts.sweeps` entries with `mode:`) under `hil run`: each runs on the twin's
 * sweep engine (one recording, only the recoveries simulated, both cores) and reads in the report
 * as ONE result per (sweep, mode) — counts by outcome, the resilience map, the failing points — plus
 * a result of its own, with its repro record, for each of a capped few failing points.
 *
 * Why the sweeps run before the tests are declared: Jest collects a file's tests synchronously,
 * and a result per failing point needs the sweep's results. The generated test file (ESM, see
 * src/report/campaign.ts writePlan) awaits defineRigSuite at its top level, so the sweeps run
 * there, while the test list can still grow; the tests declared afterwards only report what the
 * sweep found. The sweep opens its own in-process twin (not the suite's rig, which useRig opens in
 * beforeAll), and stops with hil's worker lifeline.
 */
import { expect, it } from '@jest/globals';
import { formatCompatibleText } from '../config/version-pattern.js';
import { dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';
import * as allure from 'allure-js-commons';
import { RigError } from '../core/errors.js';
import type { SuiteConfig } from '../config/index.js';
import { opSweepName, type OpSweep, type OpSweepMode } from '../config/sweep.js';
import type { CutRecord, PlanEntry } from '../report/plan.js';
import { attachRepro, reproImages, reproPath, type ReproRecord } from '../report/repro-record.js';
import { sweepCommand } from '../report/sweep-command.js';
import { countByOutcome, countByRetryChain, countsText, failingPointsText, MAX_POINT_RESULTS, opContext, pointArgument, pointLabel, pointsWithResults } from '../report/sweep-result.js';
import type { Lifeline } from '../report/worker-environment.js';
import { defaultWorkers, runSweep } from '../scenario/sweep/engine.js';
import { runDoubleSweep } from '../scenario/sweep/double.js';
import type { SweepMode } from '../scenario/sweep/modes.js';
import type { SweepCutMode } from '../scenario/sweep/points.js';
import type { PointResult } from '../scenario/sweep/recover.js';
import { withMode, type SweepRequest } from '../scenario/sweep/session.js';
import { knownFor, knownLabel, knownText, type KnownWeakness } from '../config/suite-schema.js';
import { knownPointsText, type SweepRecordWithKnown } from '../report/sweep-summary.js';
import type { PreparedSuiteRig } from '../scenario/suite-run.js';
import { writeResilienceMap } from '../report/maps/resilience-map.js';
import { sweepMapSvg } from './sweep-map.js';

type SweepOp = Awaited<ReturnType<typeof runSweep>>['ops'][number];

/** One op sweep of a suite on one rig, run (or the reason it could not run). */
export interface SuiteSweepRun {
  opSweep: OpSweep;
  name: string;
  seed: number;
  ops: readonly SweepOp[];
  results: PointResult[];
  error?: string;
  /** `hil sweep` line of the whole sweep. */
  command: string;
}

/** The suite's op sweep as the engine's SweepMode (the same shapes: config keeps its own copy, being below scenario). */
export function engineMode(sweep: OpSweepMode): SweepMode {
  return sweep;
}

/** Runs every op sweep of the suite on this rig, one after the other, each on all cores. */
export async function runSuiteSweeps(suite: SuiteConfig, prepared: PreparedSuiteRig, entry: PlanEntry): Promise<SuiteSweepRun[]> {
  const { config, images, setup } = prepared;
  const signal = (globalThis as { hilLifeline?: Lifeline }).hilLifeline?.signal;
  const runs: SuiteSweepRun[] = [];
  for (const opSweep of suite.cuts.opSweeps) {
    const seed = opSweep.seed ?? config.twin?.seed ?? 1;
    const request: SweepRequest = {
      rig: config.file,
      // The power-loss mode is the sweep's own (each point sets it): only the variant is taken.
      ...(entry.twin?.variant !== undefined && { twin: { variant: entry.twin.variant } }),
      images: { from: images.from.file, to: images.to.file, ...(images.previous && { previous: images.previous.file }), ...(suite.images.via && { via: suite.images.via }) },
      setup,
      seed,
      offMs: suite.cuts.offMs ?? config.power.offMs,
      ...(suite.expect.bootLoopCycles > 0 && { bootLoopCycles: suite.expect.bootLoopCycles }),
      ...(prepared.retry > 0 && { retry: prepared.retry }),
      ...(prepared.compatible && { compatible: prepared.compatible }),
    };
    const command = sweepCommand({
      rig: config.file,
      ...(entry.twin?.variant !== undefined && { twin: { variant: entry.twin.variant } }),
      from: images.from.file,
      to: images.to.file,
      ...(images.previous && { previous: images.previous.file }),
      ...(suite.images.via && { via: suite.images.via }),
      setup,
      sweep: opSweep.sweep,
      seed,
      ...(suite.cuts.offMs !== undefined && { offMs: suite.cuts.offMs }),
      bootLoopCycles: suite.expect.bootLoopCycles,
      ...(prepared.retry > 0 && { retry: prepared.retry }),
      ...(prepared.compatible && { compatible: prepared.compatible }),
    });
    const run: SuiteSweepRun = { opSweep, name: opSweepName(opSweep.sweep), seed, ops: [], results: [], command };
    try {
      const mode = engineMode(opSweep.sweep);
      const engine = { workers: defaultWorkers(), ...(signal && { signal }) };
      // A double sweep's second cuts depend on each first cut's recovery: the engine runs both passes.
      const done = mode.mode === 'double' ? await runDoubleSweep(request, mode, engine) : await runSweep(withMode(request, mode), engine);
      run.ops = done.ops;
      run.results = done.results;
    } catch (err) {
      if (signal?.aborted) throw err;
      run.error = (err as Error).message;
    }
    runs.push(run);
  }
  return runs;
}

/** What the suite's tests share with the sweep tests. */
export interface SweepTestContext {
  entry: PlanEntry;
  suite: SuiteConfig;
  prepared: PreparedSuiteRig;
  /** Labels every result of the suite carries (epic, feature, story, board, ...). */
  label: () => Promise<void>;
  record: (r: CutRecord) => void;
}

/** One result per (sweep, mode): every-op by cut mode, any other sweep as a whole. */
function groupsOf(run: SuiteSweepRun): { name: string; mode?: SweepCutMode; results: PointResult[] }[] {
  if (run.opSweep.sweep.mode !== 'every-op') return [{ name: run.name, results: run.results }];
  const modes: SweepCutMode[] = run.opSweep.sweep.cut ?? ['before', 'after', 'torn'];
  return modes.map((mode) => ({ name: `${run.name}/${mode}`, mode, results: run.results.filter((r) => r.point.mode === mode) }));
}

/**
 * Declares the sweep tests inside the suite's describe block. Returns the catching points (a
 * seeded-bug rig: failing points whose outcome is in expect.caughtWhen) and whether any sweep
 * could not run, for the suite's "catches the seeded bug" test.
 */
export function declareSweepTests(ctx: SweepTestContext, runs: readonly SuiteSweepRun[]): { catches: () => PointResult[]; broken: () => number } {
  const { entry, suite, prepared } = ctx;
  const { config, images, setup } = prepared;
  const variant = config.twin?.variant;
  const safe = suite.expect.safe as readonly string[];
  const caughtWhen = suite.expect.caughtWhen as readonly string[];
  const seeded = entry.expect === 'caught';
  const catches: PointResult[] = [];
  let broken = 0;
  const known = suite.expect.known ?? [];
  /** Points each `expect.known` entry explained, over every sweep of this rig entry. */
  const knownSeen = new Map<KnownWeakness, number>();
  // An accepted weakness (expect.known) explains a point: it is known, never failing, never a catch.
  const knownOf = (run: SuiteSweepRun, r: PointResult) => (safe.includes(r.outcome) ? undefined : knownFor(known, run.ops[r.point.op], r.point, r.outcome));
  const base = (test: string): Pick<CutRecord, 'suite' | 'rig' | 'expect' | 'test' | 'variant'> => ({ suite: suite.name, rig: config.name, ...(variant && { variant }), expect: entry.expect, test });

  const parameters = async (run: SuiteSweepRun, mode: string) => {
    await ctx.label();
    await allure.parameter('rig', config.name);
    await allure.parameter('board', config.board?.serial ?? config.name);
    await allure.parameter('sweep', mode);
    await allure.parameter('seed', String(run.seed));
    if (setup !== prepared.scheme.setups[0]) await allure.parameter('setup', setup);
    await allure.parameter('image A sha256', images.from.sha256);
    await allure.parameter('image B sha256', images.to.sha256);
    await allure.parameter('rig file', config.file, { excluded: true });
  };

  for (const run of runs) {
    if (run.error !== undefined) {
      const name = `sweep ${run.name}: could not run`;
      it(name, async () => {
        await parameters(run, run.name);
        broken++;
        ctx.record({ kind: 'sweep', ...base(name), trigger: run.name, outcome: 'rig-error', status: 'broken', repro: run.command, message: run.error, points: 0, counts: {} });
        throw new RigError(`${run.error} (sweep: ${run.command})`);
      });
      continue;
    }
    const groups = groupsOf(run);
    // Where the sweep's map goes: on a must-recover rig every result with failing points (they are
    // bugs); on a seeded-bug rig, where the catch often fails most ops in every mode alike, one map
    // per sweep (the torn result's if it failed, else the one that failed most). Maps cost 40-270 KB
    // each: this is what keeps the default campaign's report under 10 MB.
    const failingOf = (g: { results: PointResult[] }) => g.results.filter((r) => !safe.includes(r.outcome)).length;
    const seededMap = [...groups].sort((a, b) => Number(b.mode === 'torn' && failingOf(b) > 0) - Number(a.mode === 'torn' && failingOf(a) > 0) || failingOf(b) - failingOf(a))[0];
    for (const group of groups) {
      const knownPoints = group.results.flatMap((r) => {
        const k = knownOf(run, r);
        return k ? [{ result: r, known: k }] : [];
      });
      for (const { known: k } of knownPoints) knownSeen.set(k, (knownSeen.get(k) ?? 0) + 1);
      const isKnown = new Set(knownPoints.map((x) => x.result));
      const failing = group.results.filter((r) => !safe.includes(r.outcome) && !isKnown.has(r));
      // A must-recover rig's failing points are bugs: up to MAX_POINT_RESULTS get results. On a
      // seeded-bug rig they are the expected catch, often thousands: the first one stands for them.
      const withResults = pointsWithResults(failing, seeded ? 1 : MAX_POINT_RESULTS);
      if (seeded) catches.push(...failing.filter((r) => caughtWhen.includes(r.outcome)));
      const counts = countByOutcome(group.results);
      const retried = countByRetryChain(group.results);
      // Each group's line sweeps its own cut mode only (a `--point` of it replays the same point).
      const command = group.mode ? run.command.replace(/--modes \S+/, `--modes ${group.mode}`) : run.command;
      const name = `sweep ${group.name}: ${group.results.length} points`;
      it(name, async () => {
        await parameters(run, group.name);
        for (const [outcome, n] of Object.entries(counts)) await allure.parameter(`points ${outcome}`, String(n), { excluded: true });
        // The suite's retries: how many points got their outcome only after one.
        for (const [chain, n] of Object.entries(retried)) await allure.parameter(`points ${chain}`, String(n), { excluded: true });
        await allure.parameter('failing points', String(failing.length), { excluded: true });
        if (knownPoints.length) {
          await allure.parameter('known points', String(knownPoints.length), { excluded: true });
          await allure.tag('known weakness');
        }
        if (withResults.length < failing.length) await allure.parameter('failing points with a result', `${withResults.length} of ${failing.length} (capped)`, { excluded: true });
        await allure.description(
          `${group.results.length} cut points over ${run.ops.length} flash ops: ${countsText(counts)}. ` +
            (seeded ? `Seeded bug: ${failing.length} points end outside expect.safe (the catch).` : `${failing.length} failing (outcome not in ${safe.join(', ')}).`) +
            (knownPoints.length ? ` ${knownPoints.length} known (expect.known: ${[...new Set(knownPoints.map((x) => knownText(x.known)))].join('; ')}).` : ''),
        );
        // Every group's whole map (reasons in the marks' titles) goes into the run's own folder
        // (reports/runs/<id>/maps/): the resultsFile path may pass through reports/.run, a link the
        // next run moves, so the map file named in the report is the resolved one.
        const mapTitle = `${suite.name} on ${config.name}${variant ? ` (${variant})` : ''}: ${group.name}`;
        const mapFile = writeResilienceMap(
          join(realpathSync(dirname(entry.resultsFile)), 'maps'),
          `${suite.name}--${config.name}--${group.name}`,
          sweepMapSvg({ title: mapTitle, ops: run.ops, results: group.results.map((r) => ({ ...r, known: isKnown.has(r) })), safe }),
        );
        await allure.parameter('map file', mapFile, { excluded: true });
        // In the report, the map shows where the failing points are; a clean sweep's map (every mark
        // safe) says no more than its counts and would cost 40-90 KB a result: the report must stay small.
        if (failing.length && (!seeded || group === seededMap)) {
          // Without the reasons (the failing-points listing has them): a mark's title keeps op, phase and outcome, at half the size.
          const svg = sweepMapSvg({
            title: mapTitle,
            ops: run.ops,
            results: group.results.map((r) => ({ ...r, reasons: [], known: isKnown.has(r) })),
            safe,
          });
          await allure.attachment('resilience map', svg, 'image/svg+xml');
        } else if (failing.length) await allure.parameter('resilience map', `in the result of sweep ${seededMap!.name}`, { excluded: true });
        const listing = {
          title: `${suite.name} on ${config.name}, sweep ${group.name}`,
          ops: run.ops,
          results: group.results,
          failing,
          expected: safe,
          withResults: withResults.length,
          pointCommand: command,
          // A seeded bug's catch: its windows say where; a few points say how.
          ...(seeded && { maxListed: 40 }),
        };
        await allure.attachment('failing points', failingPointsText(listing), 'text/plain');
        if (knownPoints.length) await allure.attachment('known points', knownPointsText(knownPoints, run.ops, command), 'text/plain');
        await allure.attachment('sweep command', command, 'text/plain');
        const status: CutRecord['status'] = seeded || failing.length === 0 ? 'passed' : 'failed';
        const failingCounts = countByOutcome(failing);
        const record: SweepRecordWithKnown = {
          kind: 'sweep',
          ...base(name),
          trigger: group.name,
          outcome: seeded ? (failing.length ? 'caught' : 'clean') : failing.length ? 'failing' : knownPoints.length ? 'known' : 'safe',
          status,
          repro: command,
          points: group.results.length,
          counts,
          failing: failing.length,
          failingCounts,
          ...(Object.keys(retried).length && { retried }),
          ...(knownPoints.length && {
            message: `${knownPoints.length} known point(s): ${[...new Set(knownPoints.map((x) => knownText(x.known)))].join('; ')}`,
            known: knownPoints.length,
            knownCounts: countByOutcome(knownPoints.map((x) => x.result)),
          }),
        };
        ctx.record(record);
        // On a seeded-bug rig the points only record what happened; the suite's detection test judges.
        if (!seeded) expect({ failing: failing.length, outcomes: failingCounts }).toEqual({ failing: 0, outcomes: {} });
      });
      for (const r of withResults) declarePointTest(ctx, run, group.name, command, r);
    }
  }
  // Known weaknesses no point matched: the fix may have landed. A warning (a passed result that
  // says so), never a failure. Sweeps that could not run prove nothing either way.
  if (known.length && runs.length && runs.every((r) => r.error === undefined)) {
    for (const k of known.filter((x) => !knownSeen.has(x))) {
      it(`known weakness not seen: ${knownLabel(k)}`, async () => {
        await ctx.label();
        await allure.tag('warning');
        await allure.parameter('rig', config.name);
        await allure.description(
          `No op sweep point of this rig matched ${knownLabel(k)} (${knownText(k)}): the weakness did not show in this run. If its fix has landed, remove the entry from ${suite.file}.`,
        );
      });
    }
  }
  return { catches: () => catches, broken: () => broken };
}

function declarePointTest(ctx: SweepTestContext, run: SuiteSweepRun, group: string, command: string, r: PointResult): void {
  const { entry, suite, prepared } = ctx;
  const { config, images, setup } = prepared;
  const variant = config.twin?.variant;
  const seeded = entry.expect === 'caught';
  const op = run.ops[r.point.op];
  const name = `sweep ${group} ${pointLabel(r.point)} -> ${r.outcome}`;
  const line = `${command} --point ${pointArgument(r.point)}`;
  it(name, async () => {
    await ctx.label();
    await allure.tag(seeded ? 'catch' : 'failing-point');
    await allure.parameter('rig', config.name);
    await allure.parameter('board', config.board?.serial ?? config.name);
    await allure.parameter('sweep', group);
    await allure.parameter('point', pointArgument(r.point));
    await allure.parameter('seed', String(run.seed));
    await allure.parameter('image A sha256', images.from.sha256);
    await allure.parameter('image B sha256', images.to.sha256);
    await allure.parameter('repro', line, { excluded: true });
    if (op) await allure.parameter('op', opContext(op), { excluded: true });
    await allure.parameter('outcome', r.outcome, { excluded: true });
    await allure.attachment('reasons', r.reasons.join('\n') || '(none)', 'text/plain');
    const expected = seeded ? suite.expect.caughtWhen : suite.expect.safe;
    const twin = config.twin;
    const record: ReproRecord = {
      version: 1,
      kind: 'sweep-point',
      rig: { name: config.name, file: reproPath(config.file) },
      // The sweep engine runs the twin at time factor 0; each point sets the power-loss mode itself.
      ...(twin && { twin: { variant: twin.variant, powerLoss: twin.powerLoss, timeFactor: 0 } }),
      images: reproImages(images),
      suite: { name: suite.name, file: reproPath(suite.file) },
      setup,
      // The point as the engine took it (a range point's atMs, a double point's second cut included).
      trigger: { ...r.point },
      offMs: suite.cuts.offMs ?? config.power.offMs,
      seed: run.seed,
      ...(suite.expect.bootLoopCycles ? { bootLoopCycles: suite.expect.bootLoopCycles } : {}),
      ...(ctx.prepared.retry > 0 && { retry: ctx.prepared.retry }),
      ...(ctx.prepared.compatible && { compatible: formatCompatibleText(ctx.prepared.compatible) }),
      expected: [...expected],
      seen: r.outcome,
    };
    const reproId = await attachRepro(record);
    const status: CutRecord['status'] = seeded ? 'passed' : 'failed';
    ctx.record({
      kind: 'sweep-point',
      suite: suite.name,
      rig: config.name,
      ...(variant && { variant }),
      expect: entry.expect,
      test: name,
      trigger: pointArgument(r.point),
      outcome: r.outcome,
      status,
      ...(op && { phase: opContext(op) }),
      repro: line,
      reproId,
    });
    if (!seeded) expect({ outcome: r.outcome, safe: false, reasons: r.reasons }).toMatchObject({ safe: true });
  });
}
