/**
 * The fence every hardware action passes when a rig runs under a lab lease. The rig layer may
 * not import the lab, so the lease reaches it as a file (written by the lab's LeaseKeeper after
 * each renewal) named by an environment variable; this also covers the Jest processes `hil run`
 * starts, which inherit the variable.
 *
 * Before each action (power, reset, probe, GPIO output, an update push; console writes are not
 * actions) the fence file must name this rig, the token this rig was opened with, and a
 * validUntil still ahead. Otherwise the action does not happen: the rig goes to its safe state
 * (unless a newer token already holds it: then it is someone else's to drive) and LeaseLostError
 * is thrown. Each action let through is appended to the rig's event log, from which
 * src/lab/exclusive-check.ts proves that no two tokens ever drove the rig at once.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Power, Probe, Updater } from '../drivers/capabilities.js';
import type { GpioLines } from '../drivers/gpio/index.js';
import type { BenchGpio } from './bench-gpio.js';
import type { Rig, RigMcu } from './rig.js';
import { RigError } from '../core/errors.js';

/** Names the fence file; set by the lab worker for everything it starts. */
export const FENCE_ENV = 'HIL_LAB_FENCE';

export interface FenceFile {
  rig: string;
  token: number;
  holder: string;
  /** Epoch ms: no action starts at or after it. */
  validUntil: number;
  /** JSONL file each allowed action is appended to. */
  eventLog: string;
}

/** One hardware action in a rig's event log (its start line, with its end merged in by readers). */
export interface RigEvent {
  /** Epoch ms when the action was let through. */
  at: number;
  rig: string;
  token: number;
  holder: string;
  pid: number;
  action: string;
  /** Per process: pairs the action's end line (`{ rig, token, pid, seq, endAt }`) with it. */
  seq?: number;
  /** Epoch ms when the action returned or threw; absent when the process died during it. */
  endAt?: number;
}

/** The line written when an action is over: no `action` key, so a reader of starts alone skips it. */
export interface RigEventEnd {
  rig: string;
  token: number;
  pid: number;
  seq: number;
  endAt: number;
}

/** Per process, for pairing start and end lines. */
let nextSeq = 0;

/** The rig's lease is gone: a rig error (Allure broken, exit 3), never a device failure. */
export class LeaseLostError extends RigError {}

/** The fence file as it is now; undefined when missing or unreadable (both mean: no lease). */
export function readFenceFile(path: string): FenceFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const f = JSON.parse(text) as FenceFile;
    const ok = typeof f.rig === 'string' && Number.isSafeInteger(f.token) && typeof f.validUntil === 'number' && typeof f.eventLog === 'string';
    return ok ? f : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the fence file whole (temp file + rename: a reader never sees half of it). A file that
 * already holds a larger token is never overwritten: a late write from a superseded holder must
 * not hand the rig back to it. Throws LeaseLostError then.
 */
