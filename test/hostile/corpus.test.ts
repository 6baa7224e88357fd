/**
 * The hostile-input family of issue 8: several hundred generated rig and suite files (corpus.ts),
 * each through the loaders and through the CLI's main() in-process (`hil cut`, `hil doctor` for
 * rigs, `hil run` for suites), plus a handful through a real `node bin/hil.js` process (a FIFO,
 * /dev/zero, a huge file). Every one must give exit 2 and a message naming the file (with
 * line:col where there is one), no stack trace, no hang, no file written, no process left.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigFileError, checkRigForSuite, displayFile, formatLocation, loadRig, loadSuite, withTwinOverrides } from '../../src/config/index.js';
import { HilError } from '../../src/core/errors.js';
import { main } from '../../src/cli/main.js';
import { hil } from '../cli/hil.js';
import { FIRMWARE_V1, FIRMWARE_V2, NASTY_DIRS, ROOT, TWIN_RIG, writeCorpus, type HostileFile } from './corpus.js';

/** Generous: only stops a hang (a FIFO opened for reading blocks until a writer comes). */
const SAFETY_MS = 30_000;

let root: string;
let corpus: HostileFile[];
let reports: string;
let before: Map<string, string>;
let childrenBefore: string[];

/** Every entry under `dir`, never followed or opened: type, size and mtime. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const s = lstatSync(p);
      out.set(path.relative(dir, p), `${s.mode}:${s.size}:${s.mtimeMs}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Child processes of this process (the ps that asks is left out). */
function children(): string[] {
  const text = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+ ps /.test(l));
}

