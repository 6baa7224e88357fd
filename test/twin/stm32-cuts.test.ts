/**
 * Power cuts during stm32-dualbank OTA updates driven by the real SfuUploader, on each app
 * variant. A dry run records when each flash operation starts; the cut points are placed in
 * every phase (erase, write, verify, commit, BFB2) from it, and each is replayed on a fresh twin
 * with the power-loss modes skip, complete and torn (two seeds).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { Console } from '../../src/drivers/console/console.js';
import { SfuUploader } from '../../src/drivers/updater/sfu/index.js';
import { buildStm32Image } from '../../src/firmware/stm32-image.js';
import { inspectStm32 } from '../../src/schemes/stm32-dualbank/inspect.js';
import { STM32_BANKS, STM32_FACTORY_OPTIONS, STM32F429, withBfb2, type Stm32BankName } from '../../src/targets/stm32f429.js';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { Stm32DualBankTwin } from '../../src/twin/stm32-dualbank/device.js';
import { STM32_VARIANTS, type Stm32Variant } from '../../src/twin/stm32-dualbank/variants.js';
import { connectInProcess } from '../../src/twin/transport/in-process.js';

// Sizes that reach the first 128 KiB sector (bank sector 5) while keeping the sweep quick.
const V1 = buildStm32Image('1.0.0', 136 * 1024, 1);
const V2 = buildStm32Image('2.0.0', 144 * 1024, 2);
const V3 = buildStm32Image('3.0.0', 140 * 1024, 3);
const KNOWN = [V1, V2, V3].map((img, i) => ({ name: `v${i + 1}`, slotImage: { bank1: img, bank2: img } }));

type Outcome = 'updated' | 'rolled-back' | 'wrong-image' | 'boot-loop' | 'waiting';
const GOOD: readonly Outcome[] = ['updated', 'rolled-back'];

/** Where the board starts: what the probe put there, and which update the host then sends. */
interface Scenario {
  name: string;
  bank1: Buffer;
  bank2?: Buffer;
  bfb2: boolean;
  from: Buffer;
  fromVersion: string;
  fromBank: Stm32BankName;
  to: Buffer;
  toVersion: string;
  toBank: Stm32BankName;
}

const SCENARIOS: Record<'factory' | 'romFallback' | 'backToBank1', Scenario> = {
  /** Factory option bytes (BFB2 clear): the core starts bank 1, the update goes to bank 2. */
  factory: { name: 'bank 1 -> bank 2, BFB2 clear', bank1: V1, bfb2: false, from: V1, fromVersion: '1.0.0', fromBank: 'bank1', to: V2, toVersion: '2.0.0', toBank: 'bank2' },
  /** Provisioned with BFB2 set and bank 2 blank: the ROM falls back to bank 1 and will prefer bank 2 as soon as its SP is there. */
  romFallback: { name: 'bank 1 -> bank 2, BFB2 set (ROM fallback)', bank1: V1, bfb2: true, from: V1, fromVersion: '1.0.0', fromBank: 'bank1', to: V2, toVersion: '2.0.0', toBank: 'bank2' },
  /** After an update to bank 2 (BFB2 set, remapped): the next update goes to bank 1. */
  backToBank1: { name: 'bank 2 -> bank 1', bank1: V1, bank2: V2, bfb2: true, from: V2, fromVersion: '2.0.0', fromBank: 'bank2', to: V3, toVersion: '3.0.0', toBank: 'bank1' },
};

// A twin left powered keeps its clock pumping (the idle app's timers) for the rest of the file, so
// every bench is disposed as soon as it is judged (a failed expect leaves the rest to afterAll).
const clocks: VirtualClock[] = [];
afterAll(() => clocks.forEach((c) => c.dispose()));

function bench(sc: Scenario, variant: Stm32Variant, powerLoss: PowerLossMode, seed: number) {
  const clock = new VirtualClock();
  clocks.push(clock);
  const twin = new Stm32DualBankTwin({ clock, variant, powerLoss, seed });
  twin.programMemory(STM32_BANKS.bank1.base, sc.bank1);
  if (sc.bank2) twin.programMemory(STM32_BANKS.bank2.base, sc.bank2);
  if (sc.bfb2) twin.programMemory(STM32F429.optionBytes.base, withBfb2(STM32_FACTORY_OPTIONS, true));
  const console = new Console({ link: connectInProcess(twin, { baud: 921600 }), clock, sfuFrames: true });
  const uploader = new SfuUploader({ channel: console, clock });
  const events: { t: number; e: TwinEvent }[] = [];
  twin.onEvent((e) => events.push({ t: clock.now(), e }));
  return { clock, twin, console, uploader, events };
}