export function writeFenceFile(path: string, fence: FenceFile): void {
  const existing = readFenceFile(path);
  if (existing && existing.rig === fence.rig && existing.token > fence.token) {
    throw new LeaseLostError(`rig ${fence.rig}: fence ${path} already holds token ${existing.token} (${existing.holder}); token ${fence.token} is superseded`);
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(fence)}\n`);
  renameSync(temp, path);
}

type Guard = <T>(action: string, run: () => Promise<T>) => Promise<T>;

function fencedPower(power: Power, guard: Guard): Power {
  return {
    get state() {
      return power.state;
    },
    on: () => guard('power.on', () => power.on()),
    off: () => guard('power.off', () => power.off()),
    cycle: (offMs) => guard('power.cycle', () => power.cycle(offMs)),
    ...(power.cut && { cut: (offMs: number) => guard('power.cut', () => power.cut!(offMs)) }),
  };
}

function fencedProbe(probe: Probe, guard: Guard, prefix: string): Probe {
  return {
    dump: (regions, opts) => guard(`${prefix}.dump`, () => probe.dump(regions, opts)),
    program: (address, data, opts) => guard(`${prefix}.program`, () => probe.program(address, data, opts)),
    massErase: (opts) => guard(`${prefix}.massErase`, () => probe.massErase(opts)),
    ...(probe.crc32 && { crc32: (region, opts) => guard(`${prefix}.crc32`, () => probe.crc32!(region, opts)) }),
  };
}

function fencedUpdater(updater: Updater, guard: Guard): Updater {
  return {
    update: (image, opts) => guard('updater.update', () => updater.update(image, opts)),
    ...(updater.prepare && { prepare: (image: Buffer) => updater.prepare!(image) }),
  };
}

function fencedGpio(gpio: BenchGpio, guard: Guard): BenchGpio {
  const lines: GpioLines = new Proxy(gpio.lines, {
    get(target, key, receiver) {
      if (key === 'set') return (id: string, level: Parameters<GpioLines['set']>[1]) => guard(`gpio.set ${id}`, () => Promise.resolve(target.set(id, level)));
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Proxy(gpio, {
    get(target, key, receiver) {
      if (key === 'lines') return lines;
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function fencedMcu(mcu: RigMcu, guard: Guard): RigMcu {
  const prefix = `mcu.${mcu.name}`;
  return {
    name: mcu.name,
    target: mcu.target,
    console: mcu.console,
    ...(mcu.probe && { probe: fencedProbe(mcu.probe, guard, `${prefix}.probe`) }),
    reset: () => guard(`${prefix}.reset`, () => mcu.reset()),
  };
}

/**
 * The rig, with every hardware action behind the fence at `fencePath`. The token is the one the
 * fence file holds now (the lease the rig is opened under); no readable fence file, or one for
 * another rig or an expired lease: LeaseLostError before anything is touched.
 */
export function fenceRig(rig: Rig, fencePath: string): Rig {
  const opened = readFenceFile(fencePath);
  const problem = (f: FenceFile | undefined, now: number): string | undefined => {
    if (!f) return `no readable fence file ${fencePath}`;
    if (f.rig !== rig.name) return `fence file ${fencePath} is for rig ${f.rig}`;
    if (opened && f.token !== opened.token) return `token ${opened.token} superseded by token ${f.token} (${f.holder})`;
    if (now >= f.validUntil) return `lease token ${f.token} not renewed in time (valid until ${new Date(f.validUntil).toISOString()})`;
    return undefined;
  };
  const atOpen = problem(opened, Date.now());
  if (atOpen !== undefined || !opened) throw new LeaseLostError(`rig ${rig.name}: no valid lease: ${atOpen ?? 'no fence file'}`);
  const token = opened.token;

  const log = (file: string, event: RigEvent | RigEventEnd): void => {
    const line = `${JSON.stringify(event)}\n`;
    try {
      appendFileSync(file, line);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new RigError(`rig ${rig.name}: cannot append to the event log ${file}: ${(error as Error).message}`);
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, line);
    }
  };

  let lost: LeaseLostError | undefined;
  /** Lets the action through (logged; returns how to log its end) or throws. */
  const check = (action: string): (() => void) => {
    if (lost) throw lost;
    const now = Date.now();
    const f = readFenceFile(fencePath);
    const why = problem(f, now);
    if (why === undefined) {
      const seq = ++nextSeq;
      const file = f!.eventLog;
      log(file, { at: now, rig: rig.name, token, holder: f!.holder, pid: process.pid, action, seq });
      return () => endOf(file, seq);
    }
    lost = new LeaseLostError(`rig ${rig.name}: lease lost (${why}): stopped before ${action}`);
    throw lost;
  };
  // An action's end, so that an action still running when the next lease began shows as an overlap.
  const endOf = (file: string, seq: number): void => {
    try {
      log(file, { rig: rig.name, token, pid: process.pid, seq, endAt: Date.now() });
    } catch {
      // The action happened either way; a missing end only shortens its span.
    }
  };
  const safeIfStillOurs = async (): Promise<void> => {
    const f = readFenceFile(fencePath);
    // A newer token means another job drives the rig now: its state is not ours to change.
    if (f && f.rig === rig.name && f.token > token) return;
    const seq = ++nextSeq;
    try {
      log(opened.eventLog, { at: Date.now(), rig: rig.name, token, holder: opened.holder, pid: process.pid, action: 'safe-state (lease lost)', seq });
    } catch {
      // The log is evidence, not a precondition of the safe state.
    }
    await rig.safe();
    endOf(opened.eventLog, seq);
  };
  const guard: Guard = async (action, run) => {
    let done: () => void;
    try {
      done = check(action);
    } catch (error) {
      if (error instanceof LeaseLostError) await safeIfStillOurs();
      throw error;
    }
    try {
      return await run();
    } finally {
      done();
    }
  };

  const parts = new Map<PropertyKey, unknown>();
  parts.set('power', fencedPower(rig.power, guard));
  parts.set('updater', fencedUpdater(rig.updater, guard));
  parts.set('reset', () => guard('reset', () => rig.reset()));
  // The safe state never throws (Rig.safe's promise): with the lease it is an action like any
  // other; without it, it is still done unless a newer token drives the rig.
  parts.set('safe', async () => {
    let done: () => void;
    try {
      done = check('safe');
    } catch {
      await safeIfStillOurs();
      return;
    }
    await rig.safe();
    done();
  });
  if (rig.probe) parts.set('probe', fencedProbe(rig.probe, guard, 'probe'));
  if (rig.gpio) parts.set('gpio', fencedGpio(rig.gpio, guard));
  if (rig.mcus) parts.set('mcus', Object.freeze(Object.fromEntries(Object.entries(rig.mcus).map(([name, mcu]) => [name, fencedMcu(mcu, guard)]))));
  return new Proxy(rig, {
    get(target, key, receiver) {
      if (parts.has(key)) return parts.get(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/**
 * openRig's hook: the rig fenced when FENCE_ENV names a fence file (a lab worker and everything it
 * starts), as is otherwise. A rig that may not be driven is closed again before the error.
 */
export async function fenceFromEnv(rig: Rig, env: NodeJS.ProcessEnv = process.env): Promise<Rig> {
  const fencePath = env[FENCE_ENV];
  if (!fencePath) return rig;
  try {
    return fenceRig(rig, fencePath);
  } catch (error) {
    await rig.close();
    throw error;
  }
}
