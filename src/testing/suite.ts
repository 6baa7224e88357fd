/**
 * The YAML suite runner: what `hil run`'s generated Jest files call (one per suite and rig, see
 * report/campaign.ts writePlan). Built on useRig(), like a hand-written rig test: the rig opens in
 * beforeAll and reaches its safe state in afterAll or when hil's worker lifeline stops the worker;
 * each cut point is one rig.cut(). What this adds is the suite's view: Allure labels and parameters
 * that make a result replayable, the suite's expectation, and one line per cut in results.jsonl for
 * the CLI's summary.
 */
import { appendFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import * as allure from 'allure-js-commons';
import { ConfigError, RigError } from '../core/errors.js';
import { formatTrigger, loadSuite } from '../config/index.js';
import { prepareSuiteRig } from '../scenario/suite-run.js';
import type { CutRecord, PlanEntry } from '../report/plan.js';
import { attachRepro, cutReproRecord } from '../report/repro-record.js';
import { RigCutError, type RigCutResult } from './cut-error.js';
import { useRig } from './use-rig.js';
import type { CutResult } from '../scenario/cut.js';
import { declareSweepTests, runSuiteSweeps } from './sweep-tests.js';
import { expectationMessage } from '../report/cut-summary.js';
import { retryChain } from '../report/retry-chain.js';
import { CutExpectationError, labelCatch } from './catch-label.js';

function sameTwin(a: PlanEntry['twin'], b: PlanEntry['twin']): boolean {
  return (a?.variant ?? '') === (b?.variant ?? '') && (a?.powerLoss ?? '') === (b?.powerLoss ?? '');
}

/** The first catching cut of a rig carries the transcript and timeline picture (later catches: summary and repro). */
const MAX_CATCH_DETAILS = 1;

/**
 * Declares the Jest tests of one (suite, rig) pair: one test per cut point, plus, on a rig
 * running a seeded bug, one test that the suite caught it. Rig errors throw RigError (Allure
 * `broken`), a rig that cannot open included: each of its cuts is recorded broken with the
 * reason; a device result the suite does not expect is a CutExpectationError (Allure `failed`) whose
 * message says what was expected, what was seen and why.
 */
export async function defineRigSuite(entry: PlanEntry): Promise<void> {
  const suite = await loadSuite(entry.suiteFile);
  // A rig entry's own retry: the plan carries only file, expect and twin, so the entry is found again by those.
  const same = suite.rigs.filter((r) => r.path === entry.rigFile && r.expect === entry.expect && sameTwin(r.twin, entry.twin));
  const retries = new Set(same.map((r) => r.retry ?? suite.retry));
  if (retries.size > 1)
    throw new ConfigError(
      `${suite.file}: rigs: ${entry.rigFile} is listed more than once with the same expect and twin overrides but different retry: values; give each entry its own variant or powerLoss, or one retry`,
    );
  const retry = same[0]?.retry;
  const prepared = await prepareSuiteRig(suite, { path: entry.rigFile, ...(entry.twin && { twin: entry.twin }), ...(retry !== undefined && { retry }) });
  const { config, scheme, setup, images, points, spec: specOf } = prepared;
  const { from, to, previous } = images;
  const results: RigCutResult[] = [];
  const variant = config.twin?.variant;
  const record = (r: CutRecord) => appendFileSync(entry.resultsFile, JSON.stringify(r) + '\n');
  // The transcript and timeline go to the cuts an engineer opens: failed, broken, or catching the
  // seeded bug, but only the first few catches of a rig (a seeded bug caught by every cut would
  // otherwise fill the report with the same picture: the default campaign's stays under 10 MB).
  let catchDetails = 0;
  const worthDetails = (r: CutResult): boolean => {
    if (r.outcome === 'rig-error') return true;
    if (entry.expect !== 'caught') return !(suite.expect.safe.includes(r.outcome as never) && r.verdict?.agree !== false);
    return suite.expect.caughtWhen.includes(r.outcome as never) && catchDetails++ < MAX_CATCH_DETAILS;
  };
  // Op sweeps run now, before the tests are declared: see ./sweep-tests.ts.
  const sweepRuns = await runSuiteSweeps(suite, prepared, entry);
  const board = config.board?.serial ?? config.name;
  const label = async () => {
    await allure.epic(entry.campaign);
    await allure.feature(config.scheme);
    await allure.story(suite.name);
    await allure.label('board', config.name);
    await allure.label('mcu', config.target);
    await allure.label('bootloader', `${config.scheme}${variant ? `/${variant}` : ''}`);
    if (variant) await allure.tag(`variant:${variant}`);
    await allure.tag(entry.expect === 'caught' ? 'seeded-bug' : 'must-recover');
  };

  describe(`${suite.name} on ${config.name}`, () => {
    // The config the suite prepared (its twin overrides applied); a rig that cannot open breaks each cut, not the file.
    const rig = useRig(config, { onOpenError: 'record' });

    points.forEach((point, i) => {
      const trigger = formatTrigger(point.trigger);
      const spec = specOf(point, i);
      const { offMs, seed } = spec;
      const name = `cut ${String(i + 1).padStart(2, '0')}: ${trigger}${point.second !== undefined ? ` + ${point.second}ms into recovery` : ''}`;
      it(name, async () => {
        await label();
        await allure.parameter('rig', config.name);
        // History keys by the board's identity: a board moved to another Pi (another rig file) keeps its history.
        await allure.parameter('board', board);
        await allure.parameter('trigger', trigger);
        await allure.parameter('off ms', String(offMs));
        await allure.parameter('seed', String(seed));
        if (point.second !== undefined) await allure.parameter('second cut', `${point.second} ms after power returned`);
        if (setup !== scheme.setups[0]) await allure.parameter('setup', setup);
        if (spec.retry) await allure.parameter('retry', String(spec.retry));
        await allure.parameter('image A sha256', from.sha256);
        await allure.parameter('image B sha256', to.sha256);
        await allure.parameter('rig file', config.file, { excluded: true });

        let r: RigCutResult;
        let reproId: string | undefined;
        try {
          r = await rig.cut({ from, to, ...(previous && { previous }), ...spec, details: worthDetails, expect: entry.expect === 'caught' ? false : suite.expect.safe });
        } catch (err) {
          // A rig error (the rig did not open, or failed during the cut) still has its result to record.
          if (!(err instanceof RigCutError)) throw err;
          r = err.result;
        }
        // A rig that never opened ran no cut: nothing to count for the sweep, no outcome to show.
        if (!rig.openError) {
          results.push(r);
          const expected = entry.expect === 'caught' ? suite.expect.caughtWhen : suite.expect.safe;
          reproId = await attachRepro(cutReproRecord({ config, images, suite, spec, expected, result: r }));
          await allure.parameter('outcome', r.outcome, { excluded: true });
          // A product: each member's running version and its own verdict (`host` = `2.0.0 (updated)`).
          for (const [member, version] of Object.entries(r.verdict?.product?.versions ?? {})) {
            await allure.parameter(member, `${version ?? '?'} (${r.verdict!.product!.members[member]?.outcome ?? '?'})`, { excluded: true });
          }
          const chain = retryChain(r);
          if (chain) {
            await allure.parameter('retries', chain, { excluded: true });
            await allure.tag('retried');
          }
          if (r.fired) {
            await allure.parameter('fired at ms', r.fired.offsetMs.toFixed(3), { excluded: true });
            await allure.parameter('phase', r.fired.devicePhase ?? r.fired.phase, { excluded: true });
            await allure.parameter('bytes acked', String(r.fired.acked), { excluded: true });
          }
        }
        const status: CutRecord['status'] =
          r.outcome === 'rig-error' ? 'broken' : entry.expect === 'caught' || (suite.expect.safe.includes(r.outcome as never) && r.verdict?.agree !== false) ? 'passed' : 'failed';
        record({
          kind: 'cut',
          suite: suite.name,
          rig: config.name,
          ...(variant && { variant }),
          expect: entry.expect,
          test: name,
          trigger,
          outcome: r.outcome,
          ...(r.firstOutcome !== undefined && {
            firstOutcome: r.firstOutcome,
            retries: (r.retries ?? []).map((x) => ({ attempt: x.attempt, outcome: x.outcome, ...(x.error !== undefined && { error: x.error }) })),
          }),
          ...(r.verdict && { agree: r.verdict.agree }),
          status,
          ...(r.fired && { offsetMs: r.fired.offsetMs, phase: r.fired.devicePhase ?? r.fired.phase }),
          repro: r.repro,
          ...(reproId && { reproId }),
          ...(status === 'broken' && r.rigError && { message: r.rigError }),
        });
        // The rig's reason alone (the repro line is in the record and the attachments).
        if (status === 'broken') throw new RigError(r.rigError ?? 'rig error');
        // Expected, seen and why, in words: the report's error box shows this message.
        if (status === 'failed') throw new CutExpectationError(expectationMessage(r, suite.expect.safe));
        // On a seeded-bug rig each cut only records what happened; the test below judges the sweep.
        // A cut that caught the bug says so, so it stands out from every other green cut.
        if (entry.expect === 'caught' && suite.expect.caughtWhen.includes(r.outcome as never)) await labelCatch(variant ?? config.name, name, r);
      });
    });

    const sweeps = declareSweepTests({ entry, suite, prepared, label, record }, sweepRuns);

    if (entry.expect === 'caught') {
      it(`catches the seeded bug (${variant ?? config.name})`, async () => {
        await allure.epic(entry.campaign);
        await allure.feature(config.scheme);
        await allure.story(suite.name);
        await allure.label('board', config.name);
        await allure.parameter('board', board);
        const table = results.map((r) => `${r.trigger.padEnd(28)} ${r.outcome}`).join('\n');
        await allure.attachment('outcomes by cut', table || '(no cut ran)', 'text/plain');
        const caught = results.filter((r) => suite.expect.caughtWhen.includes(r.outcome as never));
        // An op sweep's catching points count like caught cuts (their own results carry the repro).
        const sweepCatches = sweeps.catches();
        if (sweepCatches.length) await allure.attachment('catching sweep points', `${sweepCatches.length} op sweep point(s) ended in ${suite.expect.caughtWhen.join(', ')}`, 'text/plain');
        // Cuts the rig made impossible (it did not open, or failed mid-cut) leave the sweep undecided:
        // not catching the bug then is the rig's fault, never reported as the suite's (Allure broken, exit 3).
        const broken = (rig.openError ? points.length : results.filter((r) => r.outcome === 'rig-error').length) + sweeps.broken();
        const undecided = caught.length === 0 && sweepCatches.length === 0 && broken > 0;
        const what = sweepRuns.length ? `${points.length + sweepRuns.length} cuts and op sweeps` : `${points.length} cuts`;
        const message = `${broken} of ${what} were rig errors: the sweep could not tell whether it catches the bug`;
        record({
          kind: 'detection',
          suite: suite.name,
          rig: config.name,
          ...(variant && { variant }),
          expect: entry.expect,
          test: 'catches the seeded bug',
          trigger: '-',
          outcome: caught.length || sweepCatches.length ? 'caught' : 'missed',
          status: undecided ? 'broken' : (caught.length || sweepCatches.length) && results.length === points.length ? 'passed' : 'failed',
          repro: caught[0]?.repro ?? (sweepCatches.length ? `(an op sweep point: see the sweep's results)` : ''),
          ...(undecided && { message }),
        });
        if (undecided) throw new RigError(message);
        expect({ cuts: results.length, caught: caught.length + sweepCatches.length > 0 }).toEqual({ cuts: points.length, caught: true });
      });
    }
  });
}
