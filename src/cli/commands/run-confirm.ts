/**
 * `hil run --confirm N`: each failing result of the run is replayed N times through `hil repro`'s
 * own replay (repro-replay.ts: hil cut's path for a cut, the sweep engine for a sweep point), in
 * this process, without Jest, and labelled deterministic (N/N replays failed the same way),
 * intermittent (k/N) or not reproduced (0/N). On a real rig a cut's timing jitters, so one failure
 * alone does not say which it is.
 */
import { ConfigError } from '../../core/errors.js';
import type { CutRecord } from '../../report/plan.js';
import { reproFromFile } from '../../report/repro-find.js';
import { REPRO_ID_PARAMETER } from '../../report/repro-record.js';
import { addConfirmation, confirmLabel, type Confirmation, type ResultFile } from '../../nightly/allure-results.js';
import type { Output } from '../output.js';
import { resolveReproImages } from './repro-images.js';
import { cutReplayer, sweepPointReplayer } from './repro-replay.js';
import { reproduced } from './repro.js';

/** Failing results confirmed per run: the rest keep their single result (a run with hundreds of failures needs no more proof). */
export const MAX_CONFIRMED = 20;

export interface ConfirmOutcome {
  /** The records, each failing one that was replayed with its `confirm`. */
  records: CutRecord[];
  confirmed: number;
  skipped: { record: CutRecord; why: string }[];
}

/** Replays each failing record (with a repro id) `times` times and marks its record and Allure result. */
export async function confirmFailures(records: readonly CutRecord[], results: readonly ResultFile[], times: number, ctx: { out: Output; signal: AbortSignal }): Promise<ConfirmOutcome> {
  const out: CutRecord[] = [...records];
  const skipped: ConfirmOutcome['skipped'] = [];
  let confirmed = 0;
  const byId = new Map<string, ResultFile>();
  for (const r of results) {
    const id = r.result.parameters?.find((p) => p.name === REPRO_ID_PARAMETER)?.value;
    if (id) byId.set(id, r);
  }
  for (const [i, record] of records.entries()) {
    if (record.status !== 'failed' || (record.kind !== 'cut' && record.kind !== 'sweep-point')) continue;
    if (ctx.signal.aborted) break;
    const found = record.reproId ? byId.get(record.reproId) : undefined;
    if (!found) {
      skipped.push({ record, why: 'no result with its repro id' });
      continue;
    }
    if (confirmed >= MAX_CONFIRMED) {
      skipped.push({ record, why: `only the first ${MAX_CONFIRMED} failing results are confirmed` });
      continue;
    }
    let confirmation: Confirmation;
    try {
      confirmation = await confirmOne(found.file, times, record, ctx);
    } catch (err) {
      // A record that cannot be replayed (an image gone, a rig file changed) keeps its result as it was.
      if (!(err instanceof ConfigError)) throw err;
      skipped.push({ record, why: err.message });
      continue;
    }
    addConfirmation(found.file, found.result, confirmation, record.outcome);
    out[i] = { ...record, confirm: { times: confirmation.times, reproduced: confirmation.reproduced, label: confirmation.label, outcomes: confirmation.runs.map((r) => r.outcome) } };
    confirmed++;
  }
  return { records: out, confirmed, skipped };
}

async function confirmOne(resultFile: string, times: number, record: CutRecord, ctx: { out: Output; signal: AbortSignal }): Promise<Confirmation> {
  const found = reproFromFile(resultFile);
  const images = resolveReproImages(found.record, { resultFile });
  const replayer = found.record.kind === 'cut' ? await cutReplayer(found.record, images, resultFile, resultFile) : await sweepPointReplayer(found.record, images, resultFile, resultFile);
  const runs: Confirmation['runs'] = [];
  for (let n = 0; n < times; n++) {
    ctx.signal.throwIfAborted();
    const run = await replayer.run({ out: ctx.out, signal: ctx.signal });
    runs.push({ outcome: run.outcome, reproduced: reproduced(found.record, run), ...(run.rigError && { rigError: run.rigError }) });
    ctx.out.progress(`confirm ${record.suite} on ${record.rig}: ${record.test}: ${n + 1}/${times} ${run.outcome}`, n + 1 === times);
  }
  ctx.out.endProgress();
  const ok = runs.filter((r) => r.reproduced).length;
  return { times, reproduced: ok, label: confirmLabel(ok, times), runs };
}

/** The lines `hil run` prints after confirming. */
export function formatConfirm(c: ConfirmOutcome): string {
  const lines: string[] = [];
  for (const r of c.records) {
    if (!r.confirm) continue;
    lines.push(`confirm: ${r.suite} on ${r.rig}: ${r.test} -> ${r.outcome}: ${r.confirm.label} (${r.confirm.reproduced}/${r.confirm.times})`);
  }
  for (const s of c.skipped) lines.push(`confirm: ${s.record.suite} on ${s.record.rig}: ${s.record.test}: not confirmed: ${s.why}`);
  return lines.join('\n');
}
