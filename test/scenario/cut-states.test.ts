/**
 * runCut as a state machine: the steps each kind of cut goes through (on the rig's timeline as
 * `scenario step:<state>`, every consecutive pair in the transition table), an illegal transition
 * failing loudly, the baseline cache living on the rig's twin handle, and Ctrl-C during a probe
 * baseline: on a twin, and on a bench rig with the real openocd (dummy adapter, `program` made to
 * hang) where openocd must be killed and the rig left in its safe state.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { loadRig, parseRig, parseTrigger } from '../../src/config/index.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { CUT_STATES, CUT_TRANSITIONS, runCut, type CutResult, type CutSpec, type CutState } from '../../src/scenario/cut.js';
import { CutContext } from '../../src/scenario/cut/context.js';
import { cutStateHandlers, runCutMachine } from '../../src/scenario/cut/machine.js';
import { CutTransitionError } from '../../src/scenario/cut/states.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { readLog } from '../gpio/helpers.js';
import { childNamed } from '../helpers/processes.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = process.cwd();
const SFU = { from: await loadUpdateImage('firmware/app-v1.page2bin'), to: await loadUpdateImage('firmware/app-v2.page2bin') };
const STM32 = { from: await loadUpdateImage('firmware/stm32-app-v1.bin', 'stm32-dualbank'), to: await loadUpdateImage('firmware/stm32-app-v2.bin', 'stm32-dualbank') };
const sfuAb = await schemeAdapter('sfu-ab');
const stm32 = await schemeAdapter('stm32-dualbank');

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
  await stopAllSocat();
});

async function twinRig(scheme: 'sfu-ab' | 'stm32-dualbank', variant = 'correct'): Promise<Rig> {
  const yaml =
    scheme === 'sfu-ab'
      ? `target: rp2040\nscheme: sfu-ab\ntwin: { variant: ${variant}, powerLoss: random, seed: 1 }\npower: { driver: twin, offMs: 100 }\nconsole: { driver: twin }\nupdater: { driver: sfu }\nprobe: { driver: twin }\nboot: { timeoutMs: 6000 }\n`
      : `target: stm32f429\nscheme: stm32-dualbank\ntwin: { variant: ${variant}, powerLoss: skip, seed: 3 }\npower: { driver: twin }\nconsole: { driver: twin }\nupdater: { driver: sfu-app }\nprobe: { driver: twin }\nboot: { timeoutMs: 3000 }\n`;
  const rig = await openRig(parseRig(yaml, `/virtual/states-${scheme}-${variant}.yaml`));
  rigs.push(rig);
  return rig;
}

function spec(trigger: string, extra: Partial<CutSpec> = {}): CutSpec {
  return { trigger: parseTrigger(trigger), offMs: 100, seed: 1, ...extra };
}

/** The states the cut went through, from its timeline. */
function steps(rig: Rig): CutState[] {
  return rig.timeline.events.filter((e) => e.source === 'scenario' && e.kind.startsWith('step:')).map((e) => e.kind.slice(5) as CutState);
}

function expectLegal(path: CutState[]): void {
  expect(path[0]).toBe('baseline');
  for (let i = 1; i < path.length; i++) expect(CUT_TRANSITIONS[path[i - 1]!]).toContain(path[i]);
}

/** A result with the step events taken out of its timeline, to compare with another cut's. */
function withoutSteps(r: CutResult): CutResult {
  return {
    ...r,
    timeline: r.timeline
      .split('\n')
      .filter((l) => !/ scenario step:/.test(l))
      .join('\n'),
  };
}

describe('the transition table', () => {
  it('names every state; judged and rig-error are the only final ones; nothing goes back to the baseline', () => {
    expect(Object.keys(CUT_TRANSITIONS).sort()).toEqual([...CUT_STATES].sort());
    expect(CUT_STATES.filter((s) => CUT_TRANSITIONS[s].length === 0).sort()).toEqual(['judged', 'rig-error']);
    for (const s of CUT_STATES) expect(CUT_TRANSITIONS[s]).not.toContain('baseline');
    // The second cut: the recovery itself is cut, then recovers again.
    expect(CUT_TRANSITIONS.recovering).toContain('cut');
  });

  it('an illegal transition is a programming error that fails loudly, and is not put on the timeline', async () => {
    const rig = await twinRig('sfu-ab');
    const ctx = new CutContext(rig, sfuAb, SFU, spec('progress:50%'), undefined);
    ctx.bind(cutStateHandlers(ctx));
    ctx.begin();
    expect(() => ctx.enter('judged')).toThrow(CutTransitionError);
    expect(() => ctx.enter('recovering')).toThrow(/no transition from the baseline state to recovering \(allowed: updating, rig-error\)/);
    expect(ctx.state).toBe('baseline');
    expect(steps(rig)).toEqual(['baseline']);
  });
});

