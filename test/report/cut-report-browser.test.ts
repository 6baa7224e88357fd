// What a lab engineer sees of one cut in the Allure report (issue 11 item 5), checked in the report
// itself: `hil run` of a tiny twin suite (a correct rig, a rig whose seeded bug fails the suite's
// expectation, and one whose seeded bug the suite must catch) makes the single-file HTML report, and
// headless Chromium opens one test result of Allure 3's awesome report (a single-page app: its
// route is `#/<test result id>`), expands the attachments and reads what the page shows: the
// failure message, the red steps, the transcript from time 0 with the cut marked, the timeline
// picture, the slot table, the repro command and the catch's label. The timeline SVG is an <img>
// in the page (a blob URL whose inside a page cannot read), so its lanes and cut line are checked
// by rendering the attachment file itself in the same browser.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hil, ROOT } from '../cli/hil.js';
import { render, type RenderedPage } from '../helpers/browser.js';

interface AllureResult {
  uuid: string;
  name: string;
  status: string;
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string }[];
  steps: { name: string; status?: string; attachments: { name: string; source: string; type: string }[] }[];
}

/** The report's own test results, embedded in the single-file HTML as `d("data/test-results/ID.json","BASE64")`. */
function reportResults(html: string): { id: string; name: string; fullName: string; status: string }[] {
  return [...html.matchAll(/d\("data\/test-results\/([0-9a-f]+)\.json","([A-Za-z0-9+/=]+)"\)/g)].map((m) => {
    const r = JSON.parse(Buffer.from(m[2]!, 'base64').toString('utf8')) as { name: string; fullName: string; status: string };
    return { id: m[1]!, name: r.name, fullName: r.fullName, status: r.status };
  });
}

const SELECT = {
  error: '[data-testid=test-result-error-message]',
  steps: '[data-testid=test-result-step]',
  stepTitles: '[data-testid=test-result-step-title]',
  failedSteps: '[data-testid=test-result-step-header]:has([data-testid=tree-leaf-status-failed]) [data-testid=test-result-step-title]',
  attachments: '[data-testid=test-result-attachment]',
  texts: '[data-testid=test-result-attachment] pre',
  images: '[data-testid=test-result-attachment] img',
  title: '[data-testid=test-result-info-title]',
  description: '[data-testid=test-result-description-frame]',
  treeLeaves: '[data-testid=tree-leaf]',
  page: 'body',
};

/** Opens one result of the report, with every attachment expanded. */
function openResult(html: string, id: string): Promise<RenderedPage> {
  return render(html, {
    hash: `#/${id}`,
    waitFor: '[data-testid=test-result-step-title]',
    actions: [{ click: '[data-testid=test-result-attachment-header] button', waitFor: '[data-testid=test-result-attachment] pre', settleMs: 2000 }],
    select: SELECT,
    textLimit: 20_000,
    timeoutMs: 120_000,
  });
}

