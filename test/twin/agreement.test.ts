/**
 * The twin and the host-side reading agree at every op state (issue 10 item 4).
 *
 * For each update of each scheme on its correct bootloader (MCUboot: a test swap, a permanent swap,
 * and a test swap the new image never confirms, so it is reverted; STM32: every setup; SFU: an
 * update, and the bootloader's first start), a SweepSession records the update once: every flash op
 * from the start of the update to the end of the bootloader's work after the reset. Then, for every
 * op in both modes, before (not started) and after (complete), and for a seeded sample of torn
 * points (a seeded fraction through the op, with the part's torn-write / torn-erase physics), the
 * cut state is loaded into the unpowered twin and:
 *   1. the scheme's own inspection reads it through the sweep's probe (`hil inspect`'s reading:
 *      src/images/ via the adapter's inspect) and predicts the next boot: the slot the boot chain
 *      starts and the known image that will run there; for MCUboot also the next action
 *      (resume / test / perm / revert / none);
 *   2. power comes back and the twin boots: the first app start is the boot it performs (which slot,
 *      and which known image that slot holds at that instant, byte for byte); MCUboot's log says
 *      what it did first.
 * They must be the same. Identical states (op k complete is op k+1 not started, unless something
 * else wrote between them) are checked once. A disagreement names the scheme, setup, op, mode,
 * phase and both readings.
 *
 * The SFU bootloader's first start (it signs slot A) happens in the baseline, which no recording
 * covers: it is cut directly on the rig at each of its few ops.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRig } from '../../src/config/index.js';
import type { MemoryRegion, Probe } from '../../src/drivers/capabilities.js';
import type { SweepCutPoint, SweepOp } from '../../src/drivers/device/twin-sweep.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { everyOpPoints } from '../../src/scenario/sweep/points.js';
import { SweepSession } from '../../src/scenario/sweep/session.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { inspectMcuboot } from '../../src/schemes/mcuboot-swap/inspect.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import type { SchemeAdapter, UpdateImage } from '../../src/schemes/scheme.js';

/** Torn points per update (seeded), besides one at each phase start. */
const TORN_SAMPLE = 48;
/** Longer than the SFU bootloader's window plus its first start and the app's start. */
const FIRST_START_MS = 10_000;
/** How often the first-start cut looks at the (virtual) clock for its marker edge. */
const POLL_MS = 50;

const RIGS: Record<string, string> = {
  'mcuboot-swap': `target: nrf52840
scheme: mcuboot-swap
twin: { variant: correct, powerLoss: skip, seed: 1 }
power: { driver: twin, offMs: 200 }
console: { driver: twin, baud: 115200 }
updater: { driver: probe }
probe: { driver: twin }
boot: { timeoutMs: 60000 }
`,
  'stm32-dualbank': `target: stm32f429
scheme: stm32-dualbank
twin: { variant: correct, powerLoss: skip, seed: 1 }
power: { driver: twin, offMs: 200 }
console: { driver: twin }
updater: { driver: sfu-app }
probe: { driver: twin }
boot: { timeoutMs: 3000 }
`,
  'sfu-ab': `target: rp2040
scheme: sfu-ab
twin: { variant: correct, powerLoss: skip, seed: 1 }
power: { driver: twin, offMs: 200 }
console: { driver: twin }
updater: { driver: sfu }
probe: { driver: twin }
boot: { timeoutMs: 6000 }
`,
};

const dir = mkdtempSync(join(tmpdir(), 'hil-agreement-'));
const rigFile = (scheme: string) => {
  const file = join(dir, `agreement-${scheme}.yaml`);
  writeFileSync(file, RIGS[scheme]!);
  return file;
};

interface Case {
  name: string;
  scheme: string;
  setup: string;
  images: { from: string; to: string; previous?: string };
  /** What runs once the update and its recovery are over, when not the new image. */
  finalImage?: string;
}

