/**
 * Issue 9 item 3: commands load lazily. `hil --help` and group help come from the manifest alone
 * (no package, no command module); `hil <cmd> --help` and a bad option load that command's help
 * module only (`<name>.help.ts`), never its implementation. What was loaded is
 * recorded by a loader hook in the real `node bin/hil.js` process (dist/, built by test:jest).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { ROOT, hil } from './hil.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hil-lazy-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let runs = 0;
/** Runs hil and returns what it printed and every module URL it loaded. */
async function loaded(args: string[]) {
  const file = join(tmp, `modules-${++runs}.txt`);
  const r = await hil(args, { env: { NODE_OPTIONS: `--import=${join(ROOT, 'test/cli/fixtures/record-loading.mjs')}`, HIL_RECORD_MODULES: file } });
  const modules = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return {
    ...r,
    modules,
    packages: modules.filter((u) => u.includes('/node_modules/')),
    commands: modules.filter((u) => /\/dist\/cli\/commands\//.test(u)).map((u) => u.replace(/.*\/dist\/cli\/commands\//, '')),
  };
}

describe('lazy commands', () => {
  test('hil --help lists every command from the manifest and loads no package and no command module', async () => {
    const r = await loaded(['--help']);
    expect(r.exitCode).toBe(0);
    for (const c of COMMANDS.filter((x) => !x.hidden)) expect(r.stdout).toContain(`${c.path.join(' ')}`);
    expect(r.stdout).not.toContain('__complete');
    expect(r.modules.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true); // the hook did record
    expect(r.packages).toEqual([]);
    expect(r.commands).toEqual(['index.js']);
  });

  test('hil sfu --help and hil twin --help list their group from the manifest, loading no command', async () => {
    for (const [group, member] of [
      ['sfu', 'hil sfu upload'],
      ['twin', 'hil twin serve'],
    ] as const) {
      const r = await loaded([group, '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(member);
      expect(r.packages).toEqual([]);
      expect(r.commands).toEqual(['index.js']);
    }
  });

  test('hil run --help loads the help module of run, not run itself: no package, no report or scenario code', async () => {
    const r = await loaded(['run', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('usage: hil run');
    expect(r.commands.sort()).toEqual(['index.js', 'run.help.js']);
    expect(r.packages).toEqual([]);
    expect(r.modules.filter((u) => /\/dist\/(report|scenario|rig|drivers|testing)\//.test(u))).toEqual([]);
  });

  test('every command answers --help from its help module alone (the implementation is never loaded)', async () => {
    for (const entry of COMMANDS) {
      const r = await loaded([...entry.path, '--help']);
      expect({ command: entry.path.join(' '), exitCode: r.exitCode }).toEqual({ command: entry.path.join(' '), exitCode: 0 });
      expect(r.stdout).toContain(`usage: hil ${entry.path.join(' ')}`);
      expect(r.commands.filter((c) => !c.endsWith('.help.js') && c !== 'index.js')).toEqual([]);
      expect(r.packages).toEqual([]);
    }
  });

  test('a bad option is refused (exit 2, naming the option) without loading the command', async () => {
    const r = await loaded(['sfu', 'upload', '--no-such-option']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--no-such-option');
    expect(r.stderr).toContain('hil sfu upload --help');
    expect(r.commands.sort()).toEqual(['index.js', 'sfu-upload.help.js']);
    expect(r.packages).toEqual([]);
  });

  test('the manifest says what each command says of itself (path, summary), and each implementation carries its help module', async () => {
    for (const entry of COMMANDS) {
      const help = await entry.help();
      expect({ path: help.path, summary: help.summary }).toEqual({ path: entry.path, summary: entry.summary });
      const cmd = await entry.load();
      const { run, ...said } = cmd;
      expect(typeof run).toBe('function');
      expect(said).toEqual(help);
    }
  });
});

describe('hil run --help (issue 9 item 7)', () => {
  test('states the exit codes the code returns: 1 failed, else 3 broken, else 0', async () => {
    const r = await hil(['run', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain("Exit 1 if any cut failed (the device's fault), else 3 if any was broken (the rig's), else 0.");
    expect(r.stdout).not.toMatch(/failed \(device\) or broke \(rig\)/);
  });
});
