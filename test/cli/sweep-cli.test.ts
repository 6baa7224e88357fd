/**
 * `hil sweep` (issue 10 items 1 and 6): an op-exhaustive sweep from the command line. A correct
 * bootloader sweeps clean (exit 0); a seeded bug fails points (exit 1) whose printed `hil cut`
 * lines replay to the same outcome; bad options and a bench rig are usage errors; Ctrl-C stops it
 * (exit 4); `--help` loads none of the engine. Kept small (`--modes after` on the SFU scheme,
 * the smallest) and in the `sweeps` Jest project: CPU-bound, the time limits are hang guards only.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait-for.js';
import { hil, hilBackground, ROOT } from './hil.js';

const GUARD = { timeoutMs: 1_500_000 };
const SFU = ['--from', 'firmware/app-v1.page2bin', '--to', 'firmware/app-v2.page2bin'];

interface Report {
  rig: string;
  variant: string;
  modes: string[];
  uncut: string;
  ops: { total: number; byStage: Record<string, number> };
  points: number;
  outcomes: Record<string, Record<string, number>>;
  failing: { op: number; mode: string; seed: number; outcome: string; reasons: string[]; repro: string }[];
}

/** Runs a printed `hil cut …` line as a user pastes it into a shell, with --json. */
async function replay(line: string) {
  expect(line).toMatch(/^hil cut /);
  const command = `"${process.execPath}" "${join(ROOT, 'bin/hil.js')}" ${line.slice('hil '.length)} --json`;
  const r = await execa('sh', ['-c', command], { cwd: ROOT, reject: false, stdin: 'ignore', env: { NO_COLOR: '1' }, timeout: GUARD.timeoutMs });
  return { exitCode: r.exitCode, ...(JSON.parse(r.stdout) as { outcome: string; variant: string }) };
}

