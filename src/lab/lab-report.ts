/**
 * One lab run's drained jobs (./results.ts) merged into one Allure results folder, ready for
 * `allure generate`: every job's results side by side (their file names are Allure's uuids, so
 * they never collide), a broken result for each interrupted job and for each job whose results the
 * cap cut short, the records of every job, and the report's environment naming the run and its hosts.
 * History (hilrig's per board, Allure's per test) is the command's: it needs nightly/.
 */
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CutRecord } from '../report/plan.js';
import { RECORDS_FILE, readDrainedJobs, SIGNOFF_FILE, type DrainedJob, type JobResultsMeta } from './results.js';

/** Where `hil report --lab` keeps what it drained: `<reports>/lab/runs/<runId>/jobs/…`. */
export function labRunsDir(reports: string): string {
  return join(reports, 'lab', 'runs');
}

export interface MergedRun {
  runId: string;
  dir: string;
  /** The merged Allure results and where the HTML goes. */
  results: string;
  html: string;
  campaign: string;
  /** When the run started (its earliest job), ISO: the run's id in hilrig's history. */
  date: string;
  jobs: DrainedJob[];
  /** Every job's records (results.jsonl), as `hil run` wrote them on the worker. */
  records: CutRecord[];
  /** Per rig: its board as the jobs said (history follows the board). */
  boards: Map<string, JobResultsMeta['board']>;
  /** Jobs that ran (part of) a sign-off: their signoff.json, and the folder its `map` paths are relative to. */
  signoffs: { job: DrainedJob; file: string; dir: string }[];
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function readRecords(file: string): CutRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (!line) return [];
      try {
        return [JSON.parse(line) as CutRecord];
      } catch {
        // a worker killed mid-write leaves a partial last line: no record
        return [];
      }
    });
}

function jobTitle(m: JobResultsMeta): string {
  return `${m.kind === 'suite' && m.suite ? m.suite : m.kind} on ${m.rig}`;
}

/**
 * A broken result standing for a job that has no results of its own (interrupted: its worker died
 * or lost its lease mid-job) or lost some to the cap. Its history id follows the rig's board and
 * the job's suite, so the rig's history shows the interruption night after night.
 */
type BrokenWhy = 'interrupted' | 'capped' | 'no-results';

function brokenJobResult(dir: string, job: DrainedJob, why: BrokenWhy, campaign: string): void {
  const m = job.meta;
  const board = m.board?.serial ?? m.rig.replace(/\[[^\]]*\]$/, '');
  const uuid = randomUUID();
  const id = md5(`${board}\u0000lab job ${why} ${m.kind} ${m.suite ?? ''}`);
  const dropped = job.dropped.filter((d) => /-result\.json: /.test(d));
  const name = {
    interrupted: `job ${m.jobId} (${jobTitle(m)}) interrupted, attempt ${m.attempt}`,
    capped: `job ${m.jobId} (${jobTitle(m)}): ${dropped.length} result(s) left out by the lab's maxJobBytes`,
    'no-results': `job ${m.jobId} (${jobTitle(m)}) ${m.outcome} with no test results, attempt ${m.attempt}`,
  }[why];
  const message = {
    interrupted: `${m.summary || 'interrupted'} (worker ${m.workerId} on ${m.host}). Not a device result: the rig goes to its safe state and is health-checked before any re-run.`,
    capped: `left on the worker by the size cap (lab.yaml store.results.maxJobBytes):\n${dropped.join('\n')}`,
    'no-results': `${m.summary || m.outcome} (worker ${m.workerId} on ${m.host})`,
  }[why];
  const result = {
    uuid,
    historyId: id,
    testCaseId: id,
    name,
    fullName: `hil lab: ${name}`,
    status: 'broken',
    statusDetails: { message },
    stage: 'finished',
    start: m.startedAt,
    stop: Math.max(m.finishedAt, m.startedAt),
    labels: [
      { name: 'parentSuite', value: jobTitle(m) },
      { name: 'epic', value: campaign },
      { name: 'host', value: m.host },
      { name: 'tag', value: why },
      { name: 'board serial', value: board },
    ],
    parameters: [
      { name: 'job', value: m.jobId, excluded: true },
      { name: 'attempt', value: String(m.attempt), excluded: true },
      { name: 'worker', value: m.workerId, excluded: true },
    ],
    links: [],
    steps: [],
    attachments: [],
  };
  writeFileSync(join(dir, `${uuid}-result.json`), JSON.stringify(result));
}

/** Per job, its attempt's results carry the job, attempt and host (a re-run after an interruption is told apart). */
function labelJob(file: string, m: JobResultsMeta): void {
  let r: { labels?: { name: string; value: string }[]; parameters?: { name: string; value: string; excluded?: boolean }[] };
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as typeof r;
  } catch {
    return;
  }
  r.labels = [...(r.labels ?? []).filter((l) => l.name !== 'host'), { name: 'host', value: m.host }];
  r.parameters = [
    ...(r.parameters ?? []).filter((p) => p.name !== 'job' && p.name !== 'attempt'),
    { name: 'job', value: m.jobId, excluded: true },
    { name: 'attempt', value: String(m.attempt), excluded: true },
  ];
  writeFileSync(file, JSON.stringify(r));
}

/**
 * Rebuilds `<run>/allure-results` from the run's drained jobs (from scratch: a job that arrived
 * since the last merge joins the others), ready for the command to stamp and generate.
 */