const fw = (file: string) => `firmware/${file}`;
const CASES: Case[] = [
  { name: 'MCUboot TEST swap (the new image confirms itself)', scheme: 'mcuboot-swap', setup: 'test', images: { from: fw('mcuboot-app-v1.signed.bin'), to: fw('mcuboot-app-v2.signed.bin') } },
  { name: 'MCUboot PERM swap', scheme: 'mcuboot-swap', setup: 'permanent', images: { from: fw('mcuboot-app-v1.signed.bin'), to: fw('mcuboot-app-v2.signed.bin') } },
  {
    name: 'MCUboot TEST swap then REVERT (the new image faults before confirming)',
    scheme: 'mcuboot-swap',
    setup: 'test',
    images: { from: fw('mcuboot-app-v1.signed.bin'), to: fw('mcuboot-app-v2-crashes.signed.bin') },
    finalImage: 'mcuboot-app-v1.signed.bin',
  },
  { name: 'STM32 factory (BFB2 clear) bank 1 -> bank 2', scheme: 'stm32-dualbank', setup: 'factory', images: { from: fw('stm32-app-v1.bin'), to: fw('stm32-app-v2.bin') } },
  { name: 'STM32 rom-fallback (BFB2 set, bank 2 blank) bank 1 -> bank 2', scheme: 'stm32-dualbank', setup: 'rom-fallback', images: { from: fw('stm32-app-v1.bin'), to: fw('stm32-app-v2.bin') } },
  { name: 'STM32 from-bank2 bank 2 -> bank 1', scheme: 'stm32-dualbank', setup: 'from-bank2', images: { previous: fw('stm32-app-v1.bin'), from: fw('stm32-app-v2.bin'), to: fw('stm32-app-v3.bin') } },
  { name: 'SFU A/B update (after the first start)', scheme: 'sfu-ab', setup: 'default', images: { from: fw('app-v1.page2bin'), to: fw('app-v2.page2bin') } },
];