async function bounded<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${SAFETY_MS} ms (hang)`)), SAFETY_MS);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The checks `hil run` makes before it touches anything, for one suite file. */
async function validateSuite(file: string): Promise<void> {
  const suite = await loadSuite(file);
  for (const entry of suite.rigs) checkRigForSuite(withTwinOverrides(await loadRig(entry.path), entry.twin, suite.file), suite);
}

/** main(argv) with stdout and stderr captured. */
async function runMain(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await bounded(`hil ${argv.join(' ')}`, main(argv));
    return { code, stderr, stdout };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

/** What the user must read for this file: its name, and line:col when the loader found one. */
interface Expectation {
  name: string;
  location?: string;
}
const expected = new Map<string, Expectation>();

function expectation(error: unknown, fallbackFile: string): Expectation {
  if (error instanceof ConfigFileError) {
    const first = error.issues[0]!;
    return { name: displayFile(first.file), ...(first.line !== undefined && { location: formatLocation(first) }) };
  }
  return { name: displayFile(fallbackFile) };
}

function expectCleanExit2(r: { code: number; stderr: string; stdout: string }, e: Expectation): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(e.name);
  if (e.location) expect(r.stderr).toContain(e.location);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(/^error: /);
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'hil-hostile-'));
  corpus = writeCorpus(path.join(root, 'corpus'));
  reports = path.join(root, 'reports');
  // A valid twin rig among the hostile files: `hil doctor` must compare it with its siblings, bounded.
  copyFileSync(TWIN_RIG, path.join(root, 'corpus', NASTY_DIRS[1]!, 'a-valid-twin.yaml'));
  before = snapshot(root);
  childrenBefore = children();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the hostile corpus', () => {
  test('has at least 200 files, rigs and suites, with every kind of trouble', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(corpus.filter((f) => f.kind === 'rig').length).toBeGreaterThanOrEqual(100);
    expect(corpus.filter((f) => f.kind === 'suite').length).toBeGreaterThanOrEqual(100);
  });

  test('every file is refused by the loaders with a ConfigError naming it, never another error', async () => {
    const accepted: string[] = [];
    for (const f of corpus) {
      try {
        await bounded<unknown>(f.what, f.kind === 'rig' ? loadRig(f.file) : validateSuite(f.file));
        accepted.push(`${f.kind} ${f.what}`);
      } catch (error) {
        if (!(error instanceof HilError) || error.exitCode !== 2) throw new Error(`${f.kind} ${f.what} (${f.file}): not a config error: ${(error as Error)?.stack}`, { cause: error });
        const e = expectation(error, f.file);
        // A suite whose rig is the broken file names the rig; everything else names itself.
        if (e.name !== displayFile(f.file)) expect(f.kind === 'suite' && /rig/.test(f.what)).toBe(true);
        expect(error.message).toContain(e.name);
        expected.set(f.file, e);
      }
    }
    expect(accepted).toEqual([]);
  });

  test('hil cut and hil doctor (main in-process) give exit 2 for every rig file, cleanly', async () => {
    // A file the loaders accepted already failed the test above: it is not run (it could drive a rig).
    for (const f of corpus.filter((x) => x.kind === 'rig' && expected.has(x.file))) {
      const e = expected.get(f.file)!;
      const cut = await runMain(['cut', '--rig', f.file, '--from', FIRMWARE_V1, '--to', FIRMWARE_V2, '--trigger', 'after:1ms']);
      try {
        expectCleanExit2(cut, e);
        expectCleanExit2(await runMain(['doctor', '--rig', f.file]), e);
      } catch (error) {
        throw new Error(`rig ${f.what} (${JSON.stringify(f.file)}): ${(error as Error).message}`, { cause: error });
      }
    }
  });

  test('hil run (main in-process) gives exit 2 for every suite file before writing anything', async () => {
    for (const f of corpus.filter((x) => x.kind === 'suite' && expected.has(x.file))) {
      const r = await runMain(['run', f.file, '--reports', reports, '--no-html']);
      try {
        expectCleanExit2(r, expected.get(f.file)!);
      } catch (error) {
        throw new Error(`suite ${f.what} (${JSON.stringify(f.file)}): ${(error as Error).message}`, { cause: error });
      }
    }
    expect(existsSync(reports)).toBe(false);
  });

  test('hil cut refuses hostile images and absurd options on a valid rig, before opening it', async () => {
    const empty = path.join(root, 'corpus', 'empty.bin');
    const fifo = path.join(root, 'corpus', 'image-fifo.bin');
    const big = path.join(root, 'corpus', 'big.bin');
    const base = ['cut', '--rig', TWIN_RIG, '--trigger', 'after:1ms'];
    const cases: [string[], string][] = [
      [['--from', '/dev/zero', '--to', FIRMWARE_V2], '/dev/zero: cannot read image: is a character device'],
      [['--from', FIRMWARE_V1, '--to', fifo], `${displayFile(fifo)}: cannot read image: is a FIFO`],
      [['--from', big, '--to', FIRMWARE_V2], `${displayFile(big)}: cannot read image: is 64 MiB, more than the 16 MiB allowed`],
      [['--from', empty, '--to', FIRMWARE_V2], `${displayFile(empty)}: cannot read image: is empty`],
      [['--from', FIRMWARE_V1, '--to', FIRMWARE_V2, '--off-ms', '1e308'], '--off-ms: expected a number >= 0 and <= 60000, got "1e308"'],
      [['--from', FIRMWARE_V1, '--to', FIRMWARE_V2, '--seed', '4294967296'], '--seed: expected an integer >= 0 and <= 4294967295'],
      [['--from', FIRMWARE_V1, '--to', FIRMWARE_V2, '--second', '99999s'], '--second: expected a time of at most 1 h'],
      [['--from', FIRMWARE_V1, '--to', FIRMWARE_V2, '--boot-loop-cycles', '1e9'], '--boot-loop-cycles: expected an integer >= 0 and <= 1000'],
    ];
    for (const [args, message] of cases) {
      const r = await runMain([...base, ...args]);
      expect({ args, code: r.code, stack: /^\s+at /m.test(r.stderr) }).toEqual({ args, code: 2, stack: false });
      expect(r.stderr).toContain(message);
    }
    const trigger = await runMain(['cut', '--rig', TWIN_RIG, '--from', FIRMWARE_V1, '--to', FIRMWARE_V2, '--trigger', 'after:99999999999999999999ms']);
    expectCleanExit2(trigger, { name: 'after:99999999999999999999ms' });
  });

  test('hil sfu upload reads its image through the same reader: /dev/zero and a FIFO refused before any port', async () => {
    const fifo = path.join(root, 'corpus', 'image-fifo.bin');
    for (const image of ['/dev/zero', fifo]) {
      const r = await runMain(['sfu', 'upload', '--port', path.join(root, 'no-such-port'), image]);
      expectCleanExit2(r, { name: `${displayFile(image)}: cannot read image: is a` });
    }
  });

  test('hil flash, hil inspect --known and hil power take their files and numbers through the same bounds', async () => {
    const fifo = path.join(root, 'corpus', 'image-fifo.bin');
    for (const image of ['/dev/zero', fifo]) {
      expectCleanExit2(await runMain(['flash', '--rig', TWIN_RIG, image]), { name: `${displayFile(image)}: cannot read image: is a` });
      expectCleanExit2(await runMain(['inspect', '--scheme', 'sfu-ab', '--known', image, path.join(root, 'no-such-dump.bin')]), { name: `${displayFile(image)}: cannot read image: is a` });
    }
    const power = await runMain(['power', 'cycle', '--rig', TWIN_RIG, '--off-ms', '1e308']);
    expectCleanExit2(power, { name: '--off-ms: expected a number >= 0 and <= 60000, got "1e308"' });
  });

  test('hil run: a suite without rigs: and a suite naming a missing rig are refused at the suite line (defect 17)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hil-run-rigs-'));
    const images = ['images:', `  from: ${FIRMWARE_V1}`, `  to: ${FIRMWARE_V2}`];
    const noRigs = path.join(dir, 'no-rigs.yaml');
    writeFileSync(noRigs, [...images, 'cuts: { points: [after:1ms] }', ''].join('\n'));
    const r1 = await runMain(['run', noRigs, '--reports', path.join(dir, 'reports')]);
    expectCleanExit2(r1, { name: displayFile(noRigs), location: `${displayFile(noRigs)}:1:1` });
    expect(r1.stderr).toContain('rigs: no rigs listed');
    const missing = path.join(dir, 'missing-rig.yaml');
    writeFileSync(missing, [...images, 'rigs:', `  - rig: ${TWIN_RIG}`, '  - rig: no-such-rig', 'cuts: { points: [after:1ms] }', ''].join('\n'));
    const r2 = await runMain(['run', missing, '--reports', path.join(dir, 'reports')]);
    expectCleanExit2(r2, { name: displayFile(missing), location: `${displayFile(missing)}:6:5` });
    expect(r2.stderr).toMatch(/rigs\[1\]: rig .*no-such-rig\.yaml: cannot read: no such file/);
    expect(existsSync(path.join(dir, 'reports'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  test('hil doctor on a valid twin rig among the hostile files answers, naming the ones that do not load', async () => {
    const r = await runMain(['doctor', '--rig', path.join(root, 'corpus', NASTY_DIRS[1]!, 'a-valid-twin.yaml'), '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; detail: string }[] };
    const files = report.checks.find((c) => c.id === 'wiring.files')!;
    expect(files.status).toBe('warn');
    expect(files.detail).toContain('rig-fifo.yaml: cannot read: is a FIFO');
  });

  test('through a real process: a FIFO rig, /dev/zero as image, a huge rig file; each bounded', async () => {
    const fifoRig = corpus.find((f) => f.kind === 'rig' && f.what === 'a FIFO')!.file;
    const hugeRig = corpus.find((f) => f.kind === 'rig' && f.what === 'over 128 KiB')!.file;
    const runs = await Promise.all([
      hil(['cut', '--rig', fifoRig, '--from', FIRMWARE_V1, '--to', FIRMWARE_V2, '--trigger', 'after:1ms'], { timeoutMs: 60_000 }),
      hil(['cut', '--rig', TWIN_RIG, '--from', '/dev/zero', '--to', FIRMWARE_V2, '--trigger', 'after:1ms'], { timeoutMs: 60_000 }),
      hil(['doctor', '--rig', hugeRig], { timeoutMs: 60_000 }),
    ]);
    for (const r of runs) {
      expect({ timedOut: r.timedOut, exitCode: r.exitCode, stack: /^\s+at /m.test(r.stderr) }).toEqual({ timedOut: false, exitCode: 2, stack: false });
    }
    expect(runs[0]!.stderr).toContain(`${displayFile(fifoRig, ROOT)}: cannot read: is a FIFO`);
    expect(runs[1]!.stderr).toContain('/dev/zero: cannot read image: is a character device');
    expect(runs[2]!.stderr).toContain('more than the 128 KiB allowed');
  });

  test('nothing was written, nothing ran, no process is left', () => {
    expect(snapshot(root)).toEqual(before);
    for (const dir of [root, ROOT, process.cwd()]) expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    expect([...snapshot(root).keys()].filter((p) => p.endsWith('PWNED'))).toEqual([]);
    expect(children()).toEqual(childrenBefore);
  });
});

// A stray write to a corpus file would show in the snapshot; this one proves the snapshot sees writes.
test('the snapshot notices a write', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hil-snap-'));
  try {
    const a = snapshot(dir);
    writeFileSync(path.join(dir, 'x'), 'y');
    expect(snapshot(dir)).not.toEqual(a);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