describe('the steps of each kind of cut, on the timeline', () => {
  it('cut mid-write with a second cut and a boot-loop check', async () => {
    const rig = await twinRig('sfu-ab');
    const r = await runCut(rig, sfuAb, SFU, spec('progress:50%', { second: 150, bootLoopCycles: 1 }));
    expect(r.outcome).toBe('rolled-back');
    expect(steps(rig)).toEqual(['baseline', 'updating', 'cut', 'recovering', 'cut', 'recovering', 'loop-check', 'judged']);
    expectLegal(steps(rig));
    // The returned timeline carries them too, each step before what happens in it.
    expect(r.timeline).toMatch(/scenario step:cut +from updating\n.*cut +fire/);
  });

  it('a time trigger past the end of the update waits armed', async () => {
    const rig = await twinRig('stm32-dualbank');
    const r = await runCut(rig, stm32, STM32, spec('after:10s', { setup: 'factory', offMs: 200, seed: 3 }));
    expect(r.outcome).toBe('updated');
    expect(steps(rig)).toEqual(['baseline', 'updating', 'armed', 'cut', 'recovering', 'judged']);
  });

  it('a trigger that can no longer fire ends armed -> rig-error', async () => {
    const rig = await twinRig('sfu-ab');
    const r = await runCut(rig, sfuAb, SFU, spec('progress:99999999'));
    expect(r.outcome).toBe('rig-error');
    expect(steps(rig)).toEqual(['baseline', 'updating', 'armed', 'rig-error']);
  });

  it('an update the device refuses is cut all the same (forced, from armed)', async () => {
    const rig = await twinRig('sfu-ab', 'erase-running-slot');
    const r = await runCut(rig, sfuAb, SFU, spec('progress:99999999'));
    expect(r.fired?.forced).toBe(true);
    expect(steps(rig)).toEqual(['baseline', 'updating', 'armed', 'cut', 'recovering', 'judged']);
  });

  it('a baseline the rig cannot provision ends baseline -> rig-error', async () => {
    const rig = await twinRig('sfu-ab');
    const r = await runCut(rig, sfuAb, { from: { ...SFU.from, slotImage: {} }, to: SFU.to }, spec('progress:50%'));
    expect(r.outcome).toBe('rig-error');
    expect(r.rigError).toMatch(/^baseline: .*not an image for slot A/);
    expect(steps(rig)).toEqual(['baseline', 'rig-error']);
  });
});

describe('the baseline cache lives on the twin handle', () => {
  it('the first cut provisions through the probe and keeps a snapshot on rig.twin; the next restores it; a new rig starts empty', async () => {
    const rig = await twinRig('sfu-ab');
    expect(rig.twin!.baselines.size).toBe(0);
    const first = await runCut(rig, sfuAb, SFU, spec('progress:30%', { seed: 4 }));
    expect(rig.timeline.events.some((e) => e.source === 'probe' && e.kind === 'program')).toBe(true);
    expect([...rig.twin!.baselines.keys()]).toEqual([`default/${SFU.from.sha256}/-`]);
    const again = await runCut(rig, sfuAb, SFU, spec('progress:30%', { seed: 4 }));
    expect(rig.timeline.events.some((e) => e.source === 'probe' && e.kind === 'program')).toBe(false);
    // Same cut from the restored baseline: same outcome at the same point of the update.
    expect(again.outcome).toBe(first.outcome);
    expect({ ...again.fired, t: 0, offsetMs: 0 }).toEqual({ ...first.fired, t: 0, offsetMs: 0 });
    expect(again.fired!.offsetMs).toBeCloseTo(first.fired!.offsetMs, 6);
    const other = await twinRig('sfu-ab');
    expect(other.twin!.baselines.size).toBe(0);
  });
});

