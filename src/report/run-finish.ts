/**
 * The end of a `hil run`, in its own folder (./run-folder.ts): how it ended in run.json, an
 * interrupted run marked as such where a reader looks (an INTERRUPTED file, a broken Allure result
 * and the report's environment, the JUnit file), junit.xml, then `reports/latest` moved to it if
 * it is complete, and the oldest runs beyond the ones to keep removed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRig, loadSuite, suiteCutPoints, type RigConfig, type SuiteConfig } from '../config/index.js';
import { writeJUnit, type JUnitSuiteKey } from './junit.js';
import type { CutRecord, PlanEntry } from './plan.js';
import { INTERRUPTED_MARKER, pointLatest, pruneRuns, readPlanFile, readRunInfo, resolveLatest, writeRunInfo, type RunInfo, type RunState } from './run-folder.js';

/** What finishRun needs of the campaign's paths (./campaign.ts). */
export interface RunPaths {
  reports: string;
  id: string;
  campaign: string;
  run: string;
  results: string;
  junit: string;
  keep: number;
}

export interface RunEnd {
  state: Exclude<RunState, 'running'>;
  records: readonly CutRecord[];
  plan: readonly Omit<PlanEntry, 'resultsFile'>[];
  now?: Date;
}

/** Records the run's end; returns its run.json. Never throws for a report detail (the run's verdict stands). */
export async function finishRun(paths: RunPaths, end: RunEnd): Promise<RunInfo> {
  const now = end.now ?? new Date();
  const context = await planContext(end.plan);
  const finishedCuts = end.records.filter((r) => r.kind === 'cut').length;
  const before = readRunInfo(paths.run);
  const info: RunInfo = {
    id: paths.id,
    campaign: paths.campaign,
    host: before?.host ?? '',
    pid: before?.pid ?? process.pid,
    started: before?.started ?? now.toISOString(),
    state: end.state,
    finished: now.toISOString(),
    cuts: { finished: finishedCuts, ...(context.plannedCuts !== undefined && { planned: context.plannedCuts }) },
    results: end.records.length,
  };
  if (end.state !== 'complete') info.reason = reasonOf(end.state, finishedCuts, context.plannedCuts, end.records.length);
  if (end.state === 'interrupted') {
    writeFileSync(join(paths.run, INTERRUPTED_MARKER), `${info.reason}\n`);
    writeInterruptedResult(paths, info.reason!, new Date(info.started), now);
  }
  writeEnvironment(paths, info);
  try {
    junitOf(paths, end.records, info, context);
  } catch (err) {
    process.stderr.write(`hil run: could not write ${paths.junit}: ${(err as Error).message}\n`);
  }
  writeRunInfo(paths.run, info);
  // Only a run that went to its end may stand for "the last results"; the others stay beside it.
  if (end.state === 'complete') pointLatest(paths.reports, paths.run);
  const latest = resolveLatest(paths.reports);
  pruneRuns(paths.reports, paths.keep, [paths.run, ...(latest ? [latest] : [])]);
  return info;
}

function junitOf(paths: RunPaths, records: readonly CutRecord[], info: RunInfo, context: PlanContext): string {
  return writeJUnit(paths, records, {
    timestamp: new Date(info.started),
    ...(info.host && { hostname: info.host }),
    resultsDir: paths.results,
    properties: (key) => context.properties(key),
    safe: (suite) => context.safe.get(suite),
    run: { campaign: paths.campaign, run: paths.id },
    ...(info.state === 'interrupted' && info.reason && { interrupted: info.reason }),
  });
}

/**
 * junit.xml again from these records: for a step after the run that changes them (`hil run
 * --confirm N` adds each failure's confirmation). The run's end (run.json) says the rest.
 */
export async function writeRunJUnit(paths: RunPaths, records: readonly CutRecord[]): Promise<string> {
  const info = readRunInfo(paths.run) ?? { id: paths.id, campaign: paths.campaign, state: 'complete', started: new Date().toISOString(), host: '', pid: process.pid };
  return junitOf(paths, records, info, await planContext(readPlanFile(paths.run)));
}

function reasonOf(state: RunState, cuts: number, planned: number | undefined, results: number): string {
  const other = results - cuts;
  const done = `${cuts}${planned !== undefined ? ` of ${planned}` : ''} cuts${other > 0 ? ` (and ${other} op sweep, sweep point and detection results)` : ''}`;
  return state === 'interrupted' ? `interrupted after ${done}` : `Jest did not run the campaign (${done})`;
}

