/**
 * Issue 9 item 8, "no stale references": what the docs, help texts, rig and suite files and the
 * code's messages tell a user to type must exist. Every `hil <command> --option` they mention names
 * a command of the manifest and one of its options; every rig a help example runs is in rigs/; every
 * `section.field` of a rig they name is a field the rig schema declares. (The help examples named
 * rigs that never shipped: `hil doctor --rig bench-rp2040`.)
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMON_OPTIONS } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { ROOT } from './hil.js';

/** A rig name an example uses on purpose although no such file ships: no supply rig is in rigs/. */
const EXAMPLE_ONLY_RIGS = new Set(['bench-psu']);

const tracked = execFileSync('git', ['ls-files', 'README.md', 'docs', 'rigs', 'suites', 'examples', 'src', 'bench', 'firmware'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|md|ya?ml)$/.test(f) && existsSync(join(ROOT, f)));
const text = (f: string) => readFileSync(join(ROOT, f), 'utf8');

describe('no stale references', () => {
  test('every `hil <command> --option` mentioned names a command and one of its options', async () => {
    const helps: { path: string[]; options: object }[] = [];
    for (const c of COMMANDS) helps.push({ path: c.path, options: { ...COMMON_OPTIONS, ...(await c.help()).options } });
    const stale: string[] = [];
    let checked = 0;
    for (const f of tracked) {
      text(f)
        .split('\n')
        .forEach((line, i) => {
          // Up to the end of the shell word list: a quote, a pipe, a comment or the end of a code span.
          for (const m of line.matchAll(/\bhil ([a-z_][a-z-]*)((?: [^`'"\n|;&#)]*)?)/g)) {
            const words = [m[1]!, ...m[2]!.trim().split(/\s+/)];
            const cmd = helps.filter((c) => c.path.every((w, k) => words[k] === w)).sort((a, b) => b.path.length - a.path.length)[0];
            if (!cmd) continue; // prose ("hil waits …"), not a command line
            checked++;
            for (const w of words.slice(cmd.path.length)) {
              const opt = /^--([a-z][a-z-]*)/.exec(w)?.[1];
              if (opt && !(opt in cmd.options)) stale.push(`${f}:${i + 1}: hil ${cmd.path.join(' ')} has no --${opt}`);
            }
          }
        });
    }
    expect(stale).toEqual([]);
    expect(checked).toBeGreaterThan(100); // the scan does see the command lines
  });

  test('every rig a help example runs is in rigs/', async () => {
    const missing: string[] = [];
    for (const c of COMMANDS) {
      const help = await c.help();
      for (const example of help.examples) {
        for (const m of example.matchAll(/--rig (\S+)/g)) {
          const rig = m[1]!;
          const file = rig.endsWith('.yaml') ? rig : `rigs/${rig}.yaml`;
          if (!EXAMPLE_ONLY_RIGS.has(rig) && !existsSync(join(ROOT, file))) missing.push(`hil ${c.path.join(' ')}: ${example}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test('every rig `section.field` mentioned is a field of the rig schema', () => {
    const schema = text('src/config/rig-schema.ts');
    const sections = ['twin', 'power', 'console', 'updater', 'probe', 'gpio', 'reset', 'marker', 'boot'];
    const declared = (field: string) => new RegExp(`\\b${field}: `).test(schema);
    const stale: string[] = [];
    for (const f of tracked.filter((x) => !x.startsWith('src/') || x.includes('.help.') || x.startsWith('src/config/') || x.startsWith('src/doctor/'))) {
      text(f)
        .split('\n')
        .forEach((line, i) => {
          // In prose, comments and messages a reference reads `power.offMs`; code reads `x.power.on(`,
          // a doctor check id 'gpio.tools'.
          for (const m of line.matchAll(new RegExp(`(?<![\\w.$'])(${sections.join('|')})\\.([a-z][a-zA-Z]*)\\b(?![(\\w])`, 'g'))) {
            const field = m[2]!;
            if (['js', 'ts', 'yaml', 'log', 'path', 'rules', 'bin', 'test'].includes(field)) continue; // file names (boot.bin, x-twin.test.ts), not fields
            if (!declared(field)) stale.push(`${f}:${i + 1}: ${m[0]}`);
          }
        });
    }
    expect(stale).toEqual([]);
  });
});
