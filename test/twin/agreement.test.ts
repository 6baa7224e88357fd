/**
 * The twin and the host-side reading agree at every op state (issue 10 item 4).
 *
 * For each update of each scheme on its correct bootloader, a dry run counts the flash operations
 * from the start of the update to the end of the bootloader's work after it (MCUboot: the swap and,
 * for a test image that never confirms, the revert; STM32: erase, write, commit; SFU: erase, write,
 * signing). Then, for op k, `runCut` cuts with the marker trigger `marker:k` (the op is not started:
 * power-loss mode skip, so every state between two ops is visited once). At the power-on after the
 * cut, before the twin runs a single instruction, the flash is dumped and the scheme's own
 * inspection (what `hil inspect` prints: the slot the boot chain starts next and the image that will
 * run) predicts the next boot. The twin then boots: the first app start after the cut is the boot it
 * performs (which slot, and which known image that slot holds at that instant, byte for byte). They
 * must be the same. For MCUboot the inspection's next action (resume / test / perm / revert / none)
 * must also be what the bootloader logs it does.
 *
 * Also the state just after the last op (mode complete: what follows may be no marker edge, such as
 * the STM32 app's BFB2 option-byte program) and the final one (the dry run's own late cut), and the
 * SFU bootloader's first start (it signs slot A), which runCut's baseline never cuts.
 *
 * Coverage: each cut is a full replay (baseline restore, update, cut, recovery): about 2-6 cuts/s
 * on a loaded 2-core machine, so every op of these updates (568-1135 ops each, about 5,700 in all)
 * would take 20-30 minutes. Hence: every op for an update of at most EVERY_OP_LIMIT ops (the SFU
 * first start: 4), and for the larger ones every op in a window around each phase start (where a
 * trailer, header, metadata or status record changes hands: the MCUboot region steps, the revert's
 * start, the STM32 erase / write / commit, the SFU signing), the first and last three, and a seeded
 * sample of SAMPLE more. The fast sweep engine (src/scenario/sweep/) will make them exhaustive. A
 * seeded sample is also cut torn (mode torn, a seeded delay of up to 3 ms into the op): a torn op
 * leaves bytes that are neither old nor new, and both sides must still read them alike.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { parseRig, parseTrigger } from '../../src/config/index.js';
import type { MemoryRegion, Probe } from '../../src/drivers/capabilities.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { runCut } from '../../src/scenario/cut.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { inspectMcuboot } from '../../src/schemes/mcuboot-swap/inspect.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import type { SchemeAdapter, UpdateImage } from '../../src/schemes/scheme.js';

/** Setups with at most this many ops are cut at every op. */
const EVERY_OP_LIMIT = 400;
/** Seeded ops cut in a larger setup, besides the phase windows. */
const SAMPLE = 40;
/** Ops cut after each phase start (and one before it) in a larger setup. */
const PHASE_WINDOW = 4;
/** Ops cut torn per setup (seeded). */
const TORN_SAMPLE = 12;

type PowerLoss = 'skip' | 'complete' | 'torn';
/** Longer than the SFU bootloader's window plus its first start and the app's start. */
const FIRST_START_MS = 10_000;

const RIGS: Record<string, string> = {
  'mcuboot-swap': `target: nrf52840
scheme: mcuboot-swap
twin: { variant: correct, powerLoss: POWERLOSS, seed: 1 }
power: { driver: twin }
console: { driver: twin, baud: 115200 }
updater: { driver: probe }
probe: { driver: twin }
boot: { timeoutMs: 60000 }
`,
  'stm32-dualbank': `target: stm32f429
scheme: stm32-dualbank
twin: { variant: correct, powerLoss: POWERLOSS, seed: 1 }
power: { driver: twin }
console: { driver: twin }
updater: { driver: sfu-app }
probe: { driver: twin }
boot: { timeoutMs: 3000 }
`,
  'sfu-ab': `target: rp2040
scheme: sfu-ab
twin: { variant: correct, powerLoss: POWERLOSS, seed: 1 }
power: { driver: twin }
console: { driver: twin }
updater: { driver: sfu }
probe: { driver: twin }
boot: { timeoutMs: 6000 }
`,
};

interface Images {
  from: UpdateImage;
  to: UpdateImage;
  previous?: UpdateImage;
}

interface Case {
  name: string;
  scheme: string;
  setup: string;
  images: () => Promise<Images>;
  /** What runs once the update and its recovery are over, when not the new image. */
  finalImage?: string;
}

