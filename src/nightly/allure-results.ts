/**
 * What `hil run` adds to a run's Allure results once Jest is done, before the report is built:
 * board-keyed history ids (Allure's history and trends then follow the board, wherever its Pi and
 * whatever folder the run was written to), the --confirm replays on a failing result, and one
 * result for the release gate with the what-changed summary attached.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CutRecord } from '../report/plan.js';
import { compactResult } from '../report/compact-result.js';
import { REPRO_ATTACHMENT, REPRO_ID_PARAMETER, type ReproRecord } from '../report/repro-record.js';
import type { BoardIdentity } from './board.js';
import { testKey } from './history.js';
import { inputsId } from './inputs.js';

interface AllureStep {
  name?: string;
  status?: string;
  statusDetails?: { message?: string; trace?: string; flaky?: boolean };
  start?: number;
  stop?: number;
  stage?: string;
  steps?: AllureStep[];
  attachments?: { name: string; source: string; type?: string }[];
  parameters?: { name: string; value: string; excluded?: boolean }[];
}

export interface AllureResult extends AllureStep {
  uuid?: string;
  historyId?: string;
  testCaseId?: string;
  fullName?: string;
  titlePath?: string[];
  labels?: { name: string; value: string }[];
}

export interface ResultFile {
  file: string;
  result: AllureResult;
}

function readJson(file: string): AllureResult | undefined {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as AllureResult) : undefined;
  } catch {
    return undefined;
  }
}

/** Written beside and renamed, as Allure does: a reader never sees half a file. */
function writeJson(file: string, data: unknown): void {
  const tmp = join(file, '..', `.hil-write-${basename(file)}.tmp`);
  writeFileSync(tmp, JSON.stringify(data));
  renameSync(tmp, file);
}

export function readResults(dir: string): ResultFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('-result.json'))
    .flatMap((n) => {
      const result = readJson(join(dir, n));
      return result ? [{ file: join(dir, n), result }] : [];
    });
}

function attachments(node: AllureStep): { name: string; source: string }[] {
  return [...(node.attachments ?? []), ...(node.steps ?? []).flatMap(attachments)];
}

/** repro id -> inputs id, from each result's repro.json attachment. */
export function inputsByReproId(dir: string, results: readonly ResultFile[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const { result } of results) {
    const id = result.parameters?.find((p) => p.name === REPRO_ID_PARAMETER)?.value;
    const source = attachments(result).find((a) => a.name === REPRO_ATTACHMENT)?.source;
    if (!id || !source || basename(source) !== source) continue;
    try {
      out.set(id, inputsId(JSON.parse(readFileSync(join(dir, source), 'utf8')) as ReproRecord));
    } catch {
      // an attachment that cannot be read: the test is then compared by status alone
    }
  }
  return out;
}

