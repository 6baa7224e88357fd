/**
 * The host's retry after a cut's recovery (issue 12 item 2), on the loader-app twin: a cut during an
 * application update leaves the Loader in DFU mode (`waiting`); with `retry` the same update goes
 * again over the same path and the device ends `updated`, without it stays `waiting`. The states on
 * the timeline follow the transition table; a retry the device refuses is recorded on the retry and
 * the device judged as it is; a retry the rig fails ends the cut as a rig error with what was known.
 * The rig's stable command is sent after each app banner.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadRig, parseTrigger, type RigConfig } from '../../src/config/index.js';
import { DeviceError, RigError } from '../../src/core/errors.js';
import { openRig } from '../../src/rig/open-rig.js';
import type { Rig } from '../../src/rig/rig.js';
import { CUT_TRANSITIONS, runCut, type CutSpec, type CutState } from '../../src/scenario/cut.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import { retryChain } from '../../src/report/retry-chain.js';

const RIG = await loadRig('rigs/twin-stm32f429-loader-app.yaml');
const scheme = await schemeAdapter('loader-app');
const images = { from: await loadUpdateImage('firmware/fwup-app-v1.bin', 'loader-app'), to: await loadUpdateImage('firmware/fwup-app-v2.bin', 'loader-app') };

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function rigOf(config: RigConfig = RIG): Promise<Rig> {
  const rig = await openRig(config);
  rigs.push(rig);
  return rig;
}

function spec(trigger: string, extra: Partial<CutSpec> = {}): CutSpec {
  return { trigger: parseTrigger(trigger), offMs: 200, seed: 1, setup: 'factory', ...extra };
}

function steps(rig: Rig): CutState[] {
  return rig.timeline.events.filter((e) => e.source === 'scenario' && e.kind.startsWith('step:')).map((e) => e.kind.slice(5) as CutState);
}

function expectLegal(path: CutState[]): void {
  for (let i = 1; i < path.length; i++) expect(CUT_TRANSITIONS[path[i - 1]!]).toContain(path[i]);
}

describe('retry after the recovery', () => {
  it('a cut during the transfer is waiting without a retry, and updated after one', async () => {
    const rig = await rigOf();
    const plain = await runCut(rig, scheme, images, spec('progress:50%'));
    expect(plain.outcome).toBe('waiting');
    expect(plain.retries).toBeUndefined();
    expect(plain.firstOutcome).toBeUndefined();
    expect(steps(rig)).not.toContain('retrying');

    const retried = await runCut(rig, scheme, images, spec('progress:50%', { retry: 2 }));
    expect(retried.outcome).toBe('updated');
    expect(retried.firstOutcome).toBe('waiting');
    expect(retried.firstVerdict?.outcome).toBe('waiting');
    // One retry was enough: the second is not made once the device runs the new app.
    expect(retried.retries?.map((r) => ({ attempt: r.attempt, outcome: r.outcome, finished: r.update.finished, error: r.error }))).toEqual([
      { attempt: 1, outcome: 'updated', finished: true, error: undefined },
    ]);
    expect(retried.verdict).toEqual(retried.retries![0]!.verdict);
    expect(retried.observation?.banner?.version).toBe('2.0.0');
    expect(retryChain(retried)).toBe('waiting → retry 1 → updated');
    const path = steps(rig);
    expect(path).toEqual(['baseline', 'updating', 'cut', 'recovering', 'retrying', 'judged']);
    expectLegal(path);
    expect(retried.timeline).toMatch(/scenario retry +1 of 2: fwup-app-v2\.bin/);
  });

  it('a rolled-back device is retried too (RP2040 SFU A/B: the app hands over to its bootloader for the retry)', async () => {
    const rig = await rigOf(await loadRig('rigs/twin-rp2040-sfu.yaml'));
    const sfu = await schemeAdapter('sfu-ab');
    const ab = { from: await loadUpdateImage('firmware/app-v1.page2bin'), to: await loadUpdateImage('firmware/app-v2.page2bin') };
    const r = await runCut(rig, sfu, ab, { trigger: parseTrigger('progress:37%'), offMs: 200, seed: 1, retry: 1 });
    expect(retryChain(r)).toBe('rolled-back → retry 1 → updated');
    expect(r.verdict?.agree).toBe(true);
  });

  it('the boot-loop check runs on the state the retry left', async () => {
    const rig = await rigOf();
    const r = await runCut(rig, scheme, images, spec('progress:10%', { retry: 1, bootLoopCycles: 2 }));
    expect(r.outcome).toBe('updated');
    expect(steps(rig)).toEqual(['baseline', 'updating', 'cut', 'recovering', 'retrying', 'loop-check', 'judged']);
  });

  it('an uncut update (judged updated) is never retried', async () => {
    const rig = await rigOf();
    const r = await runCut(rig, scheme, images, spec('after:8000ms', { retry: 2 }));
    expect(r.outcome).toBe('updated');
    expect(r.retries).toBeUndefined();
    expect(steps(rig)).not.toContain('retrying');
  });

  it('(mocked updater on retries) a retry the device refuses is recorded on it; the device stays waiting after every retry', async () => {
    const rig = await rigOf();
    const real = rig.updater;
    let calls = 0;
    (rig as { updater: Rig['updater'] }).updater = {
      update: (image, opts) => (++calls === 1 ? real.update(image, opts) : Promise.reject(new DeviceError('the device answered WRERROR'))),
    };
    const r = await runCut(rig, scheme, images, spec('progress:50%', { retry: 2 }));
    expect(r.outcome).toBe('waiting');
    expect(r.retries?.map((x) => [x.attempt, x.outcome, x.error, x.update.finished])).toEqual([
      [1, 'waiting', 'the device answered WRERROR', false],
      [2, 'waiting', 'the device answered WRERROR', false],
    ]);
    expect(retryChain(r)).toBe('waiting → retry 1 (failed) → waiting → retry 2 (failed) → waiting');
    // The device started nothing after the refused retry: a plain power cycle showed what it boots.
    expect(r.timeline).toMatch(/retry-power-cycle/);
  });

  it('(mocked updater on retries) a retry the rig fails ends the cut as a rig error, keeping the recovery and the retries made', async () => {
    const rig = await rigOf();
    const real = rig.updater;
    let calls = 0;
    (rig as { updater: Rig['updater'] }).updater = {
      update: (image, opts) => (++calls === 1 ? real.update(image, opts) : Promise.reject(new RigError('serial port closed'))),
    };
    const r = await runCut(rig, scheme, images, spec('progress:50%', { retry: 2 }));
    expect(r.outcome).toBe('rig-error');
    expect(r.rigError).toBe('retry 1: serial port closed');
    expect(r.firstOutcome).toBe('waiting');
    expect(r.retries).toEqual([]);
    expect(retryChain(r)).toBe('waiting → retry 1 → rig-error');
    expect(steps(rig).slice(-2)).toEqual(['retrying', 'rig-error']);
  });

  it("sends the rig's stable command after each app banner (baseline, retry, loop-check), and the app marks itself stable", async () => {
    const rig = await rigOf({ ...RIG, boot: { ...RIG.boot, stable: { command: 'fwup stable' } } });
    const r = await runCut(rig, scheme, images, spec('progress:50%', { retry: 1, bootLoopCycles: 1 }));
    expect(r.outcome).toBe('updated');
    const sent = rig.timeline.events.filter((e) => e.kind === 'stable-command');
    // baseline, the retry's boot, the loop-check's power cycle (the recovery itself ended in DFU mode: no banner, no command).
    expect(sent.map((e) => e.detail)).toEqual(['fwup stable', 'fwup stable', 'fwup stable']);
    expect(r.transcript).toMatch(/Marking app as stable/);
  });
});
