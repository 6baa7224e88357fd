// `hil run --campaign FILE` through the real CLI on the twin rigs (small suites): two consecutive
// nights give two history entries per board, a what-changed summary (printed and written) naming
// the new failure with a `hil repro ID` line that replays it, Allure's own history (two runs) and
// board-keyed history ids; the gate decides the exit code (0 passed, 1 failures or too few tests,
// 3 a listed rig that gave no device result); --confirm 3 on a seeded-bug failure labels it
// deterministic 3/3 and leaves the result failed; a NAME with no file is still only a label.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hil, ROOT } from '../cli/hil.js';
import { unopenableRigFile } from '../helpers/unopenable-rig.js';
import { render } from '../helpers/browser.js';

const tmp = mkdtempSync(join(tmpdir(), 'hil-nightly-'));
const reports = join(tmp, 'reports');

/** The newest run's folder (reports/runs/<id>/, one folder per run) or, in the older layout, reports/ with .run/. */
function latest(dir = reports): { results: string; records: string } {
  const runs = join(dir, 'runs');
  const newest = existsSync(runs)
    ? readdirSync(runs)
        .filter((n) => !n.startsWith('.'))
        .sort()
        .at(-1)
    : undefined;
  return newest
    ? { results: join(runs, newest, 'allure-results'), records: join(runs, newest, 'results.jsonl') }
    : { results: join(dir, 'allure-results'), records: join(dir, '.run', 'results.jsonl') };
}
const rigs = join(ROOT, 'rigs');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface HistoryJson {
  boards: Record<string, { board: { key: string; rig: string }; runs: { date: string; totals: { tests: number; failed: number } }[] }>;
}
interface Result {
  name: string;
  status: string;
  historyId: string;
  labels: { name: string; value: string }[];
  parameters?: { name: string; value: string }[];
  statusDetails?: { flaky?: boolean };
  steps?: { name: string; status: string; steps?: { name: string; status: string }[] }[];
  attachments?: { name: string; source: string }[];
}

function allureResults(): Result[] {
  const { results } = latest();
  return readdirSync(results)
    .filter((n) => n.endsWith('-result.json'))
    .map((n) => JSON.parse(readFileSync(join(results, n), 'utf8')) as Result);
}

/** The file hil run names in its `(written to FILE)` line. */
function writtenTo(stderr: string): string {
  return /^\(written to (.+)\)$/m.exec(stderr)![1]!;
}

/** A suite whose generation-not-incremented cut after the commit ends wrong-image: safe or not by `safe`. */
function seededSuite(safe: string[]): void {
  writeFileSync(
    join(tmp, 'suites', 'seeded.yaml'),
    [
      'name: seeded',
      'scheme: sfu-ab',
      `images: { from: ${ROOT}/firmware/app-v1.page2bin, to: ${ROOT}/firmware/app-v2.page2bin }`,
      'rigs:',
      `  - { rig: ${rigs}/twin-rp2040-sfu.yaml, variant: generation-not-incremented, expect: recovers }`,
      'cuts:',
      '  points: [after:8000ms, progress:50%]',
      `expect: { safe: [${safe.join(', ')}] }`,
      '',
    ].join('\n'),
  );
}

