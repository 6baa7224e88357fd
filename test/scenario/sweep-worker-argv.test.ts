/**
 * The Node options a sweep's worker thread starts with (src/scenario/sweep/engine.ts
 * workerExecArgv): this process's, without module loaders (a thread runs the compiled code) and
 * without a script string's options (a process run as `node --input-type=module -e CODE`, as the
 * sweep bench measures, would otherwise start threads that fail with ERR_INPUT_TYPE_NOT_ALLOWED).
 * One real sweep from such a process proves the threads start; another, whose own session
 * cannot open (a missing image), proves its waiting thread is let go: the process exits.
 */
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { workerExecArgv } from '../../src/scenario/sweep/engine.js';
import { ROOT } from '../cli/hil.js';

describe('workerExecArgv', () => {
  it('drops loaders with their values, in both spellings, and keeps the rest', () => {
    expect(workerExecArgv(['--import', 'tsx', '--max-old-space-size=4096', '--loader=x.mjs', '-r', 'a.cjs', '--cpu-prof'])).toEqual(['--max-old-space-size=4096', '--cpu-prof']);
  });

  it('drops a script string and its input type', () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'console.log(1)', '--stack-size=2000'])).toEqual(['--stack-size=2000']);
    expect(workerExecArgv(['--input-type', 'module', '--eval=1', '-p', '2', '--print=3'])).toEqual([]);
  });

  it('a sweep with a worker thread runs from a `node --input-type=module -e` process', async () => {
    const code = `
      const { runSweep } = await import(process.argv[1] + '/dist/scenario/sweep/engine.js');
      const run = await runSweep({ rig: 'twin-rp2040-sfu', images: { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin' }, seed: 1 }, { modes: ['after'], workers: 2, join: 'at-once' });
      console.log(JSON.stringify({ points: run.results.length, threads: run.timing.map((t) => t.threadId) }));
      process.exit(0);`;
    const r = await execa(process.execPath, ['--input-type=module', '-e', code, ROOT], { cwd: ROOT, reject: false, timeout: 600_000 });
    expect(r.stderr).not.toContain('ERR_INPUT_TYPE_NOT_ALLOWED');
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { points: number; threads: number[] };
    expect(out.points).toBeGreaterThan(100);
    expect(out.threads).toEqual([0, expect.any(Number)]);
  });

  it('a sweep whose own session cannot open rejects, and its threads do not keep the process alive', async () => {
    const code = `
      const { runSweep } = await import(process.argv[1] + '/dist/scenario/sweep/engine.js');
      const request = { rig: 'twin-rp2040-sfu', images: { from: 'firmware/no-such-image.bin', to: 'firmware/app-v2.page2bin' }, seed: 1 };
      await runSweep(request, { modes: ['after'], workers: 2, join: 'at-once' }).then(() => console.log('resolved'), (err) => console.log('rejected: ' + err.message));`;
    // No process.exit: the process must end by itself (the hang guard is execa's timeout).
    const r = await execa(process.execPath, ['--input-type=module', '-e', code, ROOT], { cwd: ROOT, reject: false, timeout: 300_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^rejected: .*no-such-image\.bin: cannot read image/);
  });
});
