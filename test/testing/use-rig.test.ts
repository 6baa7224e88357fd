// useRig() (src/testing/): the handle before the rig opens, the capabilities on the twin rig, closing
// on every exit (failed and throwing test bodies, in a child Jest with the allure-jest environment,
// and hil's worker lifeline), and config errors with file:line:col.
import { unopenableRigFile } from '../helpers/unopenable-rig.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { loadRig, withTwinOverrides } from '../../src/config/index.js';
import { ConfigError, RigError } from '../../src/core/errors.js';
import type { Lifeline, SafeState } from '../../src/report/worker-environment.js';
import type { Rig } from '../../src/rig/rig.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { openRigSession, RigCutError, useRig } from '../../src/testing/index.js';
import { waitFor } from '../helpers/wait-for.js';

const TWIN = 'rigs/twin-rp2040-sfu.yaml';
const V1 = 'firmware/app-v1.page2bin';
const V2 = 'firmware/app-v2.page2bin';

/** A rig file with one bad field: power.offMs is not a number. */
function badRigFile(dir: string): string {
  const file = join(dir, 'bad-rig.yaml');
  const text = readFileSync(TWIN, 'utf8').replace(/offMs: 200/, 'offMs: soon');
  expect(text).toContain('offMs: soon');
  writeFileSync(file, text);
  return file;
}

describe('useRig: the handle before beforeAll opened the rig', () => {
  const rig = useRig(TWIN);
  // Module/describe level: what a user does by mistake when they forget the handle is lazy.
  let early: unknown;
  try {
    void rig.power;
  } catch (err) {
    early = err;
  }
  it('throws an error that says what to do', () => {
    expect(early).toBeInstanceOf(Error);
    expect((early as Error).message).toMatch(/useRig\("rigs\/twin-rp2040-sfu\.yaml"\): rig\.power used before the rig was opened: use the handle inside a test/);
  });
  it('works inside a test', () => {
    expect(rig.name).toBe('twin-rp2040-sfu');
  });
});

