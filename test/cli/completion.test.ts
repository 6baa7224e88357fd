/**
 * Issue 9 item 7: `hil completion bash|zsh|fish`. Each script is run in the real shell: bash
 * through its completion function, zsh through its function with compadd/_files stood in by
 * printing functions (compadd only exists inside a completion widget), fish through
 * `complete -C`. Rig and suite names come from `hil __complete`, which lists files only.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { hil } from './hil.js';

let dir: string;
const scripts: Record<string, string> = {};
const has = (shell: string) => execaSync('sh', ['-c', `command -v ${shell}`], { reject: false }).exitCode === 0;

beforeAll(async () => {
  // A lab folder as a user has it: two rigs, a suite, and a file name that is shell syntax.
  dir = mkdtempSync(join(tmpdir(), 'hil-completion-'));
  mkdirSync(join(dir, 'rigs'));
  mkdirSync(join(dir, 'suites'));
  for (const f of ['rigs/bench-a.yaml', 'rigs/bench-b.yaml', 'rigs/$(touch pwned).yaml', 'rigs/notes.txt', 'suites/nightly.yaml', 'suites/signoff.yml']) writeFileSync(join(dir, f), '');
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await hil(['completion', shell], { cwd: dir });
    expect(r.exitCode).toBe(0);
    scripts[shell] = join(dir, `hil.${shell}`);
    writeFileSync(scripts[shell]!, r.stdout);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** COMPREPLY of bash's _hil for a command line whose last word is being completed. */
async function bash(words: string[]): Promise<string[]> {
  const script = `source ${scripts.bash}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _hil; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = await execa('bash', ['-c', script], { cwd: dir, reject: false });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('hil completion bash (in bash)', () => {
  test('command words, group words and options per command', async () => {
    expect(await bash(['hil', 'ru'])).toEqual(['run']);
    expect(await bash(['hil', 's'])).toEqual(['sweep', 'signoff', 'sfu']);
    expect(await bash(['hil', 'sfu', ''])).toEqual(['upload']);
    expect(await bash(['hil', 'twin', ''])).toEqual(['serve']);
    expect(await bash(['hil', 'run', '--r'])).toEqual(['--rig', '--reports']);
    expect(await bash(['hil', 'sfu', 'upload', '--b'])).toEqual(['--baud', '--block']);
    expect(await bash(['hil', 'power', ''])).toEqual(['on', 'off', 'cycle', 'sag']);
    expect(await bash(['hil', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(await bash(['hil', '__'])).toEqual([]);
  });

  test('rig names after --rig (also --rig=), suite files as run positionals; a $(…) file name is only a name', async () => {
    expect(await bash(['hil', 'run', '--rig', ''])).toEqual(['$(touch pwned)', 'bench-a', 'bench-b']);
    expect(await bash(['hil', 'cut', '--rig', 'bench-'])).toEqual(['bench-a', 'bench-b']);
    expect(await bash(['hil', 'run', '--rig', '=', 'bench-b'])).toEqual(['bench-b']);
    expect(await bash(['hil', 'run', ''])).toEqual(['suites/nightly.yaml', 'suites/signoff.yml']);
    expect(await bash(['hil', 'detect', 'suites/n'])).toEqual(['suites/nightly.yaml']);
    // No such name: a path, completed as files.
    expect(await bash(['hil', 'run', '--rig', 'rigs/bench-a'])).toEqual(['rigs/bench-a.yaml']);
    expect(readdirSync(dir)).not.toContain('pwned');
  });

  test('hil __complete lists names from the working directory; nothing there is no error', async () => {
    expect((await hil(['__complete', 'rigs'], { cwd: dir })).stdout.split('\n')).toEqual(['$(touch pwned)', 'bench-a', 'bench-b']);
    expect((await hil(['__complete', 'suites'], { cwd: dir })).stdout.split('\n')).toEqual(['suites/nightly.yaml', 'suites/signoff.yml']);
    const empty = await hil(['__complete', 'rigs'], { cwd: join(dir, 'suites') });
    expect([empty.exitCode, empty.stdout]).toEqual([0, '']);
    const bad = await hil(['__complete', 'everything'], { cwd: dir });
    expect(bad.exitCode).toBe(2);
  });

  test('an unknown shell is a usage error naming the three', async () => {
    const r = await hil(['completion', 'tcsh']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('expected one shell: bash, zsh, fish, got "tcsh"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

(has('zsh') ? describe : describe.skip)('hil completion zsh (in zsh, compadd and _files as printing functions)', () => {
  async function zsh(words: string[]): Promise<string[]> {
    const stubs = `compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; local w; for w; do [[ $w == \${PREFIX}* ]] && print -r -- "$w"; done; }; _files() { print -r -- FILES; }`;
    const script = `source ${scripts.zsh}; ${stubs}; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; PREFIX=\${words[CURRENT]}; _hil`;
    const r = await execa('zsh', ['-f', '-c', script], { cwd: dir, reject: false });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }
  test('words, options, rigs, suites and fixed values', async () => {
    expect(await zsh(['hil', 'ru'])).toEqual(['run']);
    expect(await zsh(['hil', 'sfu', ''])).toEqual(['upload']);
    expect(await zsh(['hil', 'run', '--r'])).toEqual(['--rig', '--reports']);
    expect(await zsh(['hil', 'run', '--rig', ''])).toEqual(['$(touch pwned)', 'bench-a', 'bench-b']);
    expect(await zsh(['hil', 'run', ''])).toEqual(['suites/nightly.yaml', 'suites/signoff.yml']);
    expect(await zsh(['hil', 'power', ''])).toEqual(['on', 'off', 'cycle', 'sag']);
    expect(await zsh(['hil', 'inspect', ''])).toEqual(['FILES']);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });
});

(has('fish') ? describe : describe.skip)('hil completion fish (in fish, complete -C)', () => {
  async function fish(line: string): Promise<string[]> {
    const r = await execa('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C ${JSON.stringify(line)}`], { cwd: dir, reject: false });
    expect(r.stderr).toBe('');
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]!);
  }
  test('words, options, rigs, suites and fixed values', async () => {
    expect(await fish('hil ru')).toEqual(['run']);
    expect(await fish('hil twin ')).toEqual(['serve']);
    expect(await fish('hil sfu upload --b')).toEqual(['--baud', '--block']);
    expect(await fish('hil run --rig bench')).toEqual(['bench-a', 'bench-b']);
    expect(await fish('hil run suites/')).toEqual(['suites/nightly.yaml', 'suites/signoff.yml']);
    expect((await fish('hil power ')).sort()).toEqual(['cycle', 'off', 'on', 'sag']);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