interface PlanContext {
  plannedCuts?: number;
  safe: Map<string, readonly string[]>;
  properties(key: JUnitSuiteKey): Record<string, string> | undefined;
}

/**
 * What the records do not carry, from the plan's files: planned cuts, the outcomes each suite
 * counts as safe, and per (suite, rig) the rig file, board and images. Files that no longer load
 * (edited meanwhile) only leave those details out.
 */
async function planContext(plan: readonly Omit<PlanEntry, 'resultsFile'>[]): Promise<PlanContext> {
  const suites = new Map<string, SuiteConfig | undefined>();
  const rigs = new Map<string, RigConfig | undefined>();
  const shas = new Map<string, string | undefined>();
  const props = new Map<string, Record<string, string>>();
  const safe = new Map<string, readonly string[]>();
  let planned: number | undefined = 0;
  for (const e of plan) {
    if (!suites.has(e.suiteFile)) suites.set(e.suiteFile, await loadSuite(e.suiteFile).catch(() => undefined));
    const suite = suites.get(e.suiteFile);
    if (!rigs.has(e.rigFile)) rigs.set(e.rigFile, await loadRig(e.rigFile).catch(() => undefined));
    const rig = rigs.get(e.rigFile);
    if (!suite || !rig) {
      planned = undefined;
      continue;
    }
    if (planned !== undefined) planned += suiteCutPoints(suite).length;
    safe.set(suite.name, suite.expect.safe);
    const p: Record<string, string> = { 'suite file': e.suiteFile, 'rig file': rig.file, scheme: rig.scheme };
    if (rig.board?.serial) p['board serial'] = rig.board.serial;
    if (rig.board?.label) p['board label'] = rig.board.label;
    // A multi-stage update's `via` images are listed one by one (image via 1, ...).
    const images = Object.entries(suite.images).flatMap(([which, f]): [string, string][] => (Array.isArray(f) ? f.map((v, i) => [`${which} ${i + 1}`, v]) : f ? [[which, f]] : []));
    for (const [which, file] of images) {
      p[`image ${which}`] = file;
      if (!shas.has(file)) shas.set(file, sha256Of(file));
      const sha = shas.get(file);
      if (sha) p[`image ${which} sha256`] = sha;
    }
    // Keyed by suite and rig: a twin variant (the rig file's or the suite's) changes none of these.
    props.set(JSON.stringify([suite.name, rig.name]), p);
  }
  if (!plan.length) planned = undefined;
  return {
    ...(planned !== undefined && { plannedCuts: planned }),
    safe,
    properties: (key) => props.get(JSON.stringify([key.suite, key.rig])),
  };
}

function sha256Of(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * The report of an interrupted run says so on its first page: one broken result named for what
 * happened (Allure counts it with the rig errors), beside the results of the cuts that finished.
 */
function writeInterruptedResult(paths: RunPaths, reason: string, start: Date, stop: Date): void {
  if (!existsSync(paths.results)) return;
  const uuid = randomUUID();
  const result = {
    uuid,
    historyId: `hil-run-interrupted-${paths.campaign}`,
    testCaseId: `hil-run-interrupted-${paths.campaign}`,
    name: `hil run ${reason}`,
    fullName: `hil run: ${paths.id}`,
    status: 'broken',
    statusDetails: { message: `${reason}: the results beside this one are the cuts that finished. This run (${paths.id}) is not reports/latest.` },
    stage: 'finished',
    start: start.getTime(),
    stop: stop.getTime(),
    labels: [
      { name: 'parentSuite', value: 'hil run' },
      { name: 'epic', value: paths.campaign },
      { name: 'tag', value: 'interrupted' },
    ],
    parameters: [],
    links: [],
    steps: [],
    attachments: [],
  };
  writeFileSync(join(paths.results, `${uuid}-result.json`), JSON.stringify(result));
}

/** environment.properties: the report's Environment block names the run and how it ended. */
function writeEnvironment(paths: RunPaths, info: RunInfo): void {
  if (!existsSync(paths.results)) return;
  const lines = [`hil.run=${info.id}`, `hil.campaign=${info.campaign}`, `hil.run.state=${info.reason ?? info.state}`, `hil.run.started=${info.started}`];
  if (info.host) lines.push(`hil.host=${info.host}`);
  const file = join(paths.results, 'environment.properties');
  // Keep what another writer (allure-jest's environmentInfo) put there.
  const existing = existsSync(file) ? readFileSync(file, 'utf8').replace(/\n?$/, '\n') : '';
  writeFileSync(file, existing + lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\n') + '\n');
}
