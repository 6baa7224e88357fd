/**
 * The scenario engine on the stm32-dualbank and mcuboot-swap twins: baseline, update through the
 * rig's updater (the OTA app over its UART; the probe and a reset), cut, and both verdicts.
 */
import { describe, expect, it } from '@jest/globals';
import { parseRig, parseTrigger } from '../../src/config/index.js';
import { runCut } from '../../src/scenario/cut.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { useRig, type RigHandle } from '../../src/testing/index.js';

const STM32 = {
  v1: await loadUpdateImage('firmware/stm32-app-v1.bin', 'stm32-dualbank'),
  v2: await loadUpdateImage('firmware/stm32-app-v2.bin', 'stm32-dualbank'),
  v3: await loadUpdateImage('firmware/stm32-app-v3.bin', 'stm32-dualbank'),
};
const MCUBOOT = {
  v1: await loadUpdateImage('firmware/mcuboot-app-v1.signed.bin', 'mcuboot-swap'),
  v2: await loadUpdateImage('firmware/mcuboot-app-v2.signed.bin', 'mcuboot-swap'),
};

function stm32Rig(variant: string, powerLoss: string, updater: string): RigHandle {
  return useRig(
    parseRig(
      `target: stm32f429
scheme: stm32-dualbank
twin: { variant: ${variant}, powerLoss: ${powerLoss}, seed: 3 }
power: { driver: twin }
console: { driver: twin }
updater: { driver: ${updater} }
probe: { driver: twin }
boot: { timeoutMs: 3000 }
`,
      `/virtual/stm32-${variant}.yaml`,
    ),
  );
}

function mcubootRig(variant: string, powerLoss: string): RigHandle {
  return useRig(
    parseRig(
      `target: nrf52840
scheme: mcuboot-swap
twin: { variant: ${variant}, powerLoss: ${powerLoss}, seed: 2 }
power: { driver: twin }
console: { driver: twin, baud: 115200 }
updater: { driver: probe }
probe: { driver: twin }
boot: { timeoutMs: 40000 }
`,
      `/virtual/mcuboot-${variant}.yaml`,
    ),
  );
}

// One rig per twin configuration the cuts below use, opened for the whole file by useRig() (closed
// in afterAll). Cuts on one rig share it, as a suite's cuts do under `hil run`: each starts again
// from the scheme's baseline.
const STM32_RIGS = new Map(
  (
    [
      ['correct', 'skip', 'sfu-app'],
      ['vector-table-first', 'skip', 'sfu-app'],
      ['repair-moves-boot', 'skip', 'sfu-app'],
      ['correct', 'skip', 'probe'],
    ] as const
  ).map(([variant, powerLoss, updater]) => [`${variant}/${powerLoss}/${updater}`, stm32Rig(variant, powerLoss, updater)]),
);
const MCUBOOT_RIGS = new Map(
  (
    [
      ['correct', 'skip'],
      ['no-status-journal', 'random'],
      ['resume-unjournaled', 'skip'],
    ] as const
  ).map(([variant, powerLoss]) => [`${variant}/${powerLoss}`, mcubootRig(variant, powerLoss)]),
);

async function stm32Cut(variant: string, trigger: string, opts: { setup?: string; powerLoss?: string; second?: number; updater?: string } = {}) {
  const rig = STM32_RIGS.get(`${variant}/${opts.powerLoss ?? 'skip'}/${opts.updater ?? 'sfu-app'}`)!;
  const back = opts.setup === 'from-bank2';
  const images = back ? { previous: STM32.v1, from: STM32.v2, to: STM32.v3 } : { from: STM32.v1, to: STM32.v2 };
  return runCut(rig.rig, await schemeAdapter('stm32-dualbank'), images, {
    trigger: parseTrigger(trigger),
    offMs: 200,
    seed: 3,
    bootLoopCycles: 1,
    setup: opts.setup ?? 'factory',
    ...(opts.second !== undefined && { second: opts.second }),
  });
}

async function mcubootCut(variant: string, trigger: string, opts: { setup?: string; second?: number; powerLoss?: string } = {}) {
  const rig = MCUBOOT_RIGS.get(`${variant}/${opts.powerLoss ?? 'skip'}`)!;
  return runCut(
    rig.rig,
    await schemeAdapter('mcuboot-swap'),
    { from: MCUBOOT.v1, to: MCUBOOT.v2 },
    {
      trigger: parseTrigger(trigger),
      offMs: 200,
      seed: 2,
      bootLoopCycles: 1,
      setup: opts.setup ?? 'test',
      ...(opts.second !== undefined && { second: opts.second }),
    },
  );
}

