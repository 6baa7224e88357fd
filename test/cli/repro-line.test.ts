/**
 * Issue 10 item 6: a repro line carries everything that made the cut. A suite's `variant:` /
 * `powerLoss:` on a rig entry (withTwinOverrides) reaches the `hil cut` line that `hil run` and
 * rig.cut() print, `hil cut` takes them as --variant / --power-loss (twin rigs only), and the line
 * replays the same cut.
 */
import { describe, expect, it } from '@jest/globals';
import { loadRig, withTwinOverrides } from '../../src/config/index.js';
import { reproCommand, reproTwin } from '../../src/report/cut-summary.js';
import { loadUpdateImage } from '../../src/scenario/update-image.js';
import { schemeAdapter } from '../../src/schemes/registry.js';
import { planCut } from '../../src/testing/cut-plan.js';
import { hil } from './hil.js';

const IMAGES = ['--from', 'firmware/app-v1.page2bin', '--to', 'firmware/app-v2.page2bin'];

describe('repro lines carry the twin overrides', () => {
  it("a suite rig entry's variant and power-loss mode reach rig.cut()'s repro line; a plain twin rig's line is unchanged", async () => {
    const rig = await loadRig('twin-rp2040-sfu');
    const scheme = await schemeAdapter(rig.scheme);
    const image = (f: string | Awaited<ReturnType<typeof loadUpdateImage>>) => (typeof f === 'string' ? loadUpdateImage(f, rig.scheme) : Promise.resolve(f));
    const cut = { from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin', trigger: 'progress:37%', seed: 3 };
    const overridden = withTwinOverrides(rig, { variant: 'sign-before-flush', powerLoss: 'torn' }, 'suite.yaml');
    expect((await planCut(overridden, scheme, cut, image)).repro).toBe(
      'hil cut --rig rigs/twin-rp2040-sfu.yaml --variant sign-before-flush --power-loss torn --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin --trigger progress:37% --off-ms 200 --seed 3',
    );
    expect((await planCut(rig, scheme, cut, image)).repro).toBe(
      'hil cut --rig rigs/twin-rp2040-sfu.yaml --from firmware/app-v1.page2bin --to firmware/app-v2.page2bin --trigger progress:37% --off-ms 200 --seed 3',
    );
  });

  it('reproTwin keeps what differs from a twin section defaults; reproCommand quotes what a shell would split', () => {
    expect(reproTwin(undefined)).toEqual({});
    expect(reproTwin({ variant: 'correct', powerLoss: 'random' })).toEqual({});
    expect(reproTwin({ variant: 'never-revert', powerLoss: 'skip' })).toEqual({ variant: 'never-revert', powerLoss: 'skip' });
    // Against the rig file's own section: the correct bootloader on a seeded-bug rig file must be named.
    expect(reproTwin({ variant: 'correct', powerLoss: 'random' }, { variant: 'sign-before-flush', powerLoss: 'random' })).toEqual({ variant: 'correct' });
    expect(reproTwin({ variant: 'sign-before-flush', powerLoss: 'torn' }, { variant: 'sign-before-flush', powerLoss: 'torn' })).toEqual({});
    const line = reproCommand({ rig: 'rigs/x.yaml', twin: { variant: 'a b' }, from: 'a.bin', to: 'b.bin', trigger: { kind: 'marker', edge: 3, delayMs: 1.5 }, offMs: 200, seed: 1 });
    expect(line).toBe("hil cut --rig rigs/x.yaml --variant 'a b' --from a.bin --to b.bin --trigger marker:3+1.5ms --off-ms 200 --seed 1");
  });

  it('hil cut --variant / --power-loss change the cut and are on its repro line (the seeded bug shows, the correct one does not)', async () => {
    const cut = ['cut', '--rig', 'twin-rp2040-sfu', ...IMAGES, '--trigger', 'console:/SIGNED/', '--json'];
    const correct = await hil(cut);
    expect(correct.exitCode).toBe(0);
    const plain = JSON.parse(correct.stdout) as { outcome: string; repro: string; variant: string };
    expect(plain.variant).toBe('correct');
    expect(plain.repro).not.toMatch(/--variant|--power-loss/);
    const buggy = await hil([...cut, '--variant', 'sign-before-flush', '--power-loss', 'complete']);
    const doc = JSON.parse(buggy.stdout) as { outcome: string; repro: string; variant: string };
    expect(doc.variant).toBe('sign-before-flush');
    expect(doc.repro).toMatch(/^hil cut --rig rigs\/twin-rp2040-sfu\.yaml --variant sign-before-flush --power-loss complete /);
    expect({ outcome: doc.outcome, exitCode: buggy.exitCode }).toEqual({ outcome: expect.not.stringMatching(/^(updated|rolled-back)$/), exitCode: 1 });
  });

  it('hil cut --variant correct on a seeded-bug rig file keeps --variant correct on its line, which replays the correct bootloader', async () => {
    const cut = ['cut', '--rig', 'twin-rp2040-sfu-bug-sign-before-flush', ...IMAGES, '--trigger', 'console:/SIGNED/', '--json'];
    const r = await hil([...cut, '--variant', 'correct']);
    const doc = JSON.parse(r.stdout) as { outcome: string; repro: string; variant: string };
    expect(doc.variant).toBe('correct');
    expect(doc.repro).toMatch(/^hil cut --rig rigs\/twin-rp2040-sfu-bug-sign-before-flush\.yaml --variant correct /);
    const again = JSON.parse((await hil([...doc.repro.split(' ').slice(1), '--json'])).stdout) as { outcome: string; variant: string };
    expect(again).toMatchObject({ outcome: doc.outcome, variant: 'correct' });
  });

  it('--variant and --power-loss are usage errors (exit 2, naming the option) on a bench rig or with a bad value', async () => {
    const bench = await hil(['cut', '--rig', 'pi-pico-sfu', ...IMAGES, '--trigger', 'progress:10%', '--variant', 'sign-before-flush']);
    expect(bench.exitCode).toBe(2);
    expect(bench.stderr).toMatch(/--variant only applies to twin rigs, and pi-pico-sfu is a bench rig/);
    const benchLoss = await hil(['cut', '--rig', 'pi-pico-sfu', ...IMAGES, '--trigger', 'progress:10%', '--power-loss', 'torn']);
    expect(benchLoss.exitCode).toBe(2);
    expect(benchLoss.stderr).toMatch(/--power-loss only applies to twin rigs/);
    const unknown = await hil(['cut', '--rig', 'twin-rp2040-sfu', ...IMAGES, '--trigger', 'progress:10%', '--variant', 'no-such-bug']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/--variant: "no-such-bug" is not a sfu-ab twin variant \(variants: correct, sign-before-flush/);
    const mode = await hil(['cut', '--rig', 'twin-rp2040-sfu', ...IMAGES, '--trigger', 'progress:10%', '--power-loss', 'half']);
    expect(mode.exitCode).toBe(2);
    expect(mode.stderr).toMatch(/--power-loss: expected one of skip, complete, torn, random, got "half"/);
    for (const r of [bench, benchLoss, unknown, mode]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
