/**
 * Seed 001's three-step Loader update as one multi-stage update (suite `images.via`, contract 2):
 * the Updater into slot 2, the new Loader through the Updater, the application back. The real
 * sfu-app updater and SFU uploader against the loader-app twin (in-process link, virtual clock):
 * stages sent in order, progress over all of them, the retry resuming at the stage the device is
 * at, the no-Loader moment, and the two variants of this slice. Bad `images.via` is refused at
 * its file:line:col.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadRig, parseSuite, parseTrigger } from '../../src/config/index.js';
import { resumeStage, type UpdateStage } from '../../src/drivers/updater/sfu/index.js';
import { openTwinRig } from '../../src/rig/open-twin-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { runCut } from '../../src/scenario/cut.js';
import { recordUpdate } from '../../src/scenario/sweep/recording.js';
import { loadUpdateImage, viaFiles } from '../../src/scenario/update-image.js';
import { schemeAdapter, type SchemeAdapter } from '../../src/schemes/registry.js';
import { LOADER_APP_SLOTS } from '../../src/targets/stm32f429-fwup.js';
import { hil } from '../cli/hil.js';

const F = 'firmware/';
const STAGE_BYTES = [40 * 1024, 28 * 1024, 213_044];
const TOTAL = STAGE_BYTES.reduce((a, b) => a + b, 0);
const { slot1, slot2 } = LOADER_APP_SLOTS;

let scheme: SchemeAdapter;
const rigs = new Map<string, Rig>();
const from = await loadUpdateImage(`${F}fwup-app-v1.bin`, 'loader-app');
const to = await loadUpdateImage(`${F}fwup-app-v2.bin`, 'loader-app', [`${F}fwup-updater-v1.bin`, `${F}fwup-loader-v2.bin`]);
const badCrc = await loadUpdateImage(`${F}fwup-app-v2-bad-crc.bin`, 'loader-app');

beforeAll(async () => {
  scheme = await schemeAdapter('loader-app');
  for (const variant of ['correct', 'no-slot2-fallback', 'header-before-crc', 'updater-erases-loader-early']) {
    const config = await loadRig('rigs/twin-stm32f429-loader-app.yaml');
    rigs.set(variant, await openTwinRig({ ...config, twin: { ...config.twin!, variant } }));
  }
});
afterAll(async () => {
  for (const rig of rigs.values()) await rig.close();
});

function cut(variant: string, trigger: string, opts: { retry?: number; images?: { from: typeof from; to: typeof to }; setup?: string } = {}) {
  const rig = rigs.get(variant)!;
  return runCut(rig, scheme, opts.images ?? { from, to }, {
    trigger: parseTrigger(trigger),
    offMs: 200,
    seed: 1,
    bootLoopCycles: 0,
    ...(opts.retry !== undefined && { retry: opts.retry }),
    ...(opts.setup !== undefined && { setup: opts.setup }),
  });
}

/** The lines of the last scenario (the rig's transcript keeps earlier ones, at negative times). */
const lastRun = (transcript: string) =>
  transcript
    .split('\n')
    .filter((l) => !/^\[\s*-/.test(l))
    .join('\n');

/** The timeline's stage events of the run, as "k/3 file" (one per transfer started). */
function stagesSent(rig: Rig, sinceMs: number): string[] {
  return rig.timeline.events.filter((e) => e.t >= sinceMs && e.source === 'updater' && e.kind === 'stage').map((e) => e.detail!.split(' -> ')[0]!);
}

describe('which stage comes next (pure)', () => {
  const stage = (name: string, slotBase: number, version: string): UpdateStage => ({ name, stream: Buffer.alloc(4), slotBase, version });
  const stages = [stage('updater', slot2.base, '1.0.0'), stage('loader', slot1.base, '2.0.0'), stage('app', slot2.base, '2.0.0')];
  it.each([
    ['Loader 1.0.0 in DFU mode: from the Updater', { writesSlot: slot2.base, runs: { version: '1.0.0', base: slot1.base } }, 0],
    ['the Updater: the Loader next', { writesSlot: slot1.base, runs: { version: '1.0.0', base: slot2.base } }, 1],
    ['Loader 2.0.0 in DFU mode: only the application', { writesSlot: slot2.base, runs: { version: '2.0.0', base: slot1.base } }, 2],
    ['a DFU program that does not say what runs: the first stage for its slot', { writesSlot: slot2.base }, 0],
    ['a slot no stage is for', { writesSlot: 0x0800_0000 }, -1],
  ])('%s', (_what, answer, expected) => {
    expect(resumeStage(stages, answer)).toBe(expected);
  });
});

describe('the three-step Loader update on the loader-app twin', () => {
  it('uncut: three transfers in order, progress over all of them, Loader 2.0.0 and the application 2.0.0 committed', async () => {
    const rig = rigs.get('correct')!;
    const t0 = rig.clock.now();
    const r = await cut('correct', 'after:20000ms');
    expect(r.outcome).toBe('updated');
    expect(r.update).toMatchObject({ finished: true, acked: TOTAL });
    expect(stagesSent(rig, t0)).toEqual(['1/3 fwup-updater-v1.bin', '2/3 fwup-loader-v2.bin', '3/3 fwup-app-v2.bin']);
    expect(lastRun(r.transcript)).toMatch(/COMMIT slot2 updater 1\.0\.0[\s\S]*COMMIT slot1 loader 2\.0\.0[\s\S]*COMMIT slot2 app 2\.0\.0/);
    expect(r.flash!.slots.find((s) => s.slot === 'slot1')!.version).toBe('2.0.0');
    expect(viaFiles(to)).toEqual([`${F}fwup-updater-v1.bin`, `${F}fwup-loader-v2.bin`]);
  });

  it.each([
    ['step 1 (the Updater half in slot 2)', 'progress:7%', ['1/3 fwup-updater-v1.bin', '2/3 fwup-loader-v2.bin', '3/3 fwup-app-v2.bin']],
    ["step 2 (the Loader half in the Updater's RAM)", 'progress:20%', ['2/3 fwup-loader-v2.bin', '3/3 fwup-app-v2.bin']],
    ['step 2, slot 1 being erased: no valid Loader', 'console:/CRC OK/#2+100ms', ['2/3 fwup-loader-v2.bin', '3/3 fwup-app-v2.bin']],
    ['step 3 (the application half in slot 2)', 'progress:60%', ['3/3 fwup-app-v2.bin']],
  ])('a cut in %s ends waiting (degraded with no Loader); the retry resumes at that step and ends updated', async (where, trigger, resent) => {
    const rig = rigs.get('correct')!;
    const r = await cut('correct', trigger, { retry: 1 });
    // A progress trigger counts the bytes of all three transfers.
    if (trigger.startsWith('progress:')) expect(Math.abs(r.fired!.acked! - (TOTAL * parseInt(trigger.slice(9), 10)) / 100)).toBeLessThan(4096);
    expect(r.firstOutcome).toBe(where.includes('no valid Loader') ? 'degraded' : 'waiting');
    expect(r.outcome).toBe('updated');
    const retryStart = rig.timeline.events.filter((e) => e.source === 'updater' && e.kind === 'stages').at(-1)!.t;
    expect(stagesSent(rig, retryStart)).toEqual(resent);
  });

  it('with no valid Loader the bootloader starts the Updater (degraded, both sources name the fallback); without the fallback the core faults (boot-loop)', async () => {
    const ok = await cut('correct', 'console:/CRC OK/#2+100ms');
    expect(ok.outcome).toBe('degraded');
    expect(ok.verdict).toMatchObject({ fromConsole: 'degraded', fromFlash: 'degraded', agree: true });
    expect(ok.verdict!.reasons.join('\n')).toMatch(
      /the bootloader fell back: "boot: no valid Loader in slot 1, starting slot 2"[\s\S]*the flash says the bootloader falls back: slot 1 holds no committed Loader/,
    );
    expect(lastRun(ok.transcript)).toMatch(/boot: no valid Loader in slot 1, starting slot 2[\s\S]*hilrig-updater 1\.0\.0/);
    const bug = await cut('no-slot2-fallback', 'console:/CRC OK/#2+100ms');
    expect(bug.outcome).toBe('boot-loop');
  });

  it('updater-erases-loader-early: a cut mid-transfer leaves no Loader: degraded, with reasons naming the fallback; the correct Updater at the same cut: waiting', async () => {
    const ok = await cut('correct', 'progress:20%');
    const bug = await cut('updater-erases-loader-early', 'progress:20%');
    expect([ok.outcome, bug.outcome]).toEqual(['waiting', 'degraded']);
    expect(ok.verdict!.reasons.join('\n')).not.toMatch(/fell back|falls back/);
    expect(lastRun(ok.transcript)).not.toMatch(/no valid Loader/);
    expect(bug.verdict).toMatchObject({ fromConsole: 'degraded', fromFlash: 'degraded', agree: true });
    expect(bug.verdict!.reasons.join('\n')).toMatch(/the bootloader fell back: "boot: no valid Loader in slot 1, starting slot 2"/);
    expect(bug.verdict!.reasons.join('\n')).toMatch(/the flash says the bootloader falls back/);
  });

  it("the op log's stages: the correct Updater writes slot 1 only once the host has sent the whole Loader (verify), the bug while it still sends (update)", async () => {
    const slot1Stages = async (variant: string) => {
      const rec = await recordUpdate(rigs.get(variant)!, scheme, { from, to }, { seed: 1, offMs: 200 });
      const ops = rec.ops.filter((o) => o.target === 'flash' && o.address >= slot1.base && o.address < slot1.base + slot1.size);
      return { erase: new Set(ops.filter((o) => o.kind === 'erase').map((o) => o.stage)), program: new Set(ops.filter((o) => o.kind === 'program').map((o) => o.stage)) };
    };
    expect(await slot1Stages('correct')).toEqual({ erase: new Set(['verify']), program: new Set(['verify']) });
    expect(await slot1Stages('updater-erases-loader-early')).toEqual({ erase: new Set(['update']), program: new Set(['update', 'verify']) });
  });

  it('updater-erases-loader-early: degraded is retried (the Updater answers) and ends updated, the first outcome kept', async () => {
    const r = await cut('updater-erases-loader-early', 'progress:20%', { retry: 1 });
    expect(r.firstOutcome).toBe('degraded');
    expect(r.outcome).toBe('updated');
  });
});

describe('a device that stays in the wrong program', () => {
  it('an update that skips the Loader step: the Updater answers for slot 1 only, the update fails on the device side (not the rig), waiting', async () => {
    const skip = await loadUpdateImage(`${F}fwup-app-v2.bin`, 'loader-app', [`${F}fwup-updater-v1.bin`]);
    const r = await cut('correct', 'after:30000ms', { images: { from, to: skip } });
    expect(r.outcome).toBe('waiting');
    expect(r.update.error).toMatch(/no DFU program for slot 0x08020000 answered INFO .* \(it answered for 0x08004000\)/);
  });
});

describe('a corrupted application download (data not matching its header CRC)', () => {
  const images = { from, to: badCrc };
  it('the correct Loader refuses it, cut or not (waiting)', async () => {
    for (const trigger of ['after:4152ms', 'after:20000ms']) expect((await cut('correct', trigger, { images, setup: 'after-loader-update' })).outcome).toBe('waiting');
  });
  it('header-before-crc: a cut between the header and its zeroing starts it (updated, slot 2 CRC failing)', async () => {
    const r = await cut('header-before-crc', 'after:4152ms', { images, setup: 'after-loader-update' });
    expect(r.outcome).toBe('updated');
    expect(r.verdict!.reasons.join('\n')).toMatch(/CRC mismatch/);
    expect((await cut('header-before-crc', 'after:20000ms', { images, setup: 'after-loader-update' })).outcome).toBe('waiting');
  });
});

describe('suite images.via', () => {
  const suite = (via: string) =>
    `name: x\nimages:\n  from: ../firmware/fwup-app-v1.bin\n  to: ../firmware/fwup-app-v2.bin\n  via: ${via}\nrigs: [twin-stm32f429-loader-app]\ncuts: { points: [after:1s] }\n`;
  it('resolves each file against the suite folder, in order', () => {
    const s = parseSuite(suite('[../firmware/fwup-updater-v1.bin, ../firmware/fwup-loader-v2.bin]'), 'suites/x.yaml');
    expect(s.images.via!.map((f) => f.split('/').slice(-2).join('/'))).toEqual(['firmware/fwup-updater-v1.bin', 'firmware/fwup-loader-v2.bin']);
  });
  it.each([
    ['a missing file', '[../firmware/fwup-updater-v1.bin, ../firmware/nope.bin]', /suites\/x\.yaml:5:42: images\.via\[1\]: image not found: firmware\/nope\.bin/],
    ['not a list', '../firmware/fwup-updater-v1.bin', /suites\/x\.yaml:5:8: images\.via: expected a list/],
    ['an empty list', '[]', /suites\/x\.yaml:5:8: images\.via: expected at least 1 entry, got 0/],
    ['a number in the list', '[../firmware/fwup-updater-v1.bin, 3]', /suites\/x\.yaml:5:42: images\.via\[1\]: expected a string, got 3/],
  ])('%s is an error at its line and column', (_what, via, message) => {
    expect(() => parseSuite(suite(via), 'suites/x.yaml')).toThrow(message);
  });
});

describe('hil sweep --via (the built CLI)', () => {
  const args = ['sweep', '--rig', 'twin-stm32f429-loader-app', '--from', `${F}fwup-app-v1.bin`, '--to', `${F}fwup-app-v2.bin`];
  const via = `${F}fwup-updater-v1.bin,${F}fwup-loader-v2.bin`;
  it('replays a point of the three-step update: no-slot2-fallback erasing slot 1 is a boot-loop (the correct design degraded), and the line carries --via', async () => {
    const r = await hil([...args, '--via', via, '--variant', 'no-slot2-fallback', '--point', '25:after', '--seed', '1', '--off-ms', '200']);
    expect(r.stdout).toMatch(/op 25 after \(erase flash @0x8004000\+16384, verify\/erase slot1 sectors 1-2\)/);
    expect(r.stdout).toMatch(/outcome: boot-loop/);
    expect(r.exitCode).toBe(1);
    const correct = await hil([...args, '--via', via, '--point', '25:after', '--seed', '1', '--off-ms', '200', '--json']);
    const point = JSON.parse(correct.stdout) as { outcome: string; repro: string };
    expect(point.outcome).toBe('degraded');
    expect(point.repro).toContain(`--via ${via} `);
  });
  it('an empty entry in --via is a usage error (exit 2)', async () => {
    const r = await hil([...args, '--via', `${F}fwup-updater-v1.bin,,${F}fwup-loader-v2.bin`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--via: expected image files separated by commas/);
  });
});
