import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor as sharedWaitFor } from '../helpers/wait-for.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Fake tool paths (fixtures/v1/gpioset …, bash scripts), made executable in case git dropped the bit. */
export function fakeTools(flavour: 'v1' | 'v2') {
  const p = (t: string) => join(FIXTURES, flavour, t);
  for (const t of ['gpioset', 'gpiomon', 'gpiofind']) chmodSync(p(t), 0o755);
  chmodSync(join(FIXTURES, 'uhubctl'), 0o755);
  return { gpioset: p('gpioset'), gpiomon: p('gpiomon'), gpiofind: p('gpiofind') };
}

/** The full path of `command` on this process's PATH (to build a PATH that holds only chosen tools). */
export function onPath(command: string): string {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d || '.', command);
    if (existsSync(p)) return p;
  }
  throw new Error(`${command} is not on PATH`);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hil-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface LogRecord {
  pid: number;
  tool?: string;
  flavour?: string;
  argv?: string[];
  stdin?: string;
  signal?: string;
}

export function readLog(file: string): LogRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogRecord);
}

/** Is a process with this pid still running? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (polling, never a fixed sleep) until `cond` holds; the timeout only guards against a hang. */
export async function waitFor(cond: () => boolean, what = 'a condition'): Promise<void> {
  await sharedWaitFor(what, cond);
}

/**
 * A fake /sys/class/gpio tree: one gpiochipNNN dir per chip (label, base, ngpio), plus a
 * fake debugfs listing naming lines GPIO0… on the first chip.
 */
export function fakeSysfs(dir: string, chips: { label: string; base: number; ngpio: number }[]): { root: string; debugGpio: string } {
  const root = join(dir, 'sys/class/gpio');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'export'), '');
  writeFileSync(join(root, 'unexport'), '');
  let debug = '';
  for (const c of chips) {
    const d = join(root, `gpiochip${c.base}`);
    mkdirSync(d);
    writeFileSync(join(d, 'label'), c.label + '\n');
    writeFileSync(join(d, 'base'), `${c.base}\n`);
    writeFileSync(join(d, 'ngpio'), `${c.ngpio}\n`);
    debug += `gpiochip${chips.indexOf(c)}: GPIOs ${c.base}-${c.base + c.ngpio - 1}, parent: platform/x.gpio, ${c.label}:\n`;
    if (c === chips[0]) for (let i = 0; i < c.ngpio; i++) debug += ` gpio-${c.base + i} (GPIO${i}              ${i === 4 ? '|sysfs               ) out hi' : ')'}\n`;
  }
  const debugGpio = join(dir, 'debug-gpio');
  writeFileSync(debugGpio, debug);
  return { root, debugGpio };
}
