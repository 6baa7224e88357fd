/** The human table of `hil doctor`: one line per check, the fix under each warn or fail. */
import { displayFile } from '../config/index.js';
import type { DoctorReport } from './run.js';
import type { CheckStatus } from './types.js';

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };
/** ANSI colours, used only when the caller says the terminal takes them. */
const COLOUR: Record<CheckStatus, number> = { ok: 32, warn: 33, fail: 31, skip: 2 };

export interface FormatOptions {
  /** Colour a mark (Output.paint); identity when NO_COLOR or not a terminal. */
  paint?: (code: number, text: string) => string;
  /** Skipped checks are noise unless asked for (-v). */
  showSkipped?: boolean;
}

export function formatReport(report: DoctorReport, opts: FormatOptions = {}): string {
  const paint = opts.paint ?? ((_: number, t: string) => t);
  const shown = report.checks.filter((c) => opts.showSkipped || c.status !== 'skip');
  const width = Math.min(34, Math.max(0, ...shown.map((c) => c.title.length)));
  const lines: string[] = [];
  lines.push(report.rig ? `hil doctor: rig ${report.rig.name} (${displayFile(report.rig.file)})${report.rig.twin ? ', simulated (twin)' : ''}` : 'hil doctor: this machine (no --rig)');
  for (const c of shown) {
    lines.push(`  ${paint(COLOUR[c.status], MARK[c.status])} ${c.title.padEnd(width)}  ${c.detail}`);
    if (c.fix && (c.status === 'fail' || c.status === 'warn')) lines.push(`      fix: ${c.fix}`);
  }
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  const fails = count('fail');
  const warns = count('warn');
  const skipped = count('skip');
  const tally = [
    `${count('ok')} ok`,
    `${warns} warning${warns === 1 ? '' : 's'}`,
    `${fails} failed`,
    ...(skipped ? [`${skipped} not relevant${opts.showSkipped ? '' : ' (-v shows them)'}`] : []),
  ].join(', ');
  const verdict = report.rig ? (report.ok ? 'the rig can run' : 'the rig cannot run until the failures above are fixed') : report.ok ? 'this machine runs hil' : 'this machine cannot run hil';
  lines.push('', `${tally}: ${verdict}`);
  return lines.join('\n');
}