const sessions: SweepSession[] = [];
const rigs: Rig[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
  for (const r of rigs) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a boot starts: the slot (null: nothing) and the known image it holds (undefined: none of them). */
interface Boot {
  slot: string | null;
  image?: string;
}

interface Point {
  /** Where the cut is: `op 12 before`, `op 40 torn at 37 %`, `first start op 2`. */
  where: string;
  predicted: Boot;
  performed: Boot;
  predictedAction?: string;
  performedAction?: string;
  summary: string;
}

function regionOf(adapter: SchemeAdapter, slot: string): MemoryRegion {
  const r = adapter.dumpRegions.find((x) => x.name === slot || x.name === `slot${slot}`);
  if (!r) throw new Error(`${adapter.name}: no dump region for slot ${slot}`);
  return r;
}

/** The known image whose bytes for `slot` the region starts with. */
function identify(region: Buffer, slot: string, known: readonly UpdateImage[]): string | undefined {
  return known.find((k) => {
    const img = k.slotImage[slot];
    return img !== undefined && region.subarray(0, img.length).equals(img);
  })?.name;
}

/** A probe that hands out a dump taken earlier (scheme.inspect reads through a probe). */
function frozenProbe(regions: Record<string, Buffer>): Probe {
  return {
    dump: async () => regions,
    program: async () => {
      throw new Error('read-only dump');
    },
    massErase: async () => {
      throw new Error('read-only dump');
    },
  };
}

/** What the MCUboot twin logged it did first after the cut. */
function mcubootAction(lines: readonly string[]): string | undefined {
  for (const l of lines) {
    if (/Resuming interrupted/.test(l)) return 'resume';
    const m = /I: Swap type: (\w+)/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/** The lines of `hil inspect`'s table that say what boots next. */
function summaryOf(table: string): string {
  return table
    .split('\n')
    .filter((l) => /next boot|then runs|boots next|Check Variant|selected|first start/i.test(l))
    .join(' / ');
}

function predictedBoot(view: { bootsNext: string | null; next?: { matches?: string }; slots: { slot: string; matches?: string }[] }): Boot {
  const boot: Boot = { slot: view.bootsNext };
  const image = view.bootsNext === null ? undefined : view.next ? view.next.matches : view.slots.find((s) => s.slot === view.bootsNext)?.matches;
  if (image !== undefined) boot.image = image;
  return boot;
}

/**
 * Powers the twin on and waits (virtual time) for its first app start; returns the slot it started
 * and the known image that slot held at that instant, then powers off.
 */
async function firstBoot(rig: Rig, adapter: SchemeAdapter, probe: Probe, known: readonly UpdateImage[], timeoutMs: number): Promise<Boot> {
  let atBoot: { slot: string; region: string; bytes: Promise<Record<string, Buffer>> } | undefined;
  let off = () => {};
  // One timer for the deadline and the boot event itself: no polling of the clock while a swap runs.
  await new Promise<void>((resolve, reject) => {
    const timer = rig.clock.setTimer(timeoutMs, () => resolve());
    off = rig.timeline.subscribe((e) => {
      if (!atBoot && e.source === 'twin' && e.kind === 'boot:app') {
        const region = regionOf(adapter, e.detail!);
        // The probe reads the flash on the call itself: this is the slot as the app starts.
        atBoot = { slot: e.detail!, region: region.name, bytes: probe.dump([region]) };
        timer.cancel();
        resolve();
      }
    });
    rig.power.on().catch(reject);
  }).finally(() => off());
  const performed: Boot = { slot: atBoot?.slot ?? null };
  if (atBoot) {
    const id = identify((await atBoot.bytes)[atBoot.region]!, atBoot.slot, known);
    if (id !== undefined) performed.image = id;
  }
  await rig.power.off();
  return performed;
}

/** Loads one cut point into the session's unpowered twin, reads it as `hil inspect` does, then lets the twin boot. */
async function checkPoint(session: SweepSession, known: readonly UpdateImage[], point: SweepCutPoint): Promise<Point> {
  const { rig, scheme } = session;
  const sweep = rig.twin!.sweep;
  rig.timeline.clear();
  await rig.power.off();
  sweep.load(point);
  const view = await scheme.inspect(sweep.probe, [...known]);
  const result: Point = { where: whereOf(point), predicted: predictedBoot(view), performed: { slot: null }, summary: summaryOf(view.table) };
  if (scheme.name === 'mcuboot-swap') {
    const regions = await sweep.probe.dump(scheme.dumpRegions);
    result.predictedAction = inspectMcuboot({ primary: regions.primary!, secondary: regions.secondary!, scratch: regions.scratch! }).nextAction;
  }
  await rig.clock.sleep(session.request.offMs ?? rig.config.power.offMs);
  rig.console.flushPartial();
  const fromLine = rig.console.lines.length;
  result.performed = await firstBoot(rig, scheme, sweep.probe, known, rig.config.boot.timeoutMs);
  if (scheme.name === 'mcuboot-swap') {
    const action = mcubootAction(rig.console.lines.slice(fromLine).map((l) => l.text));
    if (action !== undefined) result.performedAction = action;
  }
  return result;
}

function whereOf(point: SweepCutPoint): string {
  return `op ${point.op} ${point.mode}${point.mode === 'torn' && point.fraction !== undefined ? ` at ${(point.fraction * 100).toFixed(1)} %` : ''}`;
}

/**
 * Every distinct before/after state, then the torn sample: one torn point at each op where a new
 * phase starts (a trailer, header, status record or signature changes hands there) and TORN_SAMPLE
 * seeded others.
 */
function pointsOf(session: SweepSession, ops: readonly SweepOp[], seed: number): SweepCutPoint[] {
  const sweep = session.rig.twin!.sweep;
  const seen = new Set<number>();
  const exact = session.everyOp(['before', 'after']).filter((p) => {
    const id = sweep.stateId(p.op, p.mode);
    if (id === undefined) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const torn = everyOpPoints(ops, ['torn'], seed);
  const phaseStarts = new Set(ops.filter((op, i) => i === 0 || op.phase !== ops[i - 1]!.phase).map((op) => op.index));
  let s = seed >>> 0 || 1;
  const sampled = new Set<number>();
  while (sampled.size < Math.min(TORN_SAMPLE, ops.length)) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    sampled.add(s % ops.length);
  }
  return [...exact, ...torn.filter((p) => phaseStarts.has(p.op) || sampled.has(p.op))];
}

const disagrees = (p: Point) => p.predicted.slot !== p.performed.slot || p.predicted.image !== p.performed.image || (p.predictedAction !== undefined && p.predictedAction !== p.performedAction);
const bootText = (b: Boot, action?: string) => `${b.slot ?? 'no boot'}${b.image ? ` (${b.image})` : ''}${action ? ` after ${action}` : ''}`;

describe.each(CASES)('twin and hil inspect agree at every op state: $name', (c) => {
  it('at every op before and after (each distinct state once) and a torn sample', async () => {
    const adapter = await schemeAdapter(c.scheme);
    const known = [...(c.images.previous ? [await loadUpdateImage(c.images.previous, c.scheme)] : []), await loadUpdateImage(c.images.from, c.scheme), await loadUpdateImage(c.images.to, c.scheme)];
    const session = await SweepSession.open({ rig: rigFile(c.scheme), twin: { variant: 'correct' }, images: c.images, setup: c.setup, seed: 7 });
    sessions.push(session);
    const { ops } = session.recording;
    expect(ops.length).toBeGreaterThan(0);
    expect(adapter.name).toBe(session.scheme.name);
    const points = pointsOf(session, ops, ops.length * 7 + 3);
    const checked: { point: SweepCutPoint; result: Point }[] = [];
    for (const point of points) checked.push({ point, result: await checkPoint(session, known, point) });

    const bad = checked
      .filter((x) => disagrees(x.result))
      .map(({ point, result }) => {
        const op = ops[point.op]!;
        return (
          `${c.scheme} ${c.setup}: ${result.where} (phase ${op.phase ?? 'none'}, stage ${op.stage}, ${op.kind} ${op.target} 0x${op.address.toString(16)}+${op.length}): ` +
          `host predicts ${bootText(result.predicted, result.predictedAction)}; twin boots ${bootText(result.performed, result.performedAction)} | ${result.summary}`
        );
      });
    expect(bad).toEqual([]);
    // Coverage: every op's before and after state was checked (directly or as an identical state
    // of another point), and the torn sample is there.
    const sweep = session.rig.twin!.sweep;
    const checkedIds = new Set(checked.map((x) => (x.point.mode === 'torn' ? undefined : sweep.stateId(x.point.op, x.point.mode))));
    const missed = ops.flatMap((op) =>
      (['before', 'after'] as const).filter((mode) => (mode === 'before' || op.endMs !== undefined) && !checkedIds.has(sweep.stateId(op.index, mode))).map((mode) => `op ${op.index} ${mode}`),
    );
    expect(missed).toEqual([]);
    // Both sides were exercised: the states boot more than one slot or image, or (an MCUboot
    // permanent swap always ends in the new image) get there in more than one way.
    expect(new Set(checked.map((x) => bootText(x.result.performed, x.result.performedAction))).size).toBeGreaterThan(1);
    expect(checked.filter((x) => x.point.mode === 'torn').length).toBeGreaterThanOrEqual(Math.min(TORN_SAMPLE, ops.length) / 2);
    // The last state of the recording boots what the update ends with.
    const last = checked.filter((x) => x.point.op === ops.length - 1 && x.point.mode === 'after').at(-1) ?? checked.filter((x) => x.point.mode !== 'torn').at(-1)!;
    expect(last.result.performed.image).toBe(c.finalImage ?? known.at(-1)!.name);
  });
});

/**
 * The SFU bootloader's first start (the first-start flag erased: it erases both sign blocks and
 * signs slot A) happens in runCut's baseline, which is never recorded; so this cuts it directly on the
 * rig: the probe baseline, power on, power off at the start of op k (marker edge k), read, power on.
 * With `op` past the end it only counts the ops.
 */
async function firstStartCut(rig: Rig, adapter: SchemeAdapter, from: UpdateImage, op: number): Promise<{ ops: number; point?: Point }> {
  const { clock } = rig;
  await rig.power.off();
  await adapter.baseline(rig.probe!, { from }, 'default');
  let edges = 0;
  let cut = false;
  const offMarker = rig.marker!(() => {
    if (++edges === op) {
      clock.setTimer(0, () => {
        cut = true;
        void rig.power.off();
      });
    }
  });
  await rig.power.on();
  for (let waited = 0; !cut && waited < FIRST_START_MS; waited += POLL_MS) await clock.sleep(POLL_MS);
  offMarker();
  if (!cut) {
    await rig.power.off();
    return { ops: edges };
  }
  const regions = await rig.probe!.dump(adapter.dumpRegions);
  const view = await adapter.inspect(frozenProbe(regions), [from]);
  await clock.sleep(200);
  const performed = await firstBoot(rig, adapter, rig.probe!, [from], FIRST_START_MS);
  return { ops: edges, point: { where: `first start op ${op}`, predicted: predictedBoot(view), performed, summary: summaryOf(view.table) } };
}

describe('twin and hil inspect agree at every op state: SFU first start (the bootloader signs slot A)', () => {
  it('before each op of the first start, and torn in each', async () => {
    const adapter = await schemeAdapter('sfu-ab');
    const from = await loadUpdateImage(fw('app-v1.page2bin'), 'sfu-ab');
    const open = async (powerLoss: string) => {
      const rig = await openRig(parseRig(RIGS['sfu-ab']!.replace('powerLoss: skip', `powerLoss: ${powerLoss}`), `/virtual/agreement-sfu-first-start-${powerLoss}.yaml`));
      rigs.push(rig);
      return rig;
    };
    const rig = await open('skip');
    const { ops: total } = await firstStartCut(rig, adapter, from, Number.POSITIVE_INFINITY);
    expect(total).toBeGreaterThan(0);
    const points: Point[] = [];
    for (let op = 1; op <= total; op++) points.push((await firstStartCut(rig, adapter, from, op)).point!);
    const torn = await open('torn');
    for (let op = 1; op <= total; op++) points.push({ ...(await firstStartCut(torn, adapter, from, op)).point!, where: `first start op ${op} torn` });
    expect(points.filter(disagrees).map((p) => `sfu-ab first start: ${p.where}: host predicts ${bootText(p.predicted)}; twin boots ${bootText(p.performed)} | ${p.summary}`)).toEqual([]);
    expect(new Set(points.map((p) => p.performed.slot)).size).toBeGreaterThan(1);
  });
});
