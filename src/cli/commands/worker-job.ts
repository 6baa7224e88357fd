/**
 * `hil __lab-job`: the child process hil worker runs a job in — a suite (as `hil run`) or one
 * sign-off cell (as `hil signoff`). A process of its own per job gives the job its own environment
 * ($HIL_LAB_FENCE for every rig it opens, while other rigs of the same worker run other jobs) and a
 * clean way to stop it: SIGINT, handled like Ctrl-C.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { findLabCell } from '../../lab/signoff-cell.js';
import { signoffAllureDir } from '../../signoff/allure.js';
import { runSignoff } from '../../signoff/run.js';
import { requireOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { labJobHelp } from './worker.help.js';
import { runSuites } from './run.js';

/** One sign-off cell with the code of `hil signoff`: its page, signoff.json, maps and Allure result under REPORTS/signoff/. */
async function runCell(values: Record<string, unknown>, out: Output, signal: AbortSignal): Promise<number> {
  const file = resolve(requireOption(values, 'signoff', labJobHelp));
  const rig = resolve(requireOption(values, 'rig', labJobHelp));
  const cell = requireOption(values, 'cell', labJobHelp);
  const reports = requireOption(values, 'reports', labJobHelp);
  const { plan } = await findLabCell(requireOption(values, 'signoff-name', labJobHelp), cell, rig, file);
  const report = await runSignoff(plan, { reportsDir: reports, signal, allure: true });
  const c = report.cells[0]!;
  const summary = `sign-off ${plan.name} cell ${c.id} (${c.rig} × ${c.path} × ${c.mode}): ${c.status}, ${c.deviceResults} cuts${c.rate === null ? '' : `, ${(c.rate * 100).toFixed(1)}% recovered`}${c.status === 'pass' ? '' : ` (${c.reasons.join('; ')})`}`;
  if (out.json) out.printJson({ results: signoffAllureDir(reports), verdict: report.verdict, cell: c, summary });
  else out.data(summary);
  return report.exitCode;
}

export const labJobCommand: Command = {
  ...labJobHelp,
  async run({ values, out, signal }) {
    // The worker is our lifeline: its IPC channel closes when it dies (kill -9 included), and a
    // job nobody will report must not go on driving the rig; its lease lapses soon anyway.
    process.once('disconnect', () => process.kill(process.pid, 'SIGINT'));
    // …without keeping this process alive once the run is over.
    process.channel?.unref();
    if (values.signoff !== undefined) {
      if (values.suite !== undefined) throw new UsageError('--suite or --signoff, not both');
      return runCell(values, out, signal);
    }
    return runSuites({
      suites: [resolve(requireOption(values, 'suite', labJobHelp))],
      rig: resolve(requireOption(values, 'rig', labJobHelp)),
      campaign: requireOption(values, 'campaign', labJobHelp),
      reports: requireOption(values, 'reports', labJobHelp),
      workers: 1,
      confirm: 0,
      keep: 1,
      noHtml: true,
      out,
      signal,
    });
  },
};