describe('hil sweep', () => {
  it('a correct bootloader sweeps clean: exit 0, every op counted, progress on stderr (worker threads)', async () => {
    const r = await hil(['sweep', '--rig', 'twin-rp2040-sfu', ...SFU, '--modes', 'after', '--workers', '2', '--json'], GUARD);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as Report;
    expect(doc).toMatchObject({ rig: 'twin-rp2040-sfu', variant: 'correct', modes: ['after'], uncut: 'updated', failing: [] });
    expect(doc.ops.total).toBeGreaterThan(100);
    expect(Object.values(doc.ops.byStage).reduce((a, b) => a + b, 0)).toBe(doc.ops.total);
    expect(Object.values(doc.outcomes.after!).reduce((a, b) => a + b, 0)).toBe(doc.points);
    expect(Object.keys(doc.outcomes.after!).every((o) => o === 'updated' || o === 'rolled-back')).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`^${doc.points}/${doc.points} points, \\d+/s$`, 'm'));
  });

  it('a seeded-bug rig fails points (exit 1), each with a hil cut line that replays to the same outcome', async () => {
    const r = await hil(['sweep', '--rig', 'twin-rp2040-sfu-bug-sign-before-flush', ...SFU, '--modes', 'after', '--workers', '0'], GUARD);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^ops: \d+ \(update \d+/m);
    expect(r.stdout).toMatch(/^ {2}after +\S+/m);
    const failing = [...r.stdout.matchAll(/^ {2}op (\d+) after \(.*\) -> ([\w-]+)(?::.*)?\n {4}(hil cut .*)$/gm)].map((m) => ({ op: Number(m[1]), outcome: m[2]!, line: m[3]! }));
    expect(r.stdout).toContain(`failing points: ${failing.length}\n`);
    expect(failing.length).toBeGreaterThan(0);
    for (const f of failing) {
      expect(f.line).toMatch(/ --power-loss complete .*--trigger marker:\d+ .*--seed \d+$/);
      const again = await replay(f.line);
      expect({ op: f.op, outcome: again.outcome, variant: again.variant, exitCode: again.exitCode }).toEqual({ op: f.op, outcome: f.outcome, variant: 'sign-before-flush', exitCode: 1 });
    }
  });

  it('--variant sweeps a seeded bug on the plain twin rig, and its repro lines carry the variant', async () => {
    const r = await hil(['sweep', '--rig', 'twin-rp2040-sfu', '--variant', 'sign-before-flush', ...SFU, '--modes', 'after', '--workers', '0', '--json'], GUARD);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as Report;
    expect(doc.variant).toBe('sign-before-flush');
    expect(doc.failing.length).toBeGreaterThan(0);
    const first = doc.failing[0]!;
    expect(first.repro).toMatch(/^hil cut --rig rigs\/twin-rp2040-sfu\.yaml --variant sign-before-flush --power-loss complete /);
    const again = await replay(first.repro);
    expect({ outcome: again.outcome, exitCode: again.exitCode }).toEqual({ outcome: first.outcome, exitCode: 1 });
  });

  it('bad options, a bench rig and a bad image are usage errors (exit 2) naming what is wrong, with no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['--rig', 'pi-pico-sfu', ...SFU], /pi-pico-sfu is a bench rig, and a bench sweep is not built yet/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--modes', 'before,sideways'], /--modes: expected a comma-separated list of before, after, torn, got "before,sideways"/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--mode', 'random'], /--mode: only every-op is built so far/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--workers=-1'], /--workers: expected an integer >= 0/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--seed', 'x'], /--seed: expected an integer/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--setup', 'nope'], /--setup/],
      [['--rig', 'twin-rp2040-sfu', '--from', 'firmware/app-v1.page2bin'], /--to is required/],
      [['--rig', 'twin-rp2040-sfu', '--from', 'firmware/app-v1.page2bin', '--to', 'firmware/no-such.bin'], /no-such\.bin/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--power-loss', 'torn'], /--power-loss/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--variant', 'no-such-bug'], /--variant: "no-such-bug" is not a sfu-ab twin variant/],
      [['--rig', 'pi-pico-sfu', ...SFU, '--variant', 'sign-before-flush'], /bench sweep is not built yet/],
      [['--rig', 'twin-rp2040-sfu', ...SFU, '--boot-loop-cycles', '1.5'], /--boot-loop-cycles: expected an integer/],
    ];
    for (const [args, message] of cases) {
      const r = await hil(['sweep', ...args]);
      expect({ args, exitCode: r.exitCode }).toEqual({ args, exitCode: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('Ctrl-C stops the sweep and its workers: exit 4, the process gone with no report (no worker left running)', async () => {
    const child = hilBackground(['sweep', '--rig', 'twin-rp2040-sfu', ...SFU, '--workers', '2']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    // A progress line from the workers themselves: they are recovering points when Ctrl-C comes.
    const total = await waitFor('the point count', () => /(\d+) points on 2 worker/.exec(stderr)?.[1], GUARD.timeoutMs);
    await waitFor('a progress line from the workers', () => /^\d+\/\d+ points/m.test(stderr), GUARD.timeoutMs);
    child.kill('SIGINT');
    // Resolves only once the process has exited, which a worker thread still running would prevent.
    const r = await child;
    expect(r.exitCode).toBe(4);
    expect(stdout).not.toMatch(/^ops: /m);
    expect(stderr).not.toContain(`${total}/${total} points`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  describe('--help', () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'hil-sweep-help-'));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('loads the help module alone: no engine, twin, scenario or package', async () => {
      const file = join(tmp, 'modules.txt');
      const r = await hil(['sweep', '--help'], { env: { NODE_OPTIONS: `--import=${join(ROOT, 'test/cli/fixtures/record-loading.mjs')}`, HIL_RECORD_MODULES: file } });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('usage: hil sweep --rig RIG --from A.bin --to B.bin');
      const modules = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(modules.filter((u) => u.includes('/node_modules/'))).toEqual([]);
      expect(modules.filter((u) => /\/dist\/(report|scenario|rig|drivers|twin|testing)\//.test(u))).toEqual([]);
      expect(
        modules
          .filter((u) => /\/dist\/cli\/commands\//.test(u))
          .map((u) => u.replace(/.*\/dist\/cli\/commands\//, ''))
          .sort(),
      ).toEqual(['index.js', 'sweep.help.js']);
    });
  });
});