type Bench = ReturnType<typeof bench>;

/** Powers on and waits for the old image's banner; returns the clock time the upload may start. */
async function boot(b: Bench, sc: Scenario): Promise<number> {
  b.twin.powerOn();
  const r = await b.console.expect(/^hilrig-app /, { timeoutMs: 2000, fromLine: 0 });
  expect(r.line.text).toContain(`${sc.fromVersion} running from slot ${sc.fromBank}`);
  return b.clock.now();
}

const BANNER = /^hilrig-app (\S+) running from slot (\S+) /;

/** What the console says after power came back, checked against what the running bank holds. */
function outcome(b: Bench, sc: Scenario, fromLine: number): { outcome: Outcome; why: string } {
  const lines = b.console.lines.slice(fromLine).map((l) => l.text);
  const banner = lines.map((l) => BANNER.exec(l)).find((m) => m);
  if (!banner) {
    if (lines.some((l) => /HardFault/.test(l))) return { outcome: 'boot-loop', why: lines.slice(0, 3).join(' | ') };
    return { outcome: 'waiting', why: 'silent: the ROM found no SP in SRAM' };
  }
  const [, version, slot] = banner;
  const bank = STM32_BANKS[slot as Stm32BankName];
  const expected = version === sc.toVersion ? sc.to : version === sc.fromVersion ? sc.from : undefined;
  const exact = expected && bank && b.twin.readMemory(bank.base, expected.length).equals(expected);
  if (!exact) return { outcome: 'wrong-image', why: `${version} runs from ${slot}, which does not hold it bit-exactly` };
  return { outcome: version === sc.toVersion ? 'updated' : 'rolled-back', why: `${version} from ${slot}` };
}

interface FlashStart {
  t: number;
  ms: number;
  phase: string;
  op: string;
  length: number;
}

/** The uncut update: every flash operation with its phase, relative to the upload start. */
async function dryRun(sc: Scenario, variant: Stm32Variant): Promise<{ ops: FlashStart[]; phases: Map<string, number>; total: number }> {
  const b = bench(sc, variant, 'skip', 1);
  const t0 = await boot(b, sc);
  const ops: FlashStart[] = [];
  const phases = new Map<string, number>();
  let phase = 'boot';
  b.twin.onEvent((e) => {
    const t = b.clock.now() - t0;
    if (e.kind === 'phase') {
      phase = e.name;
      if (!phases.has(e.name)) phases.set(e.name, t);
    }
    if (e.kind === 'flash')
      ops.push({ t, phase, op: e.op, length: e.length, ms: e.op === 'erase' ? b.twin.flash.geometry.sectorMap!.find((s) => s.address === e.address)!.ms : (e.length / 4) * 0.016 });
  });
  const from = b.console.lines.length;
  await b.uploader.upload(sc.to);
  await b.console.expect(/^hilrig-app /, { timeoutMs: 2000, fromLine: from });
  const total = b.clock.now() - t0;
  b.clock.dispose();
  return { ops, phases, total };
}

/** Cut times (ms after the upload starts) in every phase of the dry run, inside operations where one is in flight. */
function cutPoints(dry: Awaited<ReturnType<typeof dryRun>>): { label: string; at: number }[] {
  const points: { label: string; at: number }[] = [];
  const inOp = (label: string, op: FlashStart | undefined, fraction: number) => op && points.push({ label, at: op.t + op.ms * fraction });
  const of = (phase: string) => dry.ops.filter((o) => o.phase === phase);
  const erase = of('erase');
  inOp('first erase (vector sector)', erase[0], 0.5);
  inOp('last erase', erase.at(-1), 0.6);
  const write = of('write');
  for (const f of [0.02, 0.3, 0.7, 0.99]) inOp(`write ${Math.round(f * 100)}%`, write[Math.floor(f * (write.length - 1))], 0.5);
  const verify = dry.phases.get('verify');
  if (verify !== undefined) points.push({ label: 'verify', at: verify + 1 });
  const commit = of('commit');
  inOp('commit start', commit[0], 0.5);
  inOp('commit middle', commit[Math.floor(commit.length / 2)], 0.5);
  inOp('commit header', commit.at(-3), 0.5);
  inOp('commit last program, early', commit.at(-1), 0.3);
  inOp('commit last program, late', commit.at(-1), 0.8);
  const bfb2 = dry.phases.get('bfb2');
  if (bfb2 !== undefined) {
    points.push({ label: 'BFB2 program', at: bfb2 + 15 });
    points.push({ label: 'after BFB2, before reset', at: bfb2 + 30.5 });
  }
  points.push({ label: 'after the reset', at: dry.total - 1 });
  return points;
}

