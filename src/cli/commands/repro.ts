import { existsSync } from 'node:fs';
import { ExitCode, UsageError } from '../../core/errors.js';
import { displayFile } from '../../config/errors.js';
import { reproId, type ReproRecord } from '../../report/repro-record.js';
import { REPRO_ID, reproFromFile, reproFromId, type FoundRepro } from '../../report/repro-find.js';
import { storedReproFile } from '../../report/repro-store.js';
import { numberOption, type Command } from '../command.js';
import type { Output } from '../output.js';
import { resolveReproImages, type ResolvedImages } from './repro-images.js';
import { cutReplayer, sweepPointReplayer, type ReplayRun } from './repro-replay.js';
import { reproHelp } from './repro.help.js';

const MAX_TIMES = 10_000;
const DEFAULT_RESULTS = 'reports/allure-results';

/** A replay gave the recorded outcome (and, when the record says, the same agreement of console and flash). */
export function reproduced(record: ReproRecord, run: ReplayRun): boolean {
  return run.outcome === record.seen && (record.agree === undefined || run.agree === undefined || run.agree === record.agree);
}

function find(arg: string, resultsDir: string): FoundRepro {
  // An id is 8 hex digits; a file of that name (unlikely) is still a file.
  if (REPRO_ID.test(arg) && !existsSync(arg)) {
    // hil sweep's failing points are stored under their id; hil run's travel in the Allure results.
    const stored = storedReproFile(arg);
    return existsSync(stored) ? reproFromFile(stored) : reproFromId(arg, resultsDir);
  }
  return reproFromFile(arg);
}

function imageLines(images: ResolvedImages, record: ReproRecord): string[] {
  const line = (label: string, key: 'from' | 'to' | 'previous') => {
    const r = images[key];
    const rec = record.images[key];
    if (!r || !rec) return [];
    const moved = r.moved ? ` (found by sha256: the recorded ${r.moved.was} ${r.moved.why === 'no such file' ? 'is gone' : r.moved.why})` : '';
    return [`  ${label.padEnd(9)} ${displayFile(r.file)} sha256 ${rec.sha256.slice(0, 12)}…${moved}`];
  };
  return [...line('image A', 'from'), ...line('image B', 'to'), ...line('previous', 'previous')];
}

function outcomeCounts(runs: readonly ReplayRun[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  return [...counts].map(([o, n]) => (runs.length > 1 ? `${o} x${n}` : o)).join(', ');
}

function printText(out: Output, c: { id: string; found: FoundRepro; describe: string; images: ResolvedImages; runs: ReplayRun[]; ok: number; cutLine?: string }): void {
  const { record } = c.found;
  const last = c.runs.find((r) => !reproduced(record, r)) ?? c.runs[c.runs.length - 1]!;
  const lines = [
    `repro ${c.id}: ${c.describe}`,
    ...(c.found.resultFile ? [`  result    ${displayFile(c.found.resultFile)}${c.found.status ? ` (${c.found.status})` : ''}`] : []),
    ...(record.suite ? [`  suite     ${record.suite.name} (${record.suite.file})`] : []),
    ...imageLines(c.images, record),
    `expected:  ${record.expected.join(' | ')}`,
    `recorded:  ${record.seen}${record.agree === false ? ' (console and flash disagreed)' : ''}`,
    `seen:      ${outcomeCounts(c.runs)}${last.agree === false ? ' (console and flash disagree)' : ''}`,
    ...last.reasons.map((r) => `  - ${r}`),
    ...(last.rigError ? [`rig error: ${last.rigError}`] : []),
  ];
  if (last.console.length)
    lines.push(
      `console (last ${last.console.length} lines${c.runs.length > 1 ? `, ${last === c.runs[c.runs.length - 1] ? 'last run' : 'first run that differed'}` : ''}):`,
      ...last.console.map((l) => `  ${l}`),
    );
  lines.push(`${c.ok === c.runs.length ? 'reproduced' : 'NOT reproduced'}: ${c.ok}/${c.runs.length} replays gave the recorded outcome ${record.seen}`);
  out.data(lines.join('\n'));
  if (c.cutLine) out.info(`hil cut line: ${c.cutLine}`);
}

export const reproCommand: Command = {
  ...reproHelp,
  async run({ values, positionals, out, signal }) {
    if (positionals.length !== 1)
      throw new UsageError(`expected one result file or repro id, got ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}\nusage: ${this.usage}`);
    const arg = positionals[0]!;
    const times = numberOption(values, 'times', 1, { integer: true, min: 1, max: MAX_TIMES });
    const resultsDir = (values.results as string | undefined) ?? DEFAULT_RESULTS;
    const found = find(arg, resultsDir);
    const { record } = found;
    const id = found.id ?? reproId(record);
    const where = displayFile(found.resultFile ?? arg);
    const images = resolveReproImages(record, { ...(found.resultFile && { resultFile: found.resultFile }), imageDirs: (values.images as string[] | undefined) ?? [] });
    const replayer = record.kind === 'cut' ? await cutReplayer(record, images, where, found.resultFile) : await sweepPointReplayer(record, images, where, found.resultFile);

    out.info(`repro ${id}: ${replayer.describe}${times > 1 ? `, ${times} times` : ''}`);
    const runs: ReplayRun[] = [];
    for (let i = 0; i < times; i++) {
      signal?.throwIfAborted();
      const run = await replayer.run({ out, signal });
      runs.push(run);
      if (times > 1) out.progress(`${i + 1}/${times}: ${run.outcome}`, i + 1 === times);
    }
    out.endProgress();
    const ok = runs.filter((r) => reproduced(record, r)).length;
    const cutLine = replayer.cutLine;
    if (out.json) {
      out.printJson({
        id,
        kind: record.kind,
        ...(found.resultFile && { result: found.resultFile }),
        expected: record.expected,
        recorded: record.seen,
        seen: runs.map((r) => r.outcome),
        times,
        reproduced: ok,
        ok: ok === times,
        images: Object.fromEntries(Object.entries(images).map(([k, v]) => [k, { file: v.file, ...(v.moved && { moved: v.moved }) }])),
        runs: runs.map((r) => ({ ...r, reproduced: reproduced(record, r) })),
        ...(cutLine && { cutLine }),
        record,
      });
    } else printText(out, { id, found, describe: replayer.describe, images, runs, ok, ...(cutLine && { cutLine }) });
    // The rig failing is not the device differing: exit 3, as hil cut does.
    if (record.seen !== 'rig-error' && runs.some((r) => r.outcome === 'rig-error')) return ExitCode.rigUnavailable;
    return ok === times ? ExitCode.ok : ExitCode.testFailures;
  },
};