let tmp: string;
let results: string;
let html: string;
let allure: AllureResult[];
let run: Awaited<ReturnType<typeof hil>>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-cut-report-'));
  const suite = join(tmp, 'report-look.yaml');
  writeFileSync(
    suite,
    [
      'name: report-look',
      'scheme: sfu-ab',
      `images: { from: ${join(ROOT, 'firmware/app-v1.page2bin')}, to: ${join(ROOT, 'firmware/app-v2.page2bin')} }`,
      'rigs:',
      `  - { rig: ${join(ROOT, 'rigs/twin-rp2040-sfu.yaml')}, expect: recovers }`,
      `  - { rig: ${join(ROOT, 'rigs/twin-rp2040-sfu-bug-sign-before-flush.yaml')}, expect: recovers }`,
      `  - { rig: ${join(ROOT, 'rigs/twin-rp2040-sfu-bug-erase-running-slot.yaml')}, expect: caught }`,
      'cuts:',
      '  offMs: 200',
      '  points: [progress:50%, after:3000ms]',
      'expect:',
      '  safe: [updated, rolled-back]',
      '  caughtWhen: [waiting, bricked, wrong-image]',
    ].join('\n') + '\n',
  );
  const reports = join(tmp, 'reports');
  run = await hil(['run', suite, '--reports', reports, '--json'], { timeoutMs: 240_000 });
  // Where this run wrote its report and results (hil run --json says so).
  if (!run.stdout.trim().startsWith('{')) throw new Error(`hil run failed (exit ${run.exitCode}): ${run.stderr.slice(-3000)}`);
  const summary = JSON.parse(run.stdout) as { report: string; results: string };
  if (!existsSync(summary.results)) throw new Error(`hil run wrote no ${summary.results} (exit ${run.exitCode}): ${run.stderr.slice(-3000)}`);
  html = summary.report;
  results = summary.results;
  allure = readdirSync(results)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(join(results, f), 'utf8')) as AllureResult);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const onRig = (r: { labels: { name: string; value: string }[] }, rig: string) => r.labels.some((l) => l.name === 'board' && l.value === rig);