describe('Ctrl-C during a probe baseline', () => {
  it('twin: stops at the next probe operation, leaves the rig safe, caches nothing, and the rig cuts as a fresh one afterwards', async () => {
    const rig = await twinRig('sfu-ab');
    const ac = new AbortController();
    const reason = new Error('Ctrl-C (test)');
    // Ctrl-C as the mass erase starts: the program that follows must not happen.
    const off = rig.timeline.subscribe((e) => e.source === 'probe' && e.kind === 'mass-erase' && ac.abort(reason));
    await expect(runCut(rig, sfuAb, SFU, spec('progress:50%'), { signal: ac.signal })).rejects.toBe(reason);
    off();
    const kinds = rig.timeline.events.map((e) => `${e.source} ${e.kind}`);
    expect(kinds).toContain('probe mass-erase');
    expect(kinds).not.toContain('probe program');
    expect(kinds).not.toContain('scenario update-start');
    expect(kinds).toContain('scenario aborted');
    expect(rig.power.state).toBe('off');
    expect(rig.twin!.baselines.size).toBe(0);
    const after = await runCut(rig, sfuAb, SFU, spec('progress:50%'));
    const fresh = await runCut(await twinRig('sfu-ab'), sfuAb, SFU, spec('progress:50%'));
    expect(withoutSteps(after)).toEqual(withoutSteps(fresh));
  });

  it('bench rig, real openocd (dummy adapter) hanging in program, GPIO mocked (fake gpioset v2): openocd killed, relay at its safe level', async () => {
    const b = await abortBench();
    const savedPath = process.env.PATH;
    process.env.PATH = b.env.PATH;
    process.env.FAKE_GPIO_LOG = b.env.FAKE_GPIO_LOG;
    try {
      const rig = await openRig(await loadRig(b.rig));
      rigs.push(rig);
      const ac = new AbortController();
      const reason = new Error('Ctrl-C (test)');
      const cut = runCut(rig, sfuAb, SFU, spec('progress:50%'), { signal: ac.signal });
      cut.catch(() => {});
      await waitFor('the baseline to start programming', () => rig.timeline.events.some((e) => e.source === 'probe' && e.kind === 'program'));
      const pid = await waitFor('openocd to be running the program', () => childNamed(process.pid, 'openocd'));
      ac.abort(reason);
      await expect(cut).rejects.toBe(reason);
      expect(childNamed(process.pid, 'openocd')).toBeUndefined();
      expect(() => process.kill(pid, 0)).toThrow();
      const kinds = rig.timeline.events.map((e) => `${e.source} ${e.kind}`);
      expect(kinds).not.toContain('scenario update-start');
      expect(kinds).toContain('scenario aborted');
      // The relay was on for the probe, and runCut itself put it back to its safe level (before any close()).
      const levels = relayLevels(b.env.FAKE_GPIO_LOG);
      expect(levels.lastIndexOf('set 17=1')).toBeGreaterThanOrEqual(0);
      expect(levels.lastIndexOf('set 17=0')).toBeGreaterThan(levels.lastIndexOf('set 17=1'));
      expect(rig.power.state).toBe('off');
    } finally {
      process.env.PATH = savedPath;
      delete process.env.FAKE_GPIO_LOG;
    }
  }, 90_000);

  it('hil cut, SIGINT while the real openocd programs the baseline (GPIO mocked: fake gpioset v2): exit 4, openocd gone, relay safe', async () => {
    const b = await abortBench();
    const child = execa(
      process.execPath,
      [join(ROOT, 'bin/hil.js'), 'cut', '--rig', b.rig, '--from', 'firmware/app-v1.page2bin', '--to', 'firmware/app-v2.page2bin', '--trigger', 'progress:50%', '-v'],
      {
        cwd: ROOT,
        reject: false,
        env: { NO_COLOR: '1', ...b.env },
      },
    );
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const openocd = await waitFor('openocd running under hil cut', () => childNamed(child.pid!, 'openocd'), 60_000);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(4);
    expect(err).toMatch(/scenario step:baseline/);
    expect(err).not.toMatch(/update-start/);
    expect(() => process.kill(openocd, 0)).toThrow();
    const levels = relayLevels(b.env.FAKE_GPIO_LOG);
    expect(levels.lastIndexOf('set 17=0')).toBeGreaterThan(levels.lastIndexOf('set 17=1'));
  }, 90_000);
});

describe("a transition that fails outside a state's flow", () => {
  it('a fire in a state that cannot be cut (here: the baseline) ends the machine with the transition error', async () => {
    const rig = await twinRig('sfu-ab');
    const ctx = new CutContext(rig, sfuAb, SFU, spec('progress:50%'), undefined);
    const run = runCutMachine(ctx);
    ctx.fire({ t: rig.clock.now(), offsetMs: 0, acked: 0, phase: 'start' });
    await expect(run).rejects.toThrow(CutTransitionError);
    expect(steps(rig)).toEqual(['baseline']);
  });
});

/** A bench rig file for an sfu-ab board: relay (fake gpioset v2), console on a socat pty, the real openocd with program made to hang. */
async function abortBench(): Promise<{ rig: string; env: { PATH: string; FAKE_GPIO_LOG: string } }> {
  const fakes = join(ROOT, 'test/gpio/fixtures/v2');
  for (const t of ['gpioset', 'gpiomon', 'gpiofind']) chmodSync(join(fakes, t), 0o755);
  const dir = await tempDir('hil-cut-states-');
  const pty = await startSocatPair();
  const rig = join(dir, 'bench.yaml');
  await writeFile(
    rig,
    [
      'name: bench-abort',
      'target: rp2040',
      'scheme: sfu-ab',
      'gpio: { pins: { RELAY: { chip: gpiochip0, offset: 17 } } }',
      'power: { driver: relay, pin: RELAY, onSettleMs: 1, offSettleMs: 1, minOffMs: 10, offMs: 10 }',
      `console: { driver: serial, port: ${pty.a}, baud: 115200 }`,
      'updater: { driver: sfu }',
      'probe:',
      '  driver: openocd',
      `  interface: ${join(ROOT, 'test/openocd/fixtures/fake.cfg')}`,
      '  target: none',
      `  configs: [${join(ROOT, 'test/openocd/fixtures/hang-program.cfg')}]`,
      '  timeoutMs: 120000',
      'boot: { timeoutMs: 5000 }',
    ].join('\n') + '\n',
  );
  return { rig, env: { PATH: `${fakes}:${process.env.PATH}`, FAKE_GPIO_LOG: join(dir, 'gpio.log') } };
}

/** What the relay's gpioset was told, in order. */
function relayLevels(log: string): string[] {
  return readLog(log).flatMap((x) => (x.stdin ? [x.stdin] : []));
}
