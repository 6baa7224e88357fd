import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as allure from 'allure-js-commons';
import { RigError } from '../core/errors.js';
import { formatTrigger, loadSuite } from '../config/index.js';
import { openRig } from '../rig/open-rig.js';
import type { Rig } from '../rig/rig.js';
import { runCut, type CutResult } from '../scenario/cut.js';
import { prepareSuiteRig } from '../scenario/suite-run.js';
import { cutSummary, reproCommand } from './cut-summary.js';
import type { CutRecord, PlanEntry } from './plan.js';
import type { Lifeline } from './worker-environment.js';

/**
 * Declares the Jest tests of one (suite, rig) pair: one test per cut point, plus, on a rig
 * running a seeded bug, one test that the suite caught it. Rig errors throw RigError (Allure
 * `broken`); device results are `expect` assertions (Allure `failed`).
 */
export async function defineRigSuite(entry: PlanEntry): Promise<void> {
  const suite = await loadSuite(entry.suiteFile);
  const { config, scheme, setup, images, points, spec: specOf } = await prepareSuiteRig(suite, { path: entry.rigFile, ...(entry.twin && { twin: entry.twin }) });
  const { from, to, previous } = images;
  const results: CutResult[] = [];
  const variant = config.twin?.variant;

  // Set by `hil run`'s Jest environment: stops the cut and makes the rig safe if hil goes away.
  const lifeline = (globalThis as { hilLifeline?: Lifeline }).hilLifeline;
  const signal = lifeline?.signal;

  describe(`${suite.name} on ${config.name}`, () => {
    let rig: Rig | undefined;
    let openError: unknown;
    let unregister: (() => void) | undefined;
    beforeAll(async () => {
      try {
        rig = await openRig(config);
        const opened = rig;
        unregister = lifeline?.onStop(() => opened.close());
      } catch (err) {
        openError = err;
      }
    });
    afterAll(async () => {
      unregister?.();
      await rig?.close();
    });

    points.forEach((point, i) => {
      const trigger = formatTrigger(point.trigger);
      const spec = specOf(point, i);
      const { offMs, seed } = spec;
      const name = `cut ${String(i + 1).padStart(2, '0')}: ${trigger}${point.second !== undefined ? ` + ${point.second}ms into recovery` : ''}`;
      const repro = reproCommand({ rig: config.file, from: from.file, to: to.file, ...(previous && { previous: previous.file }), ...spec });
      it(name, async () => {
        await allure.epic(entry.campaign);
        await allure.feature(config.scheme);
        await allure.story(suite.name);
        await allure.label('board', config.name);
        await allure.label('mcu', config.target);
        await allure.label('bootloader', `${config.scheme}${variant ? `/${variant}` : ''}`);
        if (variant) await allure.tag(`variant:${variant}`);
        await allure.tag(entry.expect === 'caught' ? 'seeded-bug' : 'must-recover');
        await allure.parameter('rig', config.name);
        await allure.parameter('trigger', trigger);
        await allure.parameter('off ms', String(offMs));
        await allure.parameter('seed', String(seed));
        if (point.second !== undefined) await allure.parameter('second cut', `${point.second} ms after power returned`);
        if (setup !== scheme.setups[0]) await allure.parameter('setup', setup);
        await allure.parameter('image A sha256', from.sha256);
        await allure.parameter('image B sha256', to.sha256);
        await allure.parameter('rig file', config.file, { excluded: true });
        if (openError) {
          const err = openError instanceof RigError ? openError : new RigError(`rig did not open: ${(openError as Error).message}`);
          // Recorded like any broken cut, so the summary says which rig could not open and why.
          appendFileSync(
            entry.resultsFile,
            JSON.stringify({ kind: 'cut', suite: suite.name, rig: config.name, ...(variant && { variant }), expect: entry.expect, test: name, trigger, outcome: 'rig-error', status: 'broken', repro, message: err.message } satisfies CutRecord) + '\n',
          );
          throw err;
        }
        const record = (r: CutResult, status: CutRecord['status'], message?: string) =>
          appendFileSync(
            entry.resultsFile,
            JSON.stringify({
              kind: 'cut',
              suite: suite.name,
              rig: config.name,
              ...(variant && { variant }),
              expect: entry.expect,
              test: name,
              trigger,
              outcome: r.outcome,
              ...(r.verdict && { agree: r.verdict.agree }),
              status,
              ...(r.fired && { offsetMs: r.fired.offsetMs, phase: r.fired.devicePhase ?? r.fired.phase }),
              repro,
              ...(message && { message }),
            } satisfies CutRecord) + '\n',
          );
        const r = await allure.step(`cut at ${trigger}, off ${offMs} ms`, () =>
          runCut(rig!, scheme, images, spec, { ...(signal && { signal }) }),
        );
        results.push(r);
        await allure.parameter('outcome', r.outcome, { excluded: true });
        if (r.fired) {
          await allure.parameter('fired at ms', r.fired.offsetMs.toFixed(3), { excluded: true });
          await allure.parameter('phase', r.fired.devicePhase ?? r.fired.phase, { excluded: true });
          await allure.parameter('bytes acked', String(r.fired.acked), { excluded: true });
        }
        await allure.step(`console says: ${r.verdict?.fromConsole ?? '-'}`, () => {});
        await allure.step(`flash says: ${r.verdict?.fromFlash ?? '-'}`, () => {});
        await allure.attachment('summary', cutSummary(r), 'text/plain');
        await allure.attachment('console transcript', r.transcript || '(nothing received)', 'text/plain');
        await allure.attachment('event timeline', r.timeline, 'text/plain');
        await allure.attachment('repro command', repro, 'text/plain');
        if (r.outcome === 'rig-error') {
          record(r, 'broken', r.rigError);
          throw new RigError(r.rigError ?? 'rig error');
        }
        const ok = entry.expect === 'caught' || (suite.expect.safe.includes(r.outcome as never) && r.verdict?.agree !== false);
        record(r, ok ? 'passed' : 'failed');
        if (entry.expect === 'recovers') {
          // The diff of a failure shows the outcome, whether the sources agreed, and why.
          expect({ outcome: r.outcome, safe: ok, agree: r.verdict?.agree, reasons: r.verdict?.reasons ?? [] }).toMatchObject({ safe: true, agree: true });
        } else {
          // On a seeded-bug rig each cut only records what happened; the test below judges the sweep.
          expect(r.outcome).not.toBe('rig-error');
        }
      });
    });

    if (entry.expect === 'caught') {
      it(`catches the seeded bug (${variant ?? config.name})`, async () => {
        await allure.epic(entry.campaign);
        await allure.feature(config.scheme);
        await allure.story(suite.name);
        await allure.label('board', config.name);
        const table = results.map((r) => `${r.trigger.padEnd(28)} ${r.outcome}`).join('\n');
        await allure.attachment('outcomes by cut', table || '(no cut ran)', 'text/plain');
        const caught = results.filter((r) => suite.expect.caughtWhen.includes(r.outcome as never));
        const reproOf = (r: CutResult) => {
          const point = points[results.indexOf(r)]!;
          return reproCommand({
            rig: config.file,
            from: from.file,
            to: to.file,
            ...(previous && { previous: previous.file }),
            trigger: point.trigger,
            offMs: r.offMs,
            seed: r.seed,
            bootLoopCycles: suite.expect.bootLoopCycles,
            setup,
            ...(point.second !== undefined && { second: point.second }),
          });
        };
        const record: CutRecord = {
          kind: 'detection',
          suite: suite.name,
          rig: config.name,
          ...(variant && { variant }),
          expect: entry.expect,
          test: 'catches the seeded bug',
          trigger: '-',
          outcome: caught.length ? 'caught' : 'missed',
          status: caught.length && results.length === points.length ? 'passed' : 'failed',
          repro: caught[0] ? reproOf(caught[0]) : '',
        };
        appendFileSync(entry.resultsFile, JSON.stringify(record) + '\n');
        expect({ cuts: results.length, caught: caught.length > 0 }).toEqual({ cuts: points.length, caught: true });
      });
    }
  });
}