/** The record a result stands for: by its repro id, else by its name under `SUITE on RIG`. */
export function recordOfResult(result: AllureResult, records: readonly CutRecord[]): CutRecord | undefined {
  const id = result.parameters?.find((p) => p.name === REPRO_ID_PARAMETER)?.value;
  if (id) {
    const r = records.find((x) => x.reproId === id);
    if (r) return r;
  }
  const parent = result.labels?.find((l) => l.name === 'parentSuite')?.value;
  return records.find((x) => x.test === result.name && parent === `${x.suite} on ${x.rig}`);
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * Gives every result of a known record a history id from its board and test key, the same on every
 * run of that board: Allure's own ids hash the generated test file's path, which holds the reports
 * folder and the plan's order. Every result is also compacted (../report/compact-result.ts).
 * Returns how many results were stamped.
 */
export function stampBoardHistoryIds(results: readonly ResultFile[], records: readonly CutRecord[], boardOf: (rig: string) => BoardIdentity): number {
  let n = 0;
  for (const { file, result } of results) {
    const compacted = compactResult(result);
    const record = recordOfResult(result, records);
    if (!record) {
      if (compacted) writeJson(file, result);
      continue;
    }
    const board = boardOf(record.rig);
    const id = md5(`${board.key}\u0000${testKey(record)}`);
    result.testCaseId = id;
    result.historyId = id;
    const labels = (result.labels ?? []).filter((l) => l.name !== 'board serial');
    labels.push({ name: 'board serial', value: board.key });
    result.labels = labels;
    writeJson(file, result);
    n++;
  }
  return n;
}

export interface ConfirmRun {
  outcome: string;
  reproduced: boolean;
  rigError?: string;
}

export interface Confirmation {
  times: number;
  reproduced: number;
  /** deterministic (N/N), intermittent (k/N), not reproduced (0/N). */
  label: 'deterministic' | 'intermittent' | 'not reproduced';
  runs: ConfirmRun[];
}

export function confirmLabel(reproduced: number, times: number): Confirmation['label'] {
  return reproduced === times ? 'deterministic' : reproduced === 0 ? 'not reproduced' : 'intermittent';
}

/**
 * Adds the --confirm replays to a failing result: one step per replay (failed when it gave the
 * recorded failure again, passed when it did not), a `confirm` label and parameter, and Allure's
 * flaky mark when not every replay failed. The result's own status stays as it was: a replay
 * that passes never turns a failure green.
 */
export function addConfirmation(file: string, result: AllureResult, c: Confirmation, recorded: string): void {
  const now = Date.now();
  const steps = c.runs.map((r, i): AllureStep => ({
    name: `confirm ${i + 1}/${c.times}: ${r.outcome}${r.rigError ? ` (rig error: ${r.rigError})` : ''}${r.reproduced ? ` (the recorded ${recorded} again)` : ` (not the recorded ${recorded})`}`,
    status: r.rigError ? 'broken' : r.reproduced ? 'failed' : 'passed',
    stage: 'finished',
    start: now,
    stop: now,
    steps: [],
    attachments: [],
    parameters: [],
  }));
  const text = `${c.label} ${c.reproduced}/${c.times}`;
  result.steps = [
    ...(result.steps ?? []),
    { name: `confirm: ${text} replays gave ${recorded} again`, status: result.status ?? 'failed', stage: 'finished', start: now, stop: now, steps, attachments: [], parameters: [] },
  ];
  result.labels = [...(result.labels ?? []).filter((l) => !(l.name === 'tag' && l.value.startsWith('confirm:'))), { name: 'tag', value: `confirm:${c.label}` }];
  result.parameters = [...(result.parameters ?? []).filter((p) => p.name !== 'confirm'), { name: 'confirm', value: text, excluded: true }];
  if (c.label !== 'deterministic') result.statusDetails = { ...result.statusDetails, flaky: true };
  writeJson(file, result);
}

/**
 * One result for the release gate: passed or failed as the gate is, one step per rule, the
 * what-changed summary and the gate as attachments. Its history id is the campaign's, so the
 * report's history shows the gate night after night.
 */
export function writeGateResult(
  dir: string,
  g: { campaign: string; passed: boolean; rules: { rule: string; ok: boolean; message: string }[]; changes: string; changesJson: unknown; start: number; trend?: string },
): string {
  const uuid = randomUUID();
  const stop = Date.now();
  const attach = (name: string, text: string, type: string, ext: string) => {
    const source = `${randomUUID()}-attachment.${ext}`;
    writeFileSync(join(dir, source), text);
    return { name, source, type };
  };
  const failedRules = g.rules.filter((r) => !r.ok);
  const result: AllureResult = {
    uuid,
    historyId: md5(`gate\u0000${g.campaign}`),
    testCaseId: md5(`gate\u0000${g.campaign}`),
    name: `release gate: campaign ${g.campaign}`,
    fullName: `hilrig:campaign ${g.campaign}#release gate`,
    status: g.passed ? 'passed' : 'failed',
    statusDetails: g.passed ? {} : { message: failedRules.map((r) => `${r.rule}: ${r.message}`).join('\n') },
    stage: 'finished',
    start: g.start,
    stop,
    labels: [
      { name: 'parentSuite', value: `campaign ${g.campaign}` },
      { name: 'epic', value: g.campaign },
      { name: 'tag', value: 'release-gate' },
    ],
    parameters: [],
    steps: g.rules.map((r) => ({ name: `${r.rule}: ${r.message}`, status: r.ok ? 'passed' : 'failed', stage: 'finished', start: stop, stop, steps: [], attachments: [], parameters: [] })),
    attachments: [
      attach('what changed', g.changes, 'text/plain', 'txt'),
      attach('what changed (json)', JSON.stringify(g.changesJson, null, 2), 'application/json', 'json'),
      ...(g.trend ? [attach('trend per rig', g.trend, 'image/svg+xml', 'svg')] : []),
    ],
  };
  writeJson(join(dir, `${uuid}-result.json`), result);
  return uuid;
}
