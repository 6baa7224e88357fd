import { describe, expect, it } from '@jest/globals';
import { parseRig, parseTrigger } from '../../src/config/index.js';
import { runCut } from '../../src/scenario/cut.js';
import { useRig } from '../../src/testing/index.js';
import { sfuAbHost as sfuAbScheme } from '../../src/schemes/sfu-ab/index.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';

const from = await loadUpdateImage('firmware/app-v1.page2bin');
const to = await loadUpdateImage('firmware/app-v2.page2bin');

function rigYaml(variant: string, powerLoss = 'random'): string {
  return `target: rp2040
scheme: sfu-ab
twin: { variant: ${variant}, powerLoss: ${powerLoss}, seed: 1 }
power: { driver: twin, offMs: 100 }
console: { driver: twin }
updater: { driver: sfu }
probe: { driver: twin }
boot: { timeoutMs: 6000 }
`;
}

// One rig per twin configuration the cuts below use, opened for the whole file by useRig() (closed
// in afterAll). Cuts on one rig share it, as a suite's cuts do under `hil run`: each starts again
// from the scheme's baseline.
const TWINS: [variant: string, powerLoss: string][] = [
  ['correct', 'random'],
  ['boot-unsigned-target', 'random'],
  ['sign-before-flush', 'skip'],
  ['sign-before-flush', 'random'],
  ['generation-not-incremented', 'random'],
  ['erase-running-slot', 'random'],
];
const rigs = new Map(TWINS.map(([variant, powerLoss]) => [`${variant}/${powerLoss}`, useRig(parseRig(rigYaml(variant, powerLoss), `/virtual/${variant}.yaml`))]));

async function cut(variant: string, trigger: string, opts: { powerLoss?: string; seed?: number; bootLoopCycles?: number } = {}) {
  const rig = rigs.get(`${variant}/${opts.powerLoss ?? 'random'}`)!;
  return runCut(rig.rig, sfuAbScheme, { from, to }, { trigger: parseTrigger(trigger), offMs: 100, seed: opts.seed ?? 1, bootLoopCycles: opts.bootLoopCycles ?? 0 });
}

describe('brownout scenario on the correct RP2040-SFU twin', () => {
  it('a cut mid-write rolls back to image A, and console and flash agree', async () => {
    const r = await cut('correct', 'progress:50%');
    expect(r.outcome).toBe('rolled-back');
    expect(r.verdict).toMatchObject({ fromConsole: 'rolled-back', fromFlash: 'rolled-back', agree: true });
    expect(r.fired!.acked).toBeGreaterThanOrEqual(Math.ceil(to.stream.length / 2));
    expect(r.fired!.acked).toBeLessThan(to.stream.length);
    expect(r.fired!.devicePhase).toBe('write');
    expect(r.transcript).toMatch(/hilrig-app 1\.0\.0 running from slot A/);
  });

  it('a cut long after the update ends updated, stable over extra power cycles', async () => {
    const r = await cut('correct', 'after:5000ms', { bootLoopCycles: 2 });
    expect(r.outcome).toBe('updated');
    expect(r.verdict!.agree).toBe(true);
    expect(r.flash!.bootsNext).toBe('B');
    expect(r.flash!.slots.find((s) => s.slot === 'B')!.matches).toBe(to.name);
  });

  it('a cut during the erase leaves A running', async () => {
    const r = await cut('correct', 'after:200ms');
    expect(r.fired!.devicePhase).toBe('erase');
    expect(r.outcome).toBe('rolled-back');
  });

  it('is reproducible: same trigger and seed, same fire point and outcome', async () => {
    const a = await cut('correct', 'console:/CRC OK/+40ms', { seed: 9 });
    const b = await cut('correct', 'console:/CRC OK/+40ms', { seed: 9 });
    expect(b.fired!.offsetMs).toBeCloseTo(a.fired!.offsetMs, 6);
    expect(b.outcome).toBe(a.outcome);
    expect(['updated', 'rolled-back']).toContain(a.outcome);
  });

  it('a trigger that never fires is a rig error, not a device result', async () => {
    const r = await cut('correct', 'progress:99999999');
    expect(r.outcome).toBe('rig-error');
    expect(r.rigError).toMatch(/never fired/);
  });
});

describe('the seeded bootloader bugs are caught', () => {
  it('boot-unsigned-target: a cut mid-write boots the half-written image (wrong-image)', async () => {
    const r = await cut('boot-unsigned-target', 'progress:40%');
    expect(r.outcome).toBe('wrong-image');
    expect(r.observation!.banner).toMatchObject({ version: '2.0.0', slot: 'B' });
    expect(r.verdict!.agree).toBe(false);
    expect(r.flash!.bootsNext).toBe('A');
  });

  it('sign-before-flush: a cut right after signing boots a truncated image (wrong-image)', async () => {
    const r = await cut('sign-before-flush', 'console:/SIGNED/', { powerLoss: 'skip' });
    expect(r.outcome).toBe('wrong-image');
    const b = r.flash!.slots.find((s) => s.slot === 'B')!;
    expect(b.valid).toBe(true); // self-consistent signature...
    expect(b.matches).toBeUndefined(); // ...over an image that is not B
  });

  it('sign-before-flush: an uncut update the device signed silently rolls back: a lost update (wrong-image)', async () => {
    const r = await cut('sign-before-flush', 'after:5000ms');
    expect(r.update).toMatchObject({ finished: true, committed: true });
    expect(r.verdict!.fromConsole).toBe('rolled-back');
    expect(r.outcome).toBe('wrong-image');
    expect(r.verdict!.reasons.join('\n')).toMatch(/committed .* before the cut, then booted .* again/);
  });

  it('generation-not-incremented: the signed update boots once, the next power-up runs the old image', async () => {
    const r = await cut('generation-not-incremented', 'after:5000ms');
    expect(r.update.committed).toBe(true);
    expect(r.transcript).toMatch(/hilrig-app 2\.0\.0 running from slot B/);
    expect(r.outcome).toBe('wrong-image');
    const mid = await cut('generation-not-incremented', 'progress:50%');
    expect(mid.outcome).toBe('rolled-back'); // a cut before signing is handled like the correct bootloader
  });

  it('the correct bootloader keeps a committed update across the cut', async () => {
    const r = await cut('correct', 'after:5000ms');
    expect(r.update.committed).toBe(true);
    expect(r.outcome).toBe('updated');
  });

  it('erase-running-slot: a cut mid-update leaves nothing to boot (waiting)', async () => {
    const r = await cut('erase-running-slot', 'progress:50%');
    expect(r.outcome).toBe('waiting');
    expect(r.flash!.bootsNext).toBeNull();
  });
});