const load = (file: string, scheme: string) => loadUpdateImage(`firmware/${file}`, scheme);
const mcuboot = (to: string) => async () => ({ from: await load('mcuboot-app-v1.signed.bin', 'mcuboot-swap'), to: await load(to, 'mcuboot-swap') });
const stm32 = (back: boolean) => async () =>
  back
    ? { previous: await load('stm32-app-v1.bin', 'stm32-dualbank'), from: await load('stm32-app-v2.bin', 'stm32-dualbank'), to: await load('stm32-app-v3.bin', 'stm32-dualbank') }
    : { from: await load('stm32-app-v1.bin', 'stm32-dualbank'), to: await load('stm32-app-v2.bin', 'stm32-dualbank') };

const CASES: Case[] = [
  { name: 'MCUboot TEST swap (the new image confirms itself)', scheme: 'mcuboot-swap', setup: 'test', images: mcuboot('mcuboot-app-v2.signed.bin') },
  { name: 'MCUboot PERM swap', scheme: 'mcuboot-swap', setup: 'permanent', images: mcuboot('mcuboot-app-v2.signed.bin') },
  {
    name: 'MCUboot TEST swap then REVERT (the new image faults before confirming)',
    scheme: 'mcuboot-swap',
    setup: 'test',
    images: mcuboot('mcuboot-app-v2-crashes.signed.bin'),
    finalImage: 'mcuboot-app-v1.signed.bin',
  },
  { name: 'STM32 factory (BFB2 clear) bank 1 -> bank 2', scheme: 'stm32-dualbank', setup: 'factory', images: stm32(false) },
  { name: 'STM32 rom-fallback (BFB2 set, bank 2 blank) bank 1 -> bank 2', scheme: 'stm32-dualbank', setup: 'rom-fallback', images: stm32(false) },
  { name: 'STM32 from-bank2 bank 2 -> bank 1', scheme: 'stm32-dualbank', setup: 'from-bank2', images: stm32(true) },
  {
    name: 'SFU A/B update (after the first start)',
    scheme: 'sfu-ab',
    setup: 'default',
    images: async () => ({ from: await load('app-v1.page2bin', 'sfu-ab'), to: await load('app-v2.page2bin', 'sfu-ab') }),
  },
];

const rigs: Rig[] = [];
afterAll(async () => {
  for (const r of rigs) await r.close();
});

async function openTwin(scheme: string, powerLoss: PowerLoss): Promise<Rig> {
  const rig = await openRig(parseRig(RIGS[scheme]!.replace('POWERLOSS', powerLoss), `/virtual/agreement-${scheme}-${powerLoss}.yaml`));
  rigs.push(rig);
  return rig;
}

/** Far past the end of any update and its recovery: a dry run's trigger. */
const DRY_RUN_TRIGGER = 'after:200s';

/**
 * Flash ops from the start of the update to the end of the dry run (the marker edges runCut's
 * trigger counts), and the op index at which each twin phase (erase, write, swap region n step m,
 * revert, commit ...) starts.
 */
async function countOps(rig: Rig, adapter: SchemeAdapter, images: Images, setup: string): Promise<{ total: number; phaseStarts: number[] }> {
  let counting = false;
  let ops = 0;
  const phaseStarts: number[] = [];
  const offTimeline = rig.timeline.subscribe((e) => {
    if (e.source === 'scenario' && e.kind === 'update-start') counting = true;
    if (e.source === 'cut' && e.kind === 'fire') counting = false;
    if (counting && e.source === 'twin' && e.kind.startsWith('phase:')) phaseStarts.push(ops + 1);
  });
  const offMarker = rig.marker!(() => {
    if (counting) ops++;
  });
  try {
    const r = await runCut(rig, adapter, images, { trigger: parseTrigger(DRY_RUN_TRIGGER), offMs: 200, seed: 1, setup });
    if (!r.fired) throw new Error(`dry run did not fire: ${r.outcome} ${r.rigError ?? ''}`);
  } finally {
    offTimeline();
    offMarker();
  }
  return { total: ops, phaseStarts: [...new Set(phaseStarts)].filter((op) => op <= ops) };
}

/** What a boot starts: the slot (null: nothing) and the known image it holds (undefined: none of them). */
interface Boot {
  slot: string | null;
  image?: string;
}

