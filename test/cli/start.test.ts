/**
 * Issue 9 item 3: bin/hil.js runs the compiled CLI. Without dist/ it says how to build it (exit 2,
 * no stack trace); a signal while a command's modules load still exits 4 and touches nothing
 * (issue 8), now that main() holds the signals during that load.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from './hil.js';
import { commandLine, startHil, waitFor } from '../signals/helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-start-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bin/hil.js', () => {
  test('without dist/: exit 2, names the missing file and says to run npm run build', async () => {
    const pkg = join(tmp, 'unbuilt');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ type: 'module' }));
    copyFileSync(join(ROOT, 'bin/hil.js'), join(pkg, 'bin/hil.js'));
    const r = await execa(process.execPath, [join(pkg, 'bin/hil.js'), '--help'], { reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${pkg}/dist/cli/main.js is missing`);
    expect(r.stderr).toContain('npm run build');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('%s while the command itself loads (held there by a loader hook): exit 4, nothing started', async (sig) => {
    const reports = join(tmp, `reports-${sig}`);
    const mark = join(tmp, `held-${sig}`);
    const h = startHil(['run', '--reports', reports], {
      NODE_OPTIONS: `--import=${join(ROOT, 'test/cli/fixtures/hold-loading.mjs')}`,
      HIL_HOLD_MODULE: 'dist/cli/commands/run.js',
      HIL_HOLD_MARK: mark,
    });
    try {
      // main() is running (bin/hil.js's own handler is gone) and run.js is being resolved.
      await waitFor('hil to start loading the run command', () => existsSync(mark));
      expect(commandLine(h.pid)).toMatch(/^hil run/);
      process.kill(h.pid, sig);
      const r = await h.child;
      expect(r.exitCode).toBe(4);
      expect(h.stderr()).toMatch(/interrupted while starting: no rig was touched/);
      expect(existsSync(reports)).toBe(false);
    } finally {
      if (h.child.exitCode === null) process.kill(h.pid, 'SIGKILL');
    }
  });
});
