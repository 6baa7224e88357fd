/**
 * The release gate (a campaign file's `gate:`) over a run's results, counted as the summary table
 * counts them (an op sweep's points each count; src/report/sweep-summary.ts). Its rules are named
 * after Allure 3's quality-gate rules where one matches (maxFailures, minTestsCount,
 * environmentsTested), but are evaluated here: hil builds its report with `allure generate`,
 * which does not run Allure's gate, and Allure's maxFailures counts broken results (rig errors)
 * with failed ones, which a lab must keep apart.
 *
 * Exit code: 0 when every rule holds. Otherwise 1 (a device failure: the release is not safe) when
 * maxFailures fails; else 3 (the rig: nothing proves the device either way) when rig errors or an
 * untested rig fail it; else 1 (too few tests, or Jest failed without a result saying why).
 */
import { ExitCode } from '../core/errors.js';
import type { CampaignGate } from '../config/campaign-schema.js';
import type { CutRecord } from '../report/plan.js';

export interface GateRule {
  rule: 'maxFailures' | 'minTests' | 'everyRigTested' | 'maxRigErrors' | 'jest';
  ok: boolean;
  expected: number | string[];
  actual: number | string[];
  message: string;
}

export interface GateResult {
  passed: boolean;
  rules: GateRule[];
  exitCode: number;
}

/**
 * `records`: the run's results as the summary counts them; `rigs`: the rig names the campaign
 * listed (as results name them, variant tags included); `jestExitCode`: Jest's own verdict.
 */
export function evaluateGate(gate: CampaignGate, records: readonly CutRecord[], rigs: readonly string[], jestExitCode = 0): GateResult {
  const failed = records.filter((r) => r.status === 'failed').length;
  const broken = records.filter((r) => r.status === 'broken').length;
  const tested = new Set(records.filter((r) => r.status !== 'broken').map((r) => r.rig));
  const untested = [...new Set(rigs)].filter((r) => !tested.has(r));
  const rules: GateRule[] = [
    {
      rule: 'maxFailures',
      ok: failed <= gate.maxFailures,
      expected: gate.maxFailures,
      actual: failed,
      message: `${failed} device failure(s), ${failed <= gate.maxFailures ? 'within' : 'more than'} the ${gate.maxFailures} allowed`,
    },
    {
      rule: 'minTests',
      ok: records.length >= gate.minTests,
      expected: gate.minTests,
      actual: records.length,
      message: `${records.length} test(s) ran, ${records.length >= gate.minTests ? 'at least' : 'fewer than'} the ${gate.minTests} required`,
    },
    {
      rule: 'maxRigErrors',
      ok: broken <= gate.maxRigErrors,
      expected: gate.maxRigErrors,
      actual: broken,
      message: `${broken} rig error(s), ${broken <= gate.maxRigErrors ? 'within' : 'more than'} the ${gate.maxRigErrors} allowed`,
    },
  ];
  if (gate.everyRigTested)
    rules.push({
      rule: 'everyRigTested',
      ok: untested.length === 0,
      expected: [...new Set(rigs)],
      actual: untested,
      message: untested.length ? `not tested (no device result): ${untested.join(', ')}` : `every listed rig tested (${new Set(rigs).size})`,
    });
  // Jest failing with every recorded result green: a test file that never ran its tests.
  if (jestExitCode !== 0 && failed === 0 && broken === 0)
    rules.push({ rule: 'jest', ok: false, expected: 0, actual: jestExitCode, message: `Jest exited ${jestExitCode} without a failing result (see its output)` });
  const bad = new Set(rules.filter((r) => !r.ok).map((r) => r.rule));
  const exitCode = !bad.size ? ExitCode.ok : bad.has('maxFailures') ? ExitCode.testFailures : bad.has('maxRigErrors') || bad.has('everyRigTested') ? ExitCode.rigUnavailable : ExitCode.testFailures;
  return { passed: bad.size === 0, rules, exitCode };
}

export function formatGate(name: string, result: GateResult): string {
  const lines = [`gate (${name}): ${result.passed ? 'passed' : 'FAILED'}`];
  for (const r of result.rules) lines.push(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.rule}: ${r.message}`);
  return lines.join('\n');
}