describe('useRig on the twin rig', () => {
  const rig = useRig(TWIN);

  it('power: on, off, cycle', async () => {
    await rig.power.on();
    expect(rig.power.state).toBe('on');
    await rig.power.off();
    expect(rig.power.state).toBe('off');
    await rig.power.cycle(50);
    expect(rig.power.state).toBe('on');
  });

  it('console: expect waits for a line, lines holds it, write reaches the device', async () => {
    await rig.power.off();
    const before = rig.console.lines.length;
    await rig.power.on();
    const got = await rig.console.expect(/\S/, { fromLine: before });
    expect(got.index).toBeGreaterThanOrEqual(before);
    expect(rig.console.lines[got.index]!.text).toBe(got.line.text);
    await expect(rig.console.write('\r\n')).resolves.toBeUndefined();
    // A wait that cannot be met says what it waited for.
    await expect(rig.console.expect(/never printed by any firmware/, { timeoutMs: 100 })).rejects.toThrow(/waited 100 ms for \/never printed by any firmware\//);
  });

  it('cut: the CutResult of runCut, updated or rolled back', async () => {
    const r = await rig.cut({ from: V1, to: V2, trigger: 'progress:37%', seed: 3 });
    expect(r.rig).toBe('twin-rp2040-sfu');
    expect(r.trigger).toBe('progress:37%');
    expect(r.seed).toBe(3);
    expect(r.offMs).toBe(200);
    expect(r.fired).toBeDefined();
    expect(['updated', 'rolled-back']).toContain(r.outcome);
    expect(r.verdict?.agree).toBe(true);
  });

  it('inspect: the scheme reads the flash the cut left', async () => {
    const view = await rig.inspect();
    expect(view.bootsNext).not.toBeNull();
    expect(view.slots.length).toBeGreaterThan(0);
    expect(view.table).toMatch(/app-v[12]\.page2bin/);
  });

  it("updater.update(file) sends the image through the rig's update path", async () => {
    const r = await rig.updater.update(V1);
    expect(r.ok).toBe(true);
  });

  it('a bad trigger is a config error, before the rig is touched', async () => {
    const err = await rig.cut({ from: V1, to: V2, trigger: 'progress:137%' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/rig\.cut\(\) on .*twin-rp2040-sfu\.yaml: invalid trigger "progress:137%"/);
  });
});

// A suite's rigs[] entry overriding the twin: another bootloader variant, another power-loss mode.
const overridden = withTwinOverrides(await loadRig(TWIN), { variant: 'boot-unsigned-target', powerLoss: 'skip' }, TWIN);

describe('useRig with a RigConfig already loaded (as the YAML runner passes the one its suite prepared)', () => {
  const config = overridden;
  const rig = useRig(config);

  it('opens that config, overrides included', () => {
    expect(rig.name).toBe(config.name);
    expect(rig.config.twin).toMatchObject({ variant: 'boot-unsigned-target', powerLoss: 'skip' });
    expect(rig.openError).toBeUndefined();
  });

  it('cut: images already loaded, and a second cut during the recovery, both in the repro line', async () => {
    const [from, to] = await Promise.all([loadUpdateImage(V1, 'sfu-ab'), loadUpdateImage(V2, 'sfu-ab')]);
    const r = await rig.cut({ from, to, trigger: 'after:500ms', second: 300, seed: 3, bootLoopCycles: 1 });
    expect(r.variant).toBe('boot-unsigned-target');
    expect(r.secondCut?.afterMs).toBe(300);
    expect(r.timeline).toMatch(/second\s+300 ms after power returned/);
    expect(r.repro).toBe(
      // The overrides ride on the line (issue 10 item 6): without them it replays another bootloader.
      'hil cut --rig rigs/twin-rp2040-sfu.yaml --variant boot-unsigned-target --power-loss skip --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin --trigger after:500ms --off-ms 200 --seed 3 --second 300ms --boot-loop-cycles 1',
    );
  });

  it('a rig error is a RigCutError (a RigError: Allure broken, exit 3) carrying the rig-error CutResult and its repro', async () => {
    const err = await rig.cut({ from: V1, to: V2, trigger: 'progress:99999999' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigCutError);
    expect(err).toBeInstanceOf(RigError);
    const { result } = err as RigCutError;
    expect(result).toMatchObject({ outcome: 'rig-error', trigger: 'progress:99999999', rigError: expect.stringMatching(/never fired/) });
    expect(result.repro).toContain('--trigger progress:99999999');
    expect((err as Error).message).toContain(result.rigError);
    expect((err as Error).message).toContain(result.repro);
  });
});

describe("useRig with onOpenError: 'record': a rig that cannot open (no gpioset on PATH)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'hil-use-rig-unopenable-'));
  const file = unopenableRigFile(dir);
  const savedPath = process.env.PATH;
  // Registered before useRig's own beforeAll, so it runs first: the rig opens without gpioset.
  beforeAll(() => {
    process.env.PATH = dirname(process.execPath);
  });
  const rig = useRig(file, { onOpenError: 'record' });
  afterAll(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails no hook: the tests run, and openError says why', () => {
    expect(rig.openError).toBeInstanceOf(RigError);
    expect(rig.openError!.message).toMatch(/no-gpioset\.yaml: gpio \(libgpiod\): .*gpioset not found/);
    expect(rig.name).toBe('no-gpioset');
  });

  it('each cut throws a RigCutError whose result is a rig-error cut with that reason and its repro line', async () => {
    const err = await rig.cut({ from: V1, to: V2, trigger: 'progress:30%', seed: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigCutError);
    const { result } = err as RigCutError;
    expect(result).toMatchObject({ rig: 'no-gpioset', outcome: 'rig-error', trigger: 'progress:30%', offMs: 10, seed: 4, rigError: rig.openError!.message, transcript: '' });
    expect(result.update).toMatchObject({ finished: false, acked: 0 });
    expect(result.repro).toMatch(/^hil cut --rig \S*no-gpioset\.yaml --from firmware\/app-v1\.page2bin .*--trigger progress:30% --off-ms 10 --seed 4$/);
  });

  it('the capabilities throw the open error', () => {
    expect(() => rig.power).toThrow(/rig\.power: the rig did not open: .*gpioset not found/);
  });

  it('a bad trigger is still a config error (exit 2), not a recorded rig error', async () => {
    await expect(rig.cut({ from: V1, to: V2, trigger: 'progress:137%' })).rejects.toBeInstanceOf(ConfigError);
  });

  it("without 'record' the same rig rejects the open", async () => {
    await expect(openRigSession(file)).rejects.toThrow(/gpioset not found/);
  });
});

describe("useRig registers the rig's safe state with hil's worker lifeline (a stand-in lifeline object, as the worker environment exposes)", () => {
  const registered = new Set<SafeState>();
  const stop = new AbortController();
  const lifeline: Lifeline = {
    signal: stop.signal,
    onStop(safe) {
      registered.add(safe);
      return () => registered.delete(safe);
    },
  };
  const g = globalThis as { hilLifeline?: Lifeline };
  const saved = g.hilLifeline;
  g.hilLifeline = lifeline;
  const rig = useRig(TWIN);
  g.hilLifeline = saved;
  let opened: Rig;
  beforeAll(() => {
    opened = rig.rig;
  });

  it('runs the safe state when the worker stops: power goes to its safe state (off)', async () => {
    expect(registered.size).toBe(1);
    await rig.power.on();
    expect(opened.power.state).toBe('on');
    // What the worker environment does on SIGTERM or when hil dies.
    stop.abort(new Error('hil run worker stopped: got SIGTERM'));
    await Promise.all([...registered].map((s) => s()));
    expect(opened.power.state).toBe('off');
  });
});

describe('useRig: config errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hil-use-rig-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a rig file with an error: ConfigError naming file:line:col and the field', async () => {
    const file = badRigFile(dir);
    const err = await openRigSession(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/bad-rig\.yaml:\d+:\d+: .*offMs/);
  });

  it('a rig file that does not exist: ConfigError naming it', async () => {
    const err = await openRigSession(join(dir, 'no-such-rig.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('no-such-rig.yaml');
  });
});

/** Jest options for a child run of one fixture, as the `tests` project transforms TypeScript. */
function childConfig(fixture: string, environment: string, options: Record<string, unknown>) {
  return JSON.stringify({
    rootDir: process.cwd(),
    roots: ['<rootDir>/test/testing/fixtures'],
    testMatch: [`<rootDir>/test/testing/fixtures/${fixture}`],
    testEnvironment: environment,
    testEnvironmentOptions: options,
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }] },
    testTimeout: 120_000,
  });
}