function campaign(name: string, lines: string[]): string {
  const file = join(tmp, 'campaigns', `${name}.yaml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const history = () => JSON.parse(readFileSync(join(reports, 'history', 'twice.json'), 'utf8')) as HistoryJson;

beforeAll(() => {
  mkdirSync(join(tmp, 'campaigns'));
  mkdirSync(join(tmp, 'suites'));
  campaign('twice', ['name: twice', 'suites:', `  - ${ROOT}/suites/brownout-sfu-erase-running.yaml`, '  - seeded', 'gate: { minTests: 5 }']);
});

describe('two consecutive nightly runs', () => {
  let first: Awaited<ReturnType<typeof hil>>;
  let second: Awaited<ReturnType<typeof hil>>;
  let firstIds: Map<string, string>;

  beforeAll(async () => {
    seededSuite(['updated', 'rolled-back', 'wrong-image']);
    first = await hil(['run', '--campaign', join(tmp, 'campaigns', 'twice.yaml'), '--reports', reports], { timeoutMs: 300_000 });
    firstIds = new Map(allureResults().map((r) => [`${r.labels.find((l) => l.name === 'parentSuite')?.value} ${r.name}`, r.historyId]));
    // The next night the suite no longer accepts wrong-image: its late cut fails.
    seededSuite(['updated', 'rolled-back']);
    second = await hil(['run', '--campaign', join(tmp, 'campaigns', 'twice.yaml'), '--reports', reports], { timeoutMs: 300_000 });
  }, 600_000);

  test('the first night passes its gate (exit 0) and has nothing to compare with', () => {
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toContain('what changed since the previous run: 0 new failure(s), 0 fixed, 0 still failing, 0 flaky');
    expect(first.stderr).toContain('twin-rp2040-sfu: first run (nothing to compare with)');
    expect(first.stderr).toMatch(/^gate \(twice\): passed$/m);
  });

  test('history: two entries per board, keyed by the board (the twin rig file serial, else the rig name)', () => {
    const h = history();
    expect(Object.keys(h.boards).sort()).toEqual(['twin-rp2040-sfu', 'twin-rp2040-sfu-bug-erase-running-slot']);
    for (const b of Object.values(h.boards)) expect(b.runs).toHaveLength(2);
    expect(h.boards['twin-rp2040-sfu']!.runs.map((r) => r.totals.failed)).toEqual([0, 1]);
  });

  test('the second night: the new failure named with its hil repro line (which replays it), the gate fails with exit 1', async () => {
    expect(second.exitCode).toBe(1);
    const lines = second.stderr.split('\n');
    const head = lines.indexOf('what changed since the previous run: 1 new failure(s), 0 fixed, 0 still failing, 0 flaky');
    expect(head).toBeGreaterThan(-1);
    const at = lines.indexOf('  new failures (1):', head);
    expect(lines[at - 1]).toMatch(/^twin-rp2040-sfu: since \d{4}-\d\d-\d\dT/);
    expect(lines[at + 1]).toBe('    seeded on twin-rp2040-sfu[generation-not-incremented]: cut 01: after:8000ms -> FAILED wrong-image, was passed wrong-image');
    const repro = /^ {6}(hil repro ([0-9a-f]{8}) --results (\S+))$/.exec(lines[at + 2]!)!;
    expect(repro).not.toBeNull();
    expect(repro[3]).toBe(latest().results);
    expect(second.stderr).toContain('  FAIL maxFailures: 1 device failure(s), more than the 0 allowed');
    // The same summary, written beside the results.
    const written = writtenTo(second.stderr);
    expect(readFileSync(written, 'utf8')).toContain(lines[at + 2]);
    // and the newest run's copy at the reports folder's top, which CI prints (docs/ci.md)
    expect(readFileSync(join(reports, 'what-changed.txt'), 'utf8')).toBe(readFileSync(written, 'utf8'));
    const json = JSON.parse(readFileSync(written.replace(/\.txt$/, '.json'), 'utf8')) as { totals: Record<string, number> };
    expect(json.totals).toEqual({ newFailures: 1, fixed: 0, stillFailing: 0, flaky: 0 });
    const again = await hil(repro[1]!.split(' ').slice(1));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('reproduced: 1/1 replays gave the recorded outcome wrong-image');
  });

  test("Allure's history: one line per night; history ids keyed by board are the same both nights; the gate is a result with the summary attached", () => {
    const lines = readFileSync(join(reports, 'history', 'twice.allure.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(lines).toHaveLength(2);
    const now = allureResults();
    const cuts = now.filter((r) => r.parameters?.some((p) => p.name === 'repro id'));
    expect(cuts.length).toBe(7);
    for (const r of cuts) expect(r.historyId).toBe(firstIds.get(`${r.labels.find((l) => l.name === 'parentSuite')?.value} ${r.name}`));
    const gate = now.find((r) => r.name === 'release gate: campaign twice')!;
    expect(gate.status).toBe('failed');
    const attached = gate.attachments!.find((a) => a.name === 'what changed')!;
    expect(readFileSync(join(latest().results, attached.source), 'utf8')).toContain('1 new failure(s)');
  });

  test('the trend per rig, in headless Chromium: a row per board, a column per night, the new failure red on the second night; attached to the gate', async () => {
    const svg = join(dirname(latest().records), 'trend.svg');
    const page = await render(svg, { select: { boards: '.trend-board', runs: '.trend-board .trend-run', failed: '.trend-failed', passed: '.trend-passed' } });
    expect(page.parseError).toBeUndefined();
    expect(page.counts.boards).toBe(2);
    const rows = page.found.boards!;
    expect(rows.map((b) => b.data.board).sort()).toEqual(['twin-rp2040-sfu', 'twin-rp2040-sfu-bug-erase-running-slot']);
    for (const b of rows) expect(b.data.runs).toBe('2');
    expect(rows.find((b) => b.data.board === 'twin-rp2040-sfu')!.data.state).toBe('failing');
    const runs = page.found.runs!;
    expect(runs).toHaveLength(4);
    // The one failing column is the second night of twin-rp2040-sfu, and its red part is drawn.
    expect(runs.filter((r) => r.data.failed !== '0').map((r) => r.data.failed)).toEqual(['1']);
    const red = page.found.failed!;
    expect(red).toHaveLength(1);
    expect(red[0]!.box.height).toBeGreaterThan(0);
    expect(page.counts.passed).toBe(4);
    const gate = allureResults().find((r) => r.name === 'release gate: campaign twice')!;
    expect(gate.attachments!.map((a) => a.name)).toContain('trend per rig');
  });

  test('--confirm 3 on the seeded-bug failure: deterministic 3/3 in the output, results.jsonl and the Allure result, which stays failed', async () => {
    const r = await hil(['run', '--campaign', join(tmp, 'campaigns', 'twice.yaml'), '--reports', reports, '--no-html', '--confirm', '3'], { timeoutMs: 300_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('confirm: seeded on twin-rp2040-sfu[generation-not-incremented]: cut 01: after:8000ms -> wrong-image: deterministic (3/3)');
    expect(r.stderr).toContain('FAILED [deterministic 3/3]: seeded on twin-rp2040-sfu[generation-not-incremented]: cut 01: after:8000ms -> wrong-image');
    expect(r.stderr).toContain('0 new failure(s), 0 fixed, 1 still failing, 0 flaky');
    expect(r.stderr).toContain('cut 01: after:8000ms -> FAILED wrong-image [deterministic 3/3], was failed wrong-image');
    const records = readFileSync(latest().records, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { status: string; confirm?: unknown });
    expect(records.filter((x) => x.confirm)).toEqual([
      expect.objectContaining({ status: 'failed', confirm: { times: 3, reproduced: 3, label: 'deterministic', outcomes: ['wrong-image', 'wrong-image', 'wrong-image'] } }),
    ]);
    const result = allureResults().find((x) => x.labels.some((l) => l.value === 'confirm:deterministic'))!;
    expect(result.status).toBe('failed');
    expect(result.statusDetails?.flaky).toBeUndefined();
    const step = result.steps!.at(-1)!;
    expect(step.name).toBe('confirm: deterministic 3/3 replays gave wrong-image again');
    expect(step.steps!.map((s) => s.status)).toEqual(['failed', 'failed', 'failed']);
    expect(history().boards['twin-rp2040-sfu']!.runs).toHaveLength(3);
    // The run's JUnit file is written again after the replays (RUNS's writeRunJUnit), with the label.
    const junit = join(dirname(latest().records), 'junit.xml');
    expect(readFileSync(junit, 'utf8')).toContain('wrong-image [deterministic 3/3]');
  }, 300_000);
});

describe('the gate through the CLI', () => {
  test('too few tests: exit 1 naming minTests', async () => {
    const file = campaign('few', ['suites:', `  - ${ROOT}/suites/brownout-sfu-erase-running.yaml`, 'gate: { minTests: 1000 }']);
    const r = await hil(['run', '--campaign', file, '--reports', join(tmp, 'few'), '--no-html'], { timeoutMs: 300_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('  FAIL minTests: 6 test(s) ran, fewer than the 1000 required');
    expect(r.stderr).toContain('  ok   maxFailures: 0 device failure(s), within the 0 allowed');
  }, 300_000);

  test('a listed rig that cannot open (real bench rig, gpioset hidden from PATH): exit 3, the gate names it', async () => {
    const rig = unopenableRigFile(tmp);
    const file = campaign('offline', [
      'suites:',
      `  - suite: ${ROOT}/suites/brownout-sfu-erase-running.yaml`,
      `    rigs: [${rigs}/twin-rp2040-sfu-bug-erase-running-slot.yaml, { rig: ${rig}, expect: caught }]`,
      'gate: { maxRigErrors: 100 }',
    ]);
    const r = await hil(['run', '--campaign', file, '--reports', join(tmp, 'offline'), '--no-html'], { timeoutMs: 300_000, env: { PATH: dirname(process.execPath) } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('  FAIL everyRigTested: not tested (no device result): no-gpioset');
    expect(r.stderr).toMatch(/^ {2}ok {3}maxRigErrors: \d+ rig error\(s\), within the 100 allowed$/m);
  }, 300_000);

  test('a campaign file and suites on the command line: exit 2; a NAME with no file is a label, as before', async () => {
    const both = await hil(['run', '--campaign', join(tmp, 'campaigns', 'twice.yaml'), join(tmp, 'suites', 'seeded.yaml')]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('lists the suites and rigs; run it alone');
    const label = await hil(['run', '--campaign', 'adhoc-label', join(ROOT, 'suites/brownout-sfu-erase-running.yaml'), '--reports', join(tmp, 'label'), '--no-html'], { timeoutMs: 300_000 });
    expect(label.exitCode).toBe(0);
    expect(label.stderr).toContain('campaign adhoc-label: 1 suite(s), 1 rig run(s), 5 cuts');
    expect(label.stderr).not.toContain('gate (');
    expect(existsSync(join(tmp, 'label', 'history', 'adhoc-label.json'))).toBe(true);
  }, 300_000);
});