describe('a cut that failed as wrong-image (the device committed v2, then booted v1 again)', () => {
  let page: RenderedPage;
  let result: AllureResult;

  beforeAll(async () => {
    result = allure.find((r) => r.name === 'cut 02: after:3000ms' && onRig(r, 'twin-rp2040-sfu-bug-sign-before-flush'))!;
    expect(result?.status).toBe('failed');
    const inReport = reportResults(readFileSync(html, 'utf8')).find((r) => r.name === 'cut 02: after:3000ms' && r.fullName.includes('sign-before-flush'))!;
    page = await openResult(html, inReport.id);
  }, 180_000);

  it('opens in the browser without errors, the result and every attachment shown', () => {
    expect(run.exitCode).toBe(1);
    expect(page.errors).toEqual([]);
    expect(page.waits).toEqual([expect.objectContaining({ matched: true }), expect.objectContaining({ matched: true })]);
    expect(page.counts.attachments).toBeGreaterThanOrEqual(6);
  });

  it('the error box says what was expected, what was seen and why', () => {
    const error = page.found.error![0]!;
    expect(error.box.height).toBeGreaterThan(0);
    expect(error.text).toMatch(/^expected one of updated, rolled-back; saw wrong-image: the device committed app-v2\.page2bin before the cut, then booted app-v1\.page2bin again/);
    expect(error.text).toContain('console says rolled-back (1.0.0 from slot A); flash says rolled-back (boots slot A next: holds app-v1.page2bin 1.0.0)');
    expect(error.text).toMatch(/cut at 3000\.000 ms after the update's start/);
    expect(error.text).not.toContain('"safe"');
  });

  it("the console's and the flash's steps are red, and so is the verdict", () => {
    const titles = page.found.stepTitles!.map((s) => s.text);
    expect(titles).toEqual(expect.arrayContaining(['console says: rolled-back (1.0.0 from slot A)', 'verdict: wrong-image (expected one of updated, rolled-back)']));
    // Red status icons on the console's, the flash's and the verdict's steps; the cut's own step stays green.
    expect(page.found.failedSteps!.map((s) => /^(console says|flash says|verdict)/.exec(s.text)?.[1])).toEqual(['console says', 'flash says', 'verdict']);
    for (const s of result.steps.filter((x) => /^(console says|flash says|verdict)/.test(x.name))) expect(s.status).toBe('failed');
  });

  it("the transcript is this cut's only: time 0 at the update's start, the cut marked, the recovery after", () => {
    const transcript = page.found.texts!.map((t) => t.text).find((t) => t.includes('── power cut at'))!;
    expect(transcript).toBeDefined();
    const stamped = transcript.split('\n').filter((l) => /^\[\s*-?\d/.test(l));
    expect(Number(/^\[\s*(-?[\d.]+)\]/.exec(stamped[0]!)![1])).toBe(0);
    expect(stamped.every((l) => Number(/^\[\s*(-?[\d.]+)\]/.exec(l)![1]) >= 0)).toBe(true);
    const lines = transcript.split('\n');
    const cut = lines.findIndex((l) => l.startsWith('── power cut at 3000.000 ms'));
    expect(cut).toBeGreaterThan(0);
    expect(lines.slice(cut + 1).some((l) => l.startsWith('── power back at 3200.000 ms'))).toBe(true);
    // One boot of v2 before the cut, v1 after: nothing of the other cut of this rig.
    expect(lines.filter((l) => l.includes('hilrig-app 2.0.0 running')).length).toBe(1);
    expect(lines.slice(cut).some((l) => l.includes('hilrig-app 1.0.0 running'))).toBe(true);
    expect(stamped.length).toBeLessThan(80);
  });

  it('the timeline picture is shown', () => {
    const img = page.found.images!.find((i) => i.box.width > 500);
    expect(img).toBeDefined();
    expect(img!.box.height).toBeGreaterThan(100);
  });

  it('the slot table from the flash and the repro command are readable', () => {
    const texts = page.found.texts!.map((t) => t.text);
    const summary = texts.find((t) => t.includes('flash slots, read through the probe after the recovery:'))!;
    expect(summary).toMatch(/slot\s+present\s+signed\s+generation\s+CRC ok/);
    expect(summary).toMatch(/\nA\s+yes\s+yes\s+1\s+yes\s+yes\s+1\.0\.0\s+app-v1\.page2bin/);
    expect(summary).toContain('boots next: A');
    expect(texts).toContainEqual(expect.stringMatching(/^hil cut --rig \S+twin-rp2040-sfu-bug-sign-before-flush\.yaml .*--trigger after:3000ms --off-ms 200 --seed 2$/));
  });

  it("carries the board's serial as a parameter (history keys by it)", () => {
    expect(result.parameters.find((p) => p.name === 'board')?.value).toBe('twin-rp2040-sfu-bug-sign-before-flush');
  });
});

describe('the timeline picture itself (the attachment rendered in the browser)', () => {
  let page: RenderedPage;

  beforeAll(async () => {
    const result = allure.find((r) => r.name === 'cut 02: after:3000ms' && onRig(r, 'twin-rp2040-sfu-bug-sign-before-flush'))!;
    const svg = result.steps.flatMap((s) => s.attachments).find((a) => a.type === 'image/svg+xml')!;
    page = await render(join(results, svg.source), {
      select: {
        svg: 'svg.cut-timeline',
        lanes: '.lane',
        plots: '.lane-bg',
        labels: '.lane-label',
        cut: '.cut',
        cutLine: '.cut-line',
        power: '.band.power',
        updater: '.band.updater',
        flash: '.tick.flash-op',
        console: '.tick.console-line',
        axis: '.axis-label',
      },
    });
  }, 120_000);

  it('has lanes for power, update phases, device phases, flash ops and console lines on one time axis', () => {
    expect(page.parseError).toBeUndefined();
    expect(page.found.lanes!.map((l) => l.data.lane)).toEqual(['power', 'updater', 'device', 'flash', 'console']);
    expect(page.found.labels!.map((l) => l.text)).toEqual(['power', 'update phase', 'device phase', 'flash ops', 'console lines']);
    expect(page.found.power!.map((b) => b.class)).toEqual(expect.arrayContaining(['band power power-on', 'band power power-off']));
    expect(page.found.updater!.map((b) => b.text)).toEqual(expect.arrayContaining([expect.stringContaining('write')]));
    expect(Number(page.found.lanes!.find((l) => l.data.lane === 'flash')!.data.count)).toBeGreaterThan(100);
    expect(Number(page.found.lanes!.find((l) => l.data.lane === 'console')!.data.count)).toBeGreaterThan(10);
    expect(page.found.axis!.map((a) => a.text)).toEqual(expect.arrayContaining(['0 s', "time after the update's start"]));
  });

  it('draws the cut as a red line across the lanes, at 3000 ms', () => {
    const cut = page.found.cut![0]!;
    expect(cut.data.ms).toBe('3000.000');
    const line = page.found.cutLine![0]!;
    expect(line.stroke).toBe('rgb(213, 0, 0)');
    const lanes = page.found.lanes!;
    expect(line.box.y).toBeLessThanOrEqual(lanes[0]!.box.y);
    expect(line.box.y + line.box.height).toBeGreaterThanOrEqual(lanes.at(-1)!.box.y + lanes.at(-1)!.box.height);
    // 3000 of the picture's span from its left edge.
    const plot = page.found.plots![0]!.box;
    const span = Number(page.found.svg![0]!.data['span-ms']);
    expect(Math.abs(line.box.x + line.box.width / 2 - (plot.x + (plot.width * 3000) / span))).toBeLessThan(2);
  });
});

describe('a cut that caught the seeded bug', () => {
  let page: RenderedPage;
  let result: AllureResult;

  beforeAll(async () => {
    result = allure.find((r) => r.name.endsWith('cut 01: progress:50%') && onRig(r, 'twin-rp2040-sfu-bug-erase-running-slot'))!;
    const inReport = reportResults(readFileSync(html, 'utf8')).find((r) => r.fullName.includes('erase-running-slot') && r.fullName.endsWith('cut 01: progress:50%'))!;
    page = await openResult(html, inReport.id);
  }, 180_000);

  it('is labelled a catch: its name, a caught-bug tag and a description line', () => {
    expect(result.status).toBe('passed');
    expect(result.name).toBe('CAUGHT erase-running-slot: cut 01: progress:50%');
    expect(result.labels).toContainEqual({ name: 'tag', value: 'caught-bug' });
    expect(page.found.title![0]!.text).toContain('CAUGHT erase-running-slot: cut 01: progress:50%');
    expect(page.found.description![0]!.text).toContain('caught seeded bug erase-running-slot: the cut ended in waiting');
    // The tag is in the report's data (its tree filters on tags); the test result page does not list tags.
    const inReport = readFileSync(html, 'utf8');
    const data = [...inReport.matchAll(/d\("data\/test-results\/[0-9a-f]+\.json","([A-Za-z0-9+/=]+)"\)/g)]
      .map((m) => JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as { name: string; labels: { name: string; value: string }[] })
      .find((r) => r.name === 'CAUGHT erase-running-slot: cut 01: progress:50%')!;
    expect(data.labels).toContainEqual({ name: 'tag', value: 'caught-bug' });
  });

  it("the report's tree names the catching cuts as catches", async () => {
    // The tree opens with the groups that failed expanded: open the others (a group without its content).
    const collapsed = '[data-testid=tree-content] > div:not(:has(> [data-testid=tree-content])) > [data-testid=tree-section] > [data-testid=tree-arrow]';
    const tree = await render(html, {
      waitFor: '[data-testid=tree-section]',
      actions: [{ click: collapsed, settleMs: 2000 }],
      select: { leaves: '[data-testid=tree-leaf-title]' },
      timeoutMs: 120_000,
    });
    expect(tree.clicks![0]!.clicked).toBe(2);
    const leaves = tree.found.leaves!.map((l) => l.text);
    expect(leaves.filter((t) => t.includes('CAUGHT erase-running-slot: cut 0'))).toHaveLength(2);
    expect(leaves.filter((t) => /CAUGHT/.test(t) && !t.includes('erase-running-slot'))).toEqual([]);
  }, 120_000);

  it('a passing cut on the correct rig is not labelled', () => {
    const ok = allure.filter((r) => onRig(r, 'twin-rp2040-sfu') && r.name.startsWith('cut '));
    expect(ok.map((r) => r.status)).toEqual(['passed', 'passed']);
    for (const r of ok) expect(r.labels).not.toContainEqual({ name: 'tag', value: 'caught-bug' });
  });
});
