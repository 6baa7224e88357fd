/**
 * A sign-off from its plan: every cell run in matrix order (rig, path, cut mode), judged, mapped;
 * then the page, the JSON and the Allure result written. Ctrl-C stops the cell in progress and
 * skips the rest: what was done is still written (verdict `interrupted`, exit 4).
 */
import { readFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../core/errors.js';
import type { Outcome } from '../config/vocabulary.js';
import { NEVER_ACCEPTABLE } from '../config/signoff-schema.js';
import { renderResilienceMap, writeResilienceMap } from '../report/maps/resilience-map.js';
import { loadUpdateImage } from '../scenario/update-image.js';
import { signoffAllureDir, writeSignoffAllure } from './allure.js';
import { judgeCell } from './judge.js';
import type { PlannedCell, SignoffPlan } from './load.js';
import { renderSignoffPage } from './page.js';
import { signoffTotals, type CellResult, type FailingPoint, type ImageEntry, type InventoryEntry, type SignoffReport } from './report.js';
import { replayCutLine, sweepPointLine } from './repro-lines.js';
import { runReplayCell, runSweepCell, sweepPointText, type CellRun } from './run-cell.js';
import { renderTimeMap } from './time-map.js';

/** Failing cuts and rig errors listed per cell (all are counted). */
const LISTED = 20;

export interface SignoffOptions {
  /** The reports folder: the page goes to DIR/signoff/index.html, the Allure result to its results. */
  reportsDir: string;
  workers?: number;
  signal?: AbortSignal;
  /** Write the Allure result (default true). */
  allure?: boolean;
  onCellStart?: (cell: PlannedCell, index: number, of: number) => void;
  onProgress?: (done: number, total: number) => void;
  onCellDone?: (cell: CellResult, index: number, of: number) => void;
}

/** hilrig's version, from its package.json (the page says which orchestrator judged). */
export function hilrigVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(resolve(here, up), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hilrig' && pkg.version) return pkg.version;
    } catch {
      // not there: the next candidate (src/ and dist/ sit at the same depth)
    }
  }
  return 'unknown';
}

function inventoryOf(plan: SignoffPlan): InventoryEntry[] {
  return plan.rigs.map((r) => {
    const c = r.config;
    const serial = c.board?.serial;
    const board = { serial: serial ?? c.name, ...(c.board?.label !== undefined && { label: c.board.label }), serialFromRigName: serial === undefined };
    return {
      rig: c.name,
      file: c.file,
      kind: r.kind,
      runner: r.runner,
      target: c.target,
      scheme: c.scheme,
      ...(c.twin?.variant !== undefined && { variant: c.twin.variant }),
      board,
      key: `${c.name}+${board.serial}`,
    };
  });
}