interface CutResult {
  label: string;
  mode: PowerLossMode;
  seed: number;
  outcome: Outcome;
  why: string;
  flashSays: string;
}

async function cutOnce(sc: Scenario, variant: Stm32Variant, at: number, mode: PowerLossMode, seed: number, secondCutAfterMs?: number): Promise<Omit<CutResult, 'label'>> {
  const b = bench(sc, variant, mode, seed);
  const t0 = await boot(b, sc);
  b.uploader.upload(sc.to).catch(() => undefined);
  await b.clock.sleep(at - (b.clock.now() - t0));
  b.twin.powerOff();
  await b.clock.sleep(5);
  let from = b.console.lines.length;
  b.twin.powerOn();
  if (secondCutAfterMs !== undefined) {
    await b.clock.sleep(secondCutAfterMs);
    b.twin.powerOff();
    await b.clock.sleep(5);
    from = b.console.lines.length;
    b.twin.powerOn();
  }
  await b.clock.sleep(1500);
  const o = outcome(b, sc, from);
  const dump = {
    bank1: b.twin.readMemory(STM32_BANKS.bank1.base, STM32F429.bankSize),
    bank2: b.twin.readMemory(STM32_BANKS.bank2.base, STM32F429.bankSize),
    options: b.twin.readMemory(STM32F429.optionBytes.base, 16),
  };
  const view = inspectStm32(dump, { known: KNOWN });
  const next = view.slots.find((s) => s.slot === view.bootsNext);
  const flashSays = view.bootsNext ? `${view.bootsNext} ${next?.matches ?? 'unknown'}${view.jumps ? '' : ' (no jump)'}` : 'ROM stays';
  b.twin.powerOff();
  b.clock.dispose();
  return { mode, seed, ...o, flashSays };
}

type Modes = readonly (readonly [PowerLossMode, number])[];
/** Every mode at every point; the torn seed changes per point. */
const ALL: Modes = [
  ['skip', 1],
  ['complete', 1],
  ['torn', 0],
];

async function sweep(sc: Scenario, variant: Stm32Variant, modes: Modes = ALL): Promise<CutResult[]> {
  const dry = await dryRun(sc, variant);
  const results: CutResult[] = [];
  for (const [i, p] of cutPoints(dry).entries()) {
    for (const [mode, seed] of modes) results.push({ label: p.label, ...(await cutOnce(sc, variant, p.at, mode, seed || i + 2)) });
  }
  return results;
}

const bad = (rs: CutResult[]) => rs.filter((r) => !GOOD.includes(r.outcome));
const show = (rs: CutResult[]) => rs.map((r) => `${r.label} [${r.mode}/${r.seed}]: ${r.outcome} (${r.why}; flash: ${r.flashSays})`).join('\n');

describe('stm32-dualbank cut sweep: the correct app', () => {
  for (const key of Object.keys(SCENARIOS) as (keyof typeof SCENARIOS)[]) {
    it(`only updated or rolled-back: ${SCENARIOS[key].name}`, async () => {
      const rs = await sweep(SCENARIOS[key], 'correct');
      expect(show(bad(rs))).toBe('');
      expect(rs.some((r) => r.outcome === 'updated')).toBe(true);
      expect(rs.some((r) => r.outcome === 'rolled-back')).toBe(true);
      // The flash, read independently, names the same image the console shows.
      for (const r of rs) {
        const [version, , slot] = r.why.split(' ');
        expect(`${r.label} [${r.mode}/${r.seed}]: ${r.flashSays}`).toBe(`${r.label} [${r.mode}/${r.seed}]: ${slot} v${version![0]}`);
      }
    });
  }

  it('survives a second cut during the recovery boot', async () => {
    const sc = SCENARIOS.backToBank1;
    const dry = await dryRun(sc, 'correct');
    const mid = cutPoints(dry).find((p) => p.label === 'write 30%')!;
    for (const second of [1, 3, 50, 400]) {
      const r = await cutOnce(sc, 'correct', mid.at, 'torn', 3, second);
      expect(GOOD).toContain(r.outcome);
    }
  });
});

