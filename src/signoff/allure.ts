/**
 * The sign-off as an Allure result: one test (`sign-off NAME`), one step per cell with its map,
 * the page and the JSON attached, written into the sign-off's own Allure results folder.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { CellResult, CellStatus, SignoffReport } from './report.js';
import { percent, share } from './judge.js';

/**
 * Where the sign-off's Allure result goes: beside its page, `reports/signoff/allure-results`, not
 * into a `hil run` folder (reports/runs/<id>/ are whole runs: a completed nightly is never written
 * into afterwards). `allure generate reports/latest/allure-results reports/signoff/allure-results`
 * puts the sign-off beside the latest campaign in one report.
 */
export function signoffAllureDir(reportsDir: string): string {
  return join(resolve(reportsDir), 'signoff', 'allure-results');
}

type AllureStatus = 'passed' | 'failed' | 'broken' | 'skipped';

const STATUS: Record<CellStatus, AllureStatus> = { pass: 'passed', fail: 'failed', incomplete: 'broken', 'not-run': 'skipped', 'n/a': 'skipped' };

interface Attachment {
  name: string;
  source: string;
  type: string;
}

/** Writes a file the way Allure's own writer does: a temporary name, then a rename (no half-written result). */
function writeWhole(dir: string, name: string, content: string): void {
  const tmp = join(dir, `.allure-write-${name}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, join(dir, name));
}

function cellStep(cell: CellResult, svg: string | undefined, dir: string, at: number): object {
  const attachments: Attachment[] = [];
  if (svg) {
    const source = `${randomUUID()}-attachment.svg`;
    writeWhole(dir, source, svg);
    attachments.push({ name: `resilience map ${cell.id}`, source, type: 'image/svg+xml' });
  }
  const rate = cell.rate === null ? 'no device result' : `rate ${percent(cell.rate)}, bound ${percent(cell.bound.lower)}`;
  return {
    name: `${cell.rig} × ${cell.path} × ${cell.mode}: ${cell.status} (${cell.deviceResults} cuts, ${rate})`,
    status: STATUS[cell.status],
    stage: 'finished',
    start: at,
    stop: at,
    statusDetails: { message: cell.reasons.join('; ') },
    parameters: [
      { name: 'cuts', value: String(cell.deviceResults) },
      { name: 'recovered', value: String(cell.recovered) },
      { name: 'rig errors', value: String(cell.rigErrors.count) },
    ],
    attachments,
    steps: [],
  };
}

/**
 * Writes the sign-off's result (and its attachments) into `dir`; returns the result file. `maps`
 * holds each cell's map by cell id.
 */
export function writeSignoffAllure(dir: string, report: SignoffReport, page: string, maps: ReadonlyMap<string, string>, started: number): string {
  // One sign-off per folder: an earlier sign-off's result would read as a second, stale verdict.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const uuid = randomUUID();
  const stop = started + Math.round(report.seconds * 1000);
  const pageSource = `${uuid}-signoff-attachment.html`;
  const jsonSource = `${uuid}-signoff-attachment.json`;
  writeWhole(dir, pageSource, page);
  writeWhole(dir, jsonSource, JSON.stringify(report, null, 2));
  const failing = report.cells.filter((c) => c.status === 'fail' || c.status === 'incomplete');
  const id = createHash('md5').update(`hil signoff ${report.signoff.name}`).digest('hex');
  const result = {
    uuid,
    historyId: id,
    testCaseId: id,
    name: `sign-off ${report.signoff.name}`,
    fullName: `hil signoff ${report.signoff.file}`,
    status: report.verdict === 'pass' ? 'passed' : report.verdict === 'fail' ? 'failed' : 'broken',
    stage: 'finished',
    start: started,
    stop,
    statusDetails: {
      message:
        `${report.verdict}: ${report.totals.passed}/${report.totals.cells - report.totals.notApplicable} cells passed (recovery >= ${share(report.threshold.recovery)} at ${share(report.threshold.confidence)} confidence)` +
        failing.map((c) => `\n${c.status} ${c.rig} × ${c.path} × ${c.mode}: ${c.reasons.join('; ')}`).join(''),
    },
    labels: [
      { name: 'parentSuite', value: 'sign-off' },
      { name: 'suite', value: report.signoff.name },
      { name: 'feature', value: 'release sign-off' },
      { name: 'tag', value: 'signoff' },
      { name: 'host', value: hostname() },
      { name: 'framework', value: 'hilrig' },
    ],
    parameters: [
      { name: 'threshold', value: `recovery >= ${share(report.threshold.recovery)} at ${share(report.threshold.confidence)} confidence (Wilson, z = ${report.threshold.z.toFixed(3)})` },
      { name: 'hilrig', value: report.hilrig.version },
      { name: 'cells', value: `${report.totals.passed} pass, ${report.totals.failed} fail, ${report.totals.incomplete} incomplete, ${report.totals.notRun} not run` },
    ],
    links: [],
    steps: report.cells.filter((c) => c.status !== 'n/a').map((c) => cellStep(c, maps.get(c.id), dir, stop)),
    attachments: [
      { name: 'sign-off page', source: pageSource, type: 'text/html' },
      { name: 'signoff.json', source: jsonSource, type: 'application/json' },
    ],
  };
  const file = `${uuid}-result.json`;
  writeWhole(dir, file, JSON.stringify(result));
  return join(dir, file);
}