async function imagesOf(plan: SignoffPlan): Promise<ImageEntry[]> {
  const out: ImageEntry[] = [];
  const seen = new Set<string>();
  for (const cell of plan.cells) {
    const p = cell.path;
    for (const role of ['from', 'to', 'previous'] as const) {
      const file = p[role];
      if (file === undefined) continue;
      const key = `${p.index}/${role}/${cell.rig.config.scheme}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const image = await loadUpdateImage(file, cell.rig.config.scheme);
      out.push({ path: p.name, role, file, name: image.name, sha256: image.sha256, ...(image.version !== undefined && { version: image.version }), scheme: image.scheme });
    }
  }
  return out;
}

function axisOf(cell: PlannedCell): string {
  const m = cell.mode.mode;
  if (m.mode === 'range' && m.trigger === 'progress') return '% of the update acknowledged when the cut fired';
  if (m.mode === 'range' && m.trigger === 'marker') return 'marker edge (flash op started) the cut fired at';
  return 'ms after the update started when the cut fired';
}

/** A cell's result and its map (SVG) from what its run gave. */
function resultOf(plan: SignoffPlan, cell: PlannedCell, run: CellRun | undefined, seconds: number): { result: CellResult; svg?: string } {
  const base = { id: cell.id, rig: cell.rig.config.name, path: cell.path.name, mode: cell.mode.label, runner: cell.rig.runner };
  const outcomes: Partial<Record<Outcome, number>> = {};
  const failing: FailingPoint[] = [];
  const safe = plan.expect.safe as readonly string[];
  const cycles = plan.expect.bootLoopCycles;
  // The repro line is built only for the cuts listed (a seeded bug may fail thousands).
  const add = (outcome: Outcome, point: string, reasons: readonly string[], repro: () => string) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (!safe.includes(outcome)) failing.push({ point, outcome, reasons: [...reasons], repro: failing.length < LISTED * 4 ? repro() : '' });
  };
  for (const r of run?.sweep ?? []) add(r.outcome, sweepPointText(r.point), r.reasons, () => sweepPointLine(cell, r.point, cycles));
  for (const r of run?.replay ?? []) add(r.outcome, r.text, r.reasons, () => replayCutLine(cell, r.trigger, r.seed, cycles));
  const rigErrors = run?.rigErrors ?? [];
  const notRun = run ? run.notRun : (cell.plannedPoints ?? 0);
  const j = judgeCell({ outcomes, rigErrors: rigErrors.length, notRun }, { recovery: plan.threshold.recovery, z: plan.threshold.z }, safe, NEVER_ACCEPTABLE);
  let status = j.status;
  const reasons = [...j.reasons];
  if (!run) {
    status = 'not-run';
    reasons.splice(0, reasons.length, 'not run: the sign-off was interrupted before this cell');
  } else if (run.broken && status !== 'fail') {
    // The cell could not run at all: its size is unknown, so nothing about the device can be said.
    status = 'incomplete';
    reasons.splice(0, reasons.length, `the cell could not run (a rig error, not a device result): ${run.broken}`);
  } else if (run.interrupted && status !== 'fail' && status !== 'pass') {
    status = 'not-run';
    reasons.unshift('interrupted: the cell was stopped before its last cut');
  }
  // Sort the failing cuts the way a reader fixes them: never-acceptable outcomes first.
  failing.sort((a, b) => Number(NEVER_ACCEPTABLE.includes(b.outcome as never)) - Number(NEVER_ACCEPTABLE.includes(a.outcome as never)));
  const result: CellResult = {
    ...base,
    status,
    reasons,
    planned: run?.planned ?? cell.plannedPoints ?? 0,
    deviceResults: j.deviceResults,
    recovered: j.recovered,
    rate: j.rate,
    bound: j.bound,
    outcomes,
    rigErrors: { count: rigErrors.length, first: rigErrors.slice(0, LISTED) },
    notRun,
    ...(run?.sweep && { sharedStates: run.sweep.filter((r) => r.shared).length }),
    ...(run?.ops && { ops: run.ops.length }),
    failing: { count: failing.length, first: failing.slice(0, LISTED) },
    pointsNeeded: j.pointsNeeded,
    seconds,
  };
  const title = `${base.rig} × ${base.path} × ${base.mode}`;
  let svg: string | undefined;
  if (run?.sweep && run.ops) svg = renderResilienceMap({ title, ops: run.ops, results: run.sweep, safe });
  else if (run?.replay && run.replay.length + rigErrors.length > 0) {
    const valueOf = (t: CellRun['replay'] extends (infer R)[] | undefined ? R : never) =>
      t.trigger.kind === 'after' ? t.trigger.ms : t.trigger.kind === 'progress' ? ('percent' in t.trigger ? t.trigger.percent : t.trigger.bytes) : t.trigger.kind === 'marker' ? t.trigger.edge : 0;
    svg = renderTimeMap({ title, axis: axisOf(cell), marks: run.replay.map((r) => ({ value: valueOf(r), text: r.text, outcome: r.outcome, reasons: r.reasons })), safe });
  }
  return { result, ...(svg && { svg }) };
}

function notApplicableResult(cell: PlannedCell): CellResult {
  return {
    id: cell.id,
    rig: cell.rig.config.name,
    path: cell.path.name,
    mode: cell.mode.label,
    runner: cell.rig.runner,
    status: 'n/a',
    reasons: [cell.notApplicable!],
    planned: 0,
    deviceResults: 0,
    recovered: 0,
    rate: null,
    bound: { lower: 0, upper: 1 },
    outcomes: {},
    rigErrors: { count: 0, first: [] },
    notRun: 0,
    failing: { count: 0, first: [] },
    pointsNeeded: 0,
    seconds: 0,
  };
}

/** Where the page goes under a reports folder. */
export function signoffDir(reportsDir: string): string {
  return join(resolve(reportsDir), 'signoff');
}

export async function runSignoff(plan: SignoffPlan, opts: SignoffOptions): Promise<SignoffReport> {
  const started = Date.now();
  const dir = signoffDir(opts.reportsDir);
  const mapsDir = join(dir, 'maps');
  // A page lists only its own maps: the previous sign-off's go.
  rmSync(mapsDir, { recursive: true, force: true });
  mkdirSync(mapsDir, { recursive: true });
  const images = await imagesOf(plan);
  const cells: CellResult[] = [];
  const maps = new Map<string, string>();
  const runnable = plan.cells.filter((c) => !c.notApplicable);
  let k = 0;
  for (const cell of plan.cells) {
    if (cell.notApplicable) {
      cells.push(notApplicableResult(cell));
      continue;
    }
    if (opts.signal?.aborted) {
      cells.push(resultOf(plan, cell, undefined, 0).result);
      continue;
    }
    opts.onCellStart?.(cell, k, runnable.length);
    const t0 = Date.now();
    const cellOpts = {
      ...(opts.workers !== undefined && { workers: opts.workers }),
      bootLoopCycles: plan.expect.bootLoopCycles,
      ...(opts.signal && { signal: opts.signal }),
      ...(opts.onProgress && { onProgress: opts.onProgress }),
    };
    let run: CellRun | undefined;
    try {
      run = cell.rig.runner === 'sweep' ? await runSweepCell(cell, cellOpts) : await runReplayCell(cell, cellOpts);
    } catch (err) {
      if (!opts.signal?.aborted) throw err;
      run = undefined;
    }
    const { result, svg } = resultOf(plan, cell, run, (Date.now() - t0) / 1000);
    if (svg) {
      maps.set(cell.id, svg);
      result.map = relative(dir, writeResilienceMap(mapsDir, `${cell.id}-${cell.rig.config.name}-${cell.mode.mode.mode}`, svg));
    }
    cells.push(result);
    opts.onCellDone?.(result, k, runnable.length);
    k++;
  }

  const totals = signoffTotals(cells);
  const verdict: SignoffReport['verdict'] = opts.signal?.aborted ? 'interrupted' : totals.failed ? 'fail' : totals.incomplete || totals.notRun ? 'incomplete' : 'pass';
  const exitCode = { pass: ExitCode.ok, fail: ExitCode.testFailures, incomplete: ExitCode.rigUnavailable, interrupted: ExitCode.interrupted }[verdict];
  const page = join(dir, 'index.html');
  const json = join(dir, 'signoff.json');
  const report: SignoffReport = {
    signoff: { name: plan.name, file: plan.file, ...(plan.description !== undefined && { description: plan.description }) },
    verdict,
    exitCode,
    hilrig: { version: hilrigVersion() },
    date: new Date(started).toISOString(),
    threshold: {
      recovery: plan.threshold.recovery,
      confidence: plan.threshold.confidence,
      z: plan.threshold.z,
      pointsNeeded: plan.threshold.pointsNeeded,
      method: `Wilson score interval, two-sided at ${plan.threshold.confidence}: a cell passes when its lower bound >= ${plan.threshold.recovery} and no cut ended ${NEVER_ACCEPTABLE.join(' or ')}; rig errors are not device results`,
    },
    expect: { safe: [...plan.expect.safe], neverAcceptable: [...NEVER_ACCEPTABLE], bootLoopCycles: plan.expect.bootLoopCycles },
    inventory: inventoryOf(plan),
    images,
    paths: plan.paths.map((p) => ({ name: p.name, ...(p.setup !== undefined && { setup: p.setup }), ...(p.scheme !== undefined && { scheme: p.scheme }) })),
    modes: plan.modes.map((m) => m.label),
    cells,
    totals,
    files: { page, json },
    seconds: (Date.now() - started) / 1000,
  };
  if (opts.allure !== false) report.files.allure = signoffAllureDir(opts.reportsDir);
  const html = renderSignoffPage(report, maps);
  mkdirSync(dir, { recursive: true });
  writeFileSync(page, html);
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  if (opts.allure !== false) writeSignoffAllure(signoffAllureDir(opts.reportsDir), report, html, maps, started);
  return report;
}
