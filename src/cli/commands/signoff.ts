import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { displayFile } from '../../config/errors.js';
import { defaultWorkers } from '../../scenario/sweep/engine.js';
import { percent, share } from '../../signoff/judge.js';
import { loadSignoff } from '../../signoff/load.js';
import type { CellResult, SignoffReport } from '../../signoff/report.js';
import { runSignoff } from '../../signoff/run.js';
import { generateHtml } from '../../report/campaign.js';
import { numberOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { signoffHelp } from './signoff.help.js';

const MAX_WORKERS = 64;

function cellLine(c: CellResult): string {
  const rate = c.rate === null ? 'no device result' : `${percent(c.rate)} recovered, bound ${percent(c.bound.lower)}`;
  const apart = c.rigErrors.count ? `, ${c.rigErrors.count} rig errors` : '';
  return `${c.status.toUpperCase().padEnd(10)} ${c.rig}${c.runner === 'replay' ? ' (replay)' : ''} × ${c.path} × ${c.mode}: ${c.deviceResults} cuts, ${rate}${apart}${c.status === 'pass' ? '' : ` (${c.reasons.join('; ')})`}`;
}

function summary(report: SignoffReport): string {
  const t = report.threshold;
  const lines = [
    `sign-off ${report.signoff.name}: ${report.verdict.toUpperCase()} (recovery >= ${share(t.recovery)} at ${share(t.confidence)} confidence, Wilson z = ${t.z.toFixed(3)}; a cell needs >= ${t.pointsNeeded} cuts, all recovered)`,
    ...report.cells.filter((c) => c.status !== 'n/a').map(cellLine),
  ];
  const na = report.totals.notApplicable;
  if (na) lines.push(`(${na} cell${na === 1 ? '' : 's'} not applicable: a mode the rig's runner cannot cut; see the page)`);
  lines.push(`page: ${displayFile(report.files.page)}`);
  return lines.join('\n');
}

function progress(out: Output): (done: number, total: number) => void {
  const started = Date.now();
  return (done, total) => {
    const s = (Date.now() - started) / 1000;
    out.progress(`  ${done}/${total} points${s > 0 ? `, ${Math.round(done / s)}/s` : ''}`, done === total);
  };
}

export const signoffCommand: Command = {
  ...signoffHelp,
  async run({ values, positionals, out, signal }) {
    if (positionals.length > 1) throw new UsageError(`one sign-off file, got ${positionals.length}: ${positionals.join(' ')}\nusage: ${this.usage}`);
    const file = resolve(positionals[0] ?? 'signoff.yaml');
    if (positionals.length === 0 && !existsSync(file)) throw new UsageError(`no signoff.yaml in ${process.cwd()}: name the sign-off file\nusage: ${this.usage}`);
    const workers = numberOption(values, 'workers', defaultWorkers(), { integer: true, min: 0, max: MAX_WORKERS });
    const reportsDir = typeof values.reports === 'string' && values.reports !== '' ? values.reports : 'reports';
    const plan = await loadSignoff(file);
    const runnable = plan.cells.filter((c) => !c.notApplicable).length;
    out.info(
      `sign-off ${plan.name}: ${plan.rigs.length} rigs × ${plan.paths.length} update paths × ${plan.modes.length} cut modes = ${runnable} cells` +
        `${plan.cells.length > runnable ? ` (+${plan.cells.length - runnable} not applicable)` : ''}; threshold ${share(plan.threshold.recovery)} at ${share(plan.threshold.confidence)}: >= ${plan.threshold.pointsNeeded} cuts per cell`,
    );
    let onProgress = progress(out);
    const report = await runSignoff(plan, {
      reportsDir,
      workers,
      ...(signal && { signal }),
      allure: values['no-allure'] !== true,
      onCellStart: (cell, i, n) => {
        onProgress = progress(out);
        const planned = cell.plannedPoints !== undefined && cell.plannedPoints < plan.threshold.pointsNeeded ? ` (only ${cell.plannedPoints} cuts: it cannot reach the threshold)` : '';
        out.info(`cell ${i + 1}/${n}: ${cell.rig.config.name} × ${cell.path.name} × ${cell.mode.label} [${cell.rig.runner}]${planned}`);
      },
      onProgress: (done, total) => onProgress(done, total),
      onCellDone: (c) => {
        out.endProgress();
        out.info(`  ${cellLine(c)}`);
      },
    });
    out.endProgress();
    if (out.json) out.printJson(report);
    else out.data(summary(report));
    if (report.files.allure) {
      out.info(`Allure result written to ${displayFile(report.files.allure)}`);
      // The sign-off's own Allure report beside its page (the page, the JSON and every map attached):
      // a lab's report viewer shows it like a campaign's. A failure to build it is a warning, never the verdict.
      if (!signal?.aborted) {
        try {
          const html = await generateHtml({ results: report.files.allure, html: join(dirname(report.files.allure), 'html') }, signal);
          out.info(`Allure report: ${displayFile(html)}`);
        } catch (err) {
          out.warn(`the sign-off's Allure report was not generated: ${(err as Error).message}`);
        }
      }
    }
    return report.exitCode;
  },
};