describe('stm32-dualbank scenarios', () => {
  it('the OTA app over its UART: a cut mid-write leaves bank 1 running, and console and flash agree', async () => {
    const r = await stm32Cut('correct', 'progress:40%');
    expect(r.fired!.devicePhase).toBe('write');
    expect(r.verdict).toMatchObject({ fromConsole: 'rolled-back', fromFlash: 'rolled-back', agree: true });
    expect(r.flash!.bootsNext).toBe('bank1');
  });

  it('an uncut update runs v2 from bank 2; the flash half reads BFB2 and the bank independently', async () => {
    const r = await stm32Cut('correct', 'after:10s');
    expect(r.outcome).toBe('updated');
    expect(r.flash!.bootsNext).toBe('bank2');
    expect(r.flash!.slots.find((s) => s.slot === 'bank2')!.matches).toBe('stm32-app-v2.bin');
    expect(r.transcript).toMatch(/hilrig-app 2\.0\.0 running from slot bank2/);
  });

  it('vector-table-first with the ROM checking bank 2 first boots a half-written bank (caught)', async () => {
    const r = await stm32Cut('vector-table-first', 'progress:40%', { setup: 'rom-fallback' });
    expect(['wrong-image', 'boot-loop']).toContain(r.outcome);
  });

  it('bank 2 -> bank 1 with the older image left in bank 1 as the suite names it', async () => {
    const r = await stm32Cut('correct', 'after:10s', { setup: 'from-bank2' });
    expect(r.outcome).toBe('updated');
    expect(r.flash!.bootsNext).toBe('bank1');
    expect(r.flash!.slots.find((s) => s.slot === 'bank1')!.matches).toBe('stm32-app-v3.bin');
  });

  it('repair-moves-boot: fine after one cut, a boot loop when the repair itself is cut', async () => {
    const one = await stm32Cut('repair-moves-boot', 'progress:30%', { setup: 'from-bank2' });
    expect(['updated', 'rolled-back']).toContain(one.outcome);
    const outcomes = [];
    for (const second of [100, 600, 2500]) {
      const r = await stm32Cut('repair-moves-boot', 'progress:30%', { setup: 'from-bank2', second });
      expect(r.secondCut?.afterMs).toBe(second);
      outcomes.push(r.outcome);
    }
    expect(outcomes).toContain('boot-loop');
  });

  it('the probe update path writes bank 2 and sets BFB2', async () => {
    const r = await stm32Cut('correct', 'after:2s', { updater: 'probe' });
    expect(r.outcome).toBe('updated');
    expect(r.flash!.bootsNext).toBe('bank2');
  });
});

describe('mcuboot-swap scenarios', () => {
  it('a cut in the middle of the swap resumes from the journal and ends updated, both sources agreeing', async () => {
    const r = await mcubootCut('correct', 'after:9000ms');
    expect(r.fired!.devicePhase).toBe('swap');
    expect(r.verdict).toMatchObject({ fromConsole: 'updated', fromFlash: 'updated', agree: true });
    expect(r.transcript).toMatch(/Resuming interrupted test swap|Starting swap/);
  });

  it('no-status-journal: a cut in region 1 step 2 bricks the board', async () => {
    const r = await mcubootCut('no-status-journal', 'after:8000ms', { powerLoss: 'random' });
    expect(r.outcome).toBe('bricked');
    // The bootloader hangs now (the console); the flash says what the *next* reset would do: a
    // revert of the scrambled test image. Both are reported; the hang decides the outcome.
    expect(r.verdict!.fromConsole).toBe('bricked');
    expect(r.transcript).toMatch(/Unable to find bootable image/);
  });

  it('resume-unjournaled: one cut is survived, a second cut during the resume bricks it', async () => {
    expect((await mcubootCut('resume-unjournaled', 'after:8000ms')).outcome).toBe('updated');
    const r = await mcubootCut('resume-unjournaled', 'after:8000ms', { second: 8000 });
    expect(r.outcome).toBe('bricked');
  });

  it('a marker trigger cuts at a flash operation (the nth since the update started)', async () => {
    const r = await mcubootCut('correct', 'marker:200+10ms');
    expect(r.fired!.line).toBe('marker edge 200');
    expect(['updated', 'rolled-back']).toContain(r.outcome);
  });
});

describe('rig files tie the update path to the scheme', () => {
  it('refuses an updater the scheme does not have, and a probe updater without a probe', () => {
    const base = (updater: string, probe = 'probe: { driver: twin }') =>
      `target: nrf52840\nscheme: mcuboot-swap\ntwin: {}\npower: { driver: twin }\nconsole: { driver: twin }\nupdater: { driver: ${updater} }\n${probe}\n`;
    expect(() => parseRig(base('sfu'), '/virtual/x.yaml')).toThrow(/mcuboot-swap updates through probe, not sfu/);
    expect(() => parseRig(base('probe', ''), '/virtual/x.yaml')).toThrow(/probe: required because updater.driver is probe/);
  });
});