interface Point {
  op: number;
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
function identify(region: Buffer, slot: string, known: UpdateImage[]): string | undefined {
  return known.find((k) => {
    const img = k.slotImage[slot];
    return img !== undefined && region.subarray(0, img.length).equals(img);
  })?.name;
}

/** A probe that hands out the dump taken at the cut (scheme.inspect reads through a probe). */
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
function mcubootAction(lines: string[]): string | undefined {
  for (const l of lines) {
    if (/Resuming interrupted/.test(l)) return 'resume';
    const m = /I: Swap type: (\w+)/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Cuts at op k (`marker:k`, plus `delayMs` into the op), predicts from the dump at the power-on after
 * the cut, and observes the twin's first app start after it.
 */
async function cutAt(rig: Rig, adapter: SchemeAdapter, images: Images, setup: string, op: number, seed: number, delayMs = 0, trigger?: string): Promise<Point> {
  const known = [images.from, images.to, ...(images.previous ? [images.previous] : [])];
  let fired = false;
  // TwinProbe reads the flash on the call itself; the promise only carries the bytes read then.
  let atCut: Promise<Record<string, Buffer>> | undefined;
  let atBoot: { slot: string; region: string; bytes: Promise<Record<string, Buffer>> } | undefined;
  let fromLine = 0;
  const off = rig.timeline.subscribe((e) => {
    if (e.source === 'cut' && e.kind === 'fire') fired = true;
    else if (fired && !atCut && e.source === 'power' && e.kind === 'on') {
      // The power-on event comes before the device starts: this is the flash the cut left.
      atCut = rig.probe!.dump(adapter.dumpRegions);
      fromLine = rig.console.lines.length;
    } else if (atCut && !atBoot && e.source === 'twin' && e.kind === 'boot:app') {
      const region = regionOf(adapter, e.detail!);
      atBoot = { slot: e.detail!, region: region.name, bytes: rig.probe!.dump([region]) };
    }
  });
  let r;
  try {
    const text = trigger ?? (delayMs > 0 ? `marker:${op}+${delayMs}ms` : `marker:${op}`);
    r = await runCut(rig, adapter, images, { trigger: parseTrigger(text), offMs: 200, seed, setup });
  } finally {
    off();
  }
  if (!r.fired || !atCut) throw new Error(`op ${op}: the cut did not happen (${r.outcome}: ${r.rigError ?? ''})`);
  const regions = await atCut;
  const view = await adapter.inspect(frozenProbe(regions), known);
  const predicted: Boot = { slot: view.bootsNext };
  const image = view.bootsNext === null ? undefined : view.next ? view.next.matches : view.slots.find((s) => s.slot === view.bootsNext)?.matches;
  if (image !== undefined) predicted.image = image;
  const performed: Boot = { slot: atBoot?.slot ?? null };
  if (atBoot) {
    const id = identify((await atBoot.bytes)[atBoot.region]!, atBoot.slot, known);
    if (id !== undefined) performed.image = id;
  }
  const point: Point = {
    op,
    predicted,
    performed,
    summary: view.table
      .split('\n')
      .filter((l) => /next boot|then runs|boots next|Check Variant|selected/.test(l))
      .join(' / '),
  };
  if (adapter.name === 'mcuboot-swap') {
    point.predictedAction = inspectMcuboot({ primary: regions.primary!, secondary: regions.secondary!, scratch: regions.scratch! }).nextAction;
    point.performedAction = mcubootAction(rig.console.lines.slice(fromLine).map((l) => l.text));
  }
  return point;
}

/**
 * The SFU bootloader's first start (the first-start flag erased: it erases both sign blocks and
 * signs slot A) happens in runCut's baseline, which is never cut; so this cuts it directly on the
 * rig: the probe baseline, power on, power off at the start of op k (marker edge k), dump, power on.
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
  for (let waited = 0; !cut && waited < FIRST_START_MS; waited += 50) await clock.sleep(50);
  offMarker();
  if (!cut) {
    await rig.power.off();
    return { ops: edges };
  }
  const regions = await rig.probe!.dump(adapter.dumpRegions);
  const view = await adapter.inspect(frozenProbe(regions), [from]);
  const predicted: Boot = { slot: view.bootsNext };
  const image = view.bootsNext === null ? undefined : view.slots.find((s) => s.slot === view.bootsNext)?.matches;
  if (image !== undefined) predicted.image = image;
  let atBoot: { slot: string; region: string; bytes: Promise<Record<string, Buffer>> } | undefined;
  const off = rig.timeline.subscribe((e) => {
    if (!atBoot && e.source === 'twin' && e.kind === 'boot:app') {
      const region = regionOf(adapter, e.detail!);
      atBoot = { slot: e.detail!, region: region.name, bytes: rig.probe!.dump([region]) };
    }
  });
  await clock.sleep(200);
  await rig.power.on();
  for (let waited = 0; !atBoot && waited < FIRST_START_MS; waited += 50) await clock.sleep(50);
  off();
  await rig.power.off();
  const performed: Boot = { slot: atBoot?.slot ?? null };
  if (atBoot) {
    const id = identify((await atBoot.bytes)[atBoot.region]!, atBoot.slot, [from]);
    if (id !== undefined) performed.image = id;
  }
  return {
    ops: edges,
    point: {
      op,
      predicted,
      performed,
      summary: view.table
        .split('\n')
        .filter((l) => /boots next|selected|first start/i.test(l))
        .join(' / '),
    },
  };
}

/**
 * Ops to cut: all of them up to EVERY_OP_LIMIT; else every op in a window around each phase start
 * (where the trailer, the header or the metadata changes hands), the first and last three, and a
 * seeded sample of SAMPLE more.
 */
function pickOps(total: number, phaseStarts: number[], seed: number): number[] {
  if (total <= EVERY_OP_LIMIT) return Array.from({ length: total }, (_, i) => i + 1);
  const picked = new Set<number>([1, 2, 3, total - 2, total - 1, total]);
  for (const p of phaseStarts) for (let op = p - 1; op <= p + PHASE_WINDOW; op++) if (op >= 1 && op <= total) picked.add(op);
  return [...new Set([...picked, ...seededOps(total, SAMPLE, seed)])].sort((a, b) => a - b);
}

/** `n` distinct ops out of 1..total, from a seed (xorshift32). */
function seededOps(total: number, n: number, seed: number): number[] {
  const out = new Set<number>();
  let s = seed >>> 0 || 1;
  while (out.size < Math.min(n, total)) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.add(1 + (s % total));
  }
  return [...out].sort((a, b) => a - b);
}

const disagrees = (p: Point) => p.predicted.slot !== p.performed.slot || p.predicted.image !== p.performed.image || (p.predictedAction !== undefined && p.predictedAction !== p.performedAction);
const describePoint = (p: Point) =>
  `op ${p.op}: host predicts ${p.predicted.slot ?? 'no boot'}${p.predicted.image ? ` (${p.predicted.image})` : ''}${p.predictedAction ? ` after ${p.predictedAction}` : ''}; ` +
  `twin boots ${p.performed.slot ?? 'nothing'}${p.performed.image ? ` (${p.performed.image})` : ''}${p.performedAction ? ` after ${p.performedAction}` : ''} | ${p.summary}`;

describe.each(CASES)('twin and hil inspect agree at every op state: $name', (c) => {
  it('before each op (mode skip): every op, or a seeded sample of a large update', async () => {
    const adapter = await schemeAdapter(c.scheme);
    const images = await c.images();
    const rig = await openTwin(c.scheme, 'skip');
    const { total, phaseStarts } = await countOps(rig, adapter, images, c.setup);
    expect(total).toBeGreaterThan(0);
    const ops = pickOps(total, phaseStarts, total);
    const points: Point[] = [];
    for (const op of ops) points.push(await cutAt(rig, adapter, images, c.setup, op, 1));
    // The states after the last op: just after it completes (what comes next is no marker edge,
    // e.g. the STM32 app's BFB2 option-byte program), and long after (the update's final state).
    const complete = await openTwin(c.scheme, 'complete');
    points.push(await cutAt(complete, adapter, images, c.setup, total, 1));
    points.push(await cutAt(rig, adapter, images, c.setup, total + 1, 1, 0, DRY_RUN_TRIGGER));
    const bad = points.filter(disagrees).map(describePoint);
    expect(bad).toEqual([]);
    // Sanity: every cut was judged, and the final state boots the new image.
    expect(points).toHaveLength(ops.length + 2);
    expect(points.at(-1)!.performed.image).toBe(c.finalImage ?? images.to.name);
  });

  it('torn inside a seeded sample of ops', async () => {
    const adapter = await schemeAdapter(c.scheme);
    const images = await c.images();
    const rig = await openTwin(c.scheme, 'torn');
    const skip = await openTwin(c.scheme, 'skip');
    const { total } = await countOps(skip, adapter, images, c.setup);
    const points: Point[] = [];
    // A seeded delay of up to 3 ms into the op: most programs are cut part-way, erases early on.
    for (const op of seededOps(total, TORN_SAMPLE, total * 7 + 3)) points.push(await cutAt(rig, adapter, images, c.setup, op, op, 0.05 + ((op * 2654435761) % 1000) * 0.003));
    expect(points.filter(disagrees).map(describePoint)).toEqual([]);
  });
});

describe('twin and hil inspect agree at every op state: SFU first start (the bootloader signs slot A)', () => {
  it('before each op of the first start, and after it', async () => {
    const adapter = await schemeAdapter('sfu-ab');
    const from = await load('app-v1.page2bin', 'sfu-ab');
    const rig = await openTwin('sfu-ab', 'skip');
    const { ops: total } = await firstStartCut(rig, adapter, from, Number.POSITIVE_INFINITY);
    expect(total).toBeGreaterThan(0);
    const points: Point[] = [];
    for (let op = 1; op <= total; op++) points.push((await firstStartCut(rig, adapter, from, op)).point!);
    const torn = await openTwin('sfu-ab', 'torn');
    for (let op = 1; op <= total; op++) points.push((await firstStartCut(torn, adapter, from, op)).point!);
    expect(points.filter(disagrees).map(describePoint)).toEqual([]);
    expect(new Set(points.map((p) => p.performed.slot)).size).toBeGreaterThan(1);
  });
});