describe('stm32-dualbank cut sweep: each seeded bug is caught', () => {
  it('every buggy variant is listed with what it does wrong and what a lab sees', () => {
    const buggy = Object.entries(STM32_VARIANTS).filter(([, v]) => v.buggy);
    expect(buggy.length).toBeGreaterThanOrEqual(4);
    for (const [, v] of buggy) expect(v.wrong.length && v.seen.length).toBeTruthy();
  });

  it('vector-table-first: with BFB2 set, the ROM boots a half-written bank 2', async () => {
    const rs = await sweep(SCENARIOS.romFallback, 'vector-table-first', [
      ['skip', 1],
      ['torn', 0],
    ]);
    const caught = bad(rs);
    if (process.env.SHOW) console.log(show(rs));
    expect(caught.length).toBeGreaterThan(0);
    expect(caught.map((r) => r.label)).toEqual(expect.arrayContaining(['write 30%']));
    // The same bug is invisible with BFB2 clear: the core never looks at bank 2 before the switch.
    expect(show(bad(await sweep(SCENARIOS.factory, 'vector-table-first', [['torn', 0]])))).toBe('');
  });

  it('bfb2-before-verify: updating bank 1 from bank 2, a cut in the commit starts an erased bank 1', async () => {
    const rs = await sweep(SCENARIOS.backToBank1, 'bfb2-before-verify', [
      ['skip', 1],
      ['torn', 0],
    ]);
    const caught = bad(rs);
    if (process.env.SHOW) console.log(show(rs));
    expect(caught.length).toBeGreaterThan(0);
    // The window: from the BFB2 switch (before the CRC check) to the initial SP word of bank 1.
    const window = ['after BFB2, before reset', 'verify', 'commit start', 'commit middle', 'commit header', 'commit last program, early', 'commit last program, late'];
    expect(caught.map((r) => r.label).filter((l) => !window.includes(l))).toEqual([]);
    expect(caught.some((r) => r.outcome === 'boot-loop')).toBe(true);
  });

  it('vector-row-commit: only a torn program of the vector row catches it', async () => {
    const rs = await sweep(SCENARIOS.romFallback, 'vector-row-commit');
    const caught = bad(rs);
    if (process.env.SHOW) console.log(show(rs));
    expect(caught.length).toBeGreaterThan(0);
    expect(caught.every((r) => r.mode === 'torn' && r.label.startsWith('commit last program'))).toBe(true);
    // Torn after the SP word: the reset vector is garbage (boot-loop); torn later: a vector is wrong (wrong-image).
    expect(caught.some((r) => r.outcome === 'boot-loop')).toBe(true);
  });

  it('repair-moves-boot: fine after one cut, a boot loop after a second cut during the repair', async () => {
    const sc = SCENARIOS.backToBank1;
    const single = await sweep(sc, 'repair-moves-boot', [['torn', 0]]);
    expect(show(bad(single))).toBe('');
    const dry = await dryRun(sc, 'repair-moves-boot');
    const mid = cutPoints(dry).find((p) => p.label === 'write 30%')!;
    const outcomes: Outcome[] = [];
    for (const second of [3, 100, 600, 2500]) outcomes.push((await cutOnce(sc, 'repair-moves-boot', mid.at, 'torn', 3, second)).outcome);
    if (process.env.SHOW) console.log(show(single), outcomes);
    expect(outcomes.filter((o) => !GOOD.includes(o)).length).toBeGreaterThan(0);
    expect(outcomes).toContain('boot-loop');
    // The correct app under the very same double cut
    for (const second of [3, 100, 600, 2500]) expect(GOOD).toContain((await cutOnce(sc, 'correct', mid.at, 'torn', 3, second)).outcome);
  });
});