const JEST = [process.execPath, '--experimental-vm-modules', '--disable-warning=ExperimentalWarning', 'node_modules/jest/bin/jest.js'] as const;

describe("useRig under hil's worker environment (dist/report/worker-environment.js): SIGTERM to the worker", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hil-use-rig-signal-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('puts the rig in its safe state (power off), aborts the lifeline signal and exits 4 (interrupted)', async () => {
    const ready = join(dir, 'ready');
    const child = execa(
      JEST[0],
      [
        ...JEST.slice(1),
        '--config',
        childConfig('signal.fixture.ts', join(process.cwd(), 'dist/report/worker-environment.js'), { resultsDir: join(dir, 'allure-results'), hilPid: process.pid }),
        '--runInBand',
        '--ci',
      ],
      {
        reject: false,
        all: true,
        env: { HIL_FIXTURE_OUT: join(dir, 'out.json'), HIL_FIXTURE_READY: ready, NODE_OPTIONS: '' },
      },
    );
    // The rig is open and powered: now the worker gets the signal.
    const state = await waitFor(
      'the fixture to power the rig on',
      () => {
        try {
          return readFileSync(ready, 'utf8');
        } catch {
          return child.exitCode === null ? undefined : `child exited early: ${child.exitCode}`;
        }
        // A child Jest starting up (transforming TypeScript) on a loaded Pi: a hang guard, under the test timeout.
      },
      100_000,
    );
    expect(state).toBe('on');
    child.kill('SIGTERM');
    const run = await child;
    expect({ exitCode: run.exitCode, out: JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) }).toEqual({ exitCode: 4, out: { powerAfter: 'off', aborted: true } });
    expect(run.all).toMatch(/got SIGTERM: putting the rig in its safe state/);
  });
});

describe('useRig in a child Jest (allure-jest environment): failing bodies still close the rig', () => {
  let dir: string;
  let run: { exitCode?: number; all?: string };
  let out: { opened: boolean; poweredOn: boolean; powerAfter?: string };
  let results: { name: string; status: string; steps: unknown[]; attachments: { name: string; source: string }[] }[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hil-use-rig-child-'));
    run = await execa(JEST[0], [...JEST.slice(1), '--config', childConfig('failing-body.fixture.ts', 'allure-jest/node', { resultsDir: join(dir, 'allure-results') }), '--runInBand', '--ci'], {
      reject: false,
      all: true,
      env: { HIL_FIXTURE_OUT: join(dir, 'out.json'), HIL_FIXTURE_BAD_RIG: badRigFile(dir), NODE_OPTIONS: '' },
    });
    out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    const resultsDir = join(dir, 'allure-results');
    results = readdirSync(resultsDir)
      .filter((f) => f.endsWith('-result.json'))
      .map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the child run fails (exit code 1) with the failing bodies', () => {
    expect(run.exitCode).toBe(1);
    expect(run.all).toContain('thrown after the cut');
  });

  it('the rig was powered on in the failing test and left in its safe state (power off, as the twin rig file says)', () => {
    expect(out).toEqual({ opened: true, poweredOn: true, powerAfter: 'off' });
  });

  it("each call is an Allure step; the cut is a step followed by the console's and the flash's verdicts, its summary, transcript, timeline and repro line", () => {
    const byName = (n: string) => results.find((r) => r.name === n);
    const first = byName('powers on, then fails an assertion');
    expect(first?.status).toBe('failed');
    expect(JSON.stringify(first?.steps)).toContain('"name":"power on"');
    const cut = byName('cuts, then throws');
    expect(cut?.status).toBe('broken');
    expect(cut?.steps.map((st) => (st as { name: string }).name)).toEqual([
      'power on',
      'cut at progress:37%, off 200 ms',
      expect.stringMatching(/^console says: /),
      expect.stringMatching(/^flash says: /),
      expect.stringMatching(/^verdict: /),
      'summary',
      'console transcript',
      'event timeline',
      'event timeline (picture)',
      'repro command',
    ]);
  });

  it('a rig file with an error fails its block with file:line:col', () => {
    expect(run.all).toMatch(/bad-rig\.yaml:\d+:\d+: .*offMs/);
  });
});