export function mergeRun(dir: string, runId: string): MergedRun {
  const jobs = readDrainedJobs(dir).sort((a, b) => a.meta.startedAt - b.meta.startedAt || a.meta.attempt - b.meta.attempt);
  const campaign = jobs.find((j) => j.meta.campaign)?.meta.campaign ?? 'lab';
  const results = join(dir, 'allure-results');
  const tmp = `${results}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const records: CutRecord[] = [];
  const boards = new Map<string, JobResultsMeta['board']>();
  const signoffs: MergedRun['signoffs'] = [];
  const environment: string[] = [];
  for (const job of jobs) {
    const m = job.meta;
    if (m.board) boards.set(m.rig, m.board);
    const from = join(job.dir, 'allure-results');
    const names = existsSync(from) ? readdirSync(from) : [];
    for (const name of names) {
      if (name === 'environment.properties') {
        environment.push(
          ...readFileSync(join(from, name), 'utf8')
            .split('\n')
            .filter((l) => l && !l.startsWith('hil.')),
        );
        continue;
      }
      copyFileSync(join(from, name), join(tmp, name));
      if (name.endsWith('-result.json')) labelJob(join(tmp, name), m);
    }
    records.push(...readRecords(join(job.dir, RECORDS_FILE)));
    // A job that left no result of its own still shows, as what it was (a passed health check needs none).
    if (m.outcome === 'interrupted') brokenJobResult(tmp, job, 'interrupted', campaign);
    else if (m.outcome !== 'passed' && !names.some((n) => n.endsWith('-result.json'))) brokenJobResult(tmp, job, 'no-results', campaign);
    if (job.dropped.some((d) => /-result\.json: /.test(d))) brokenJobResult(tmp, job, 'capped', campaign);
    if (existsSync(join(job.dir, SIGNOFF_FILE))) signoffs.push({ job, file: join(job.dir, SIGNOFF_FILE), dir: job.dir });
  }
  const first = jobs[0]?.meta;
  const hosts = [...new Set(jobs.map((j) => j.meta.host))].sort();
  const interrupted = jobs.filter((j) => j.meta.outcome === 'interrupted').length;
  environment.push(
    `hil.run=${runId}`,
    `hil.campaign=${campaign}`,
    `hil.lab.jobs=${jobs.length}${interrupted ? ` (${interrupted} interrupted)` : ''}`,
    `hil.lab.hosts=${hosts.join(', ')}`,
    ...(first ? [`hil.run.started=${new Date(first.startedAt).toISOString()}`] : []),
  );
  writeFileSync(join(tmp, 'environment.properties'), [...new Set(environment)].map((l) => l.replace(/[\r\n]/g, ' ')).join('\n') + '\n');
  rmSync(results, { recursive: true, force: true });
  renameSync(tmp, results);
  return {
    runId,
    dir,
    results,
    html: join(dir, 'html'),
    campaign,
    date: runDate(dir, first?.startedAt ?? Date.now()),
    jobs,
    records,
    boards,
    signoffs,
  };
}

/**
 * The run's date as its first merge saw it, kept: it is the run's id in hilrig's history, and a
 * job drained later must not make the same run a second point of it.
 */
function runDate(dir: string, earliest: number): string {
  const file = join(dir, 'lab-run.json');
  try {
    const date = (JSON.parse(readFileSync(file, 'utf8')) as { date?: unknown }).date;
    if (typeof date === 'string') return date;
  } catch {
    // first merge of this run
  }
  const date = new Date(earliest).toISOString();
  writeFileSync(file, JSON.stringify({ date }) + '\n');
  return date;
}

/** The lab runs on disk, newest first (by their earliest job). */
export function listLabRuns(runsDir: string): { runId: string; dir: string; startedAt: number }[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .flatMap((name) => {
      const dir = join(runsDir, name);
      const jobs = readDrainedJobs(dir);
      if (!jobs.length) return [];
      return [{ runId: jobs[0]!.meta.runId, dir, startedAt: Math.min(...jobs.map((j) => j.meta.startedAt)) }];
    })
    .sort((a, b) => b.startedAt - a.startedAt);
}

const HISTORY_ENTRY = 'allure-history-entry';

/**
 * Allure appends one history line per `allure generate`; a lab run's report is built again when
 * more of its jobs arrive, and must stay one point of the history. Before generating: the line
 * this run's previous report added is taken out. After: the new line's uuid is kept in the run.
 */
export function dropPreviousHistoryEntry(runDir: string, historyFile: string): void {
  const mark = join(runDir, HISTORY_ENTRY);
  if (!existsSync(mark) || !existsSync(historyFile)) return;
  const uuid = readFileSync(mark, 'utf8').trim();
  const lines = readFileSync(historyFile, 'utf8').split('\n');
  const kept = lines.filter((l) => !l.startsWith(`{"uuid":"${uuid}"`));
  if (kept.length === lines.length) return;
  const tmp = `${historyFile}.${process.pid}.tmp`;
  writeFileSync(tmp, kept.join('\n'));
  renameSync(tmp, historyFile);
}

export function rememberHistoryEntry(runDir: string, historyFile: string): void {
  if (!existsSync(historyFile)) return;
  const last = readFileSync(historyFile, 'utf8').trimEnd().split('\n').at(-1) ?? '';
  const uuid = /^\{"uuid":"([^"]+)"/.exec(last)?.[1];
  if (uuid) writeFileSync(join(runDir, HISTORY_ENTRY), `${uuid}\n`);
}
