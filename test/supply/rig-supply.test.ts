/**
 * A rig whose power is a programmable supply (fake Korad/SCPI on a real socat pty): the rig file
 * reaches the driver, `hil power cycle` switches the output, and a scheduled cut becomes a sag.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { loadRig } from '../../src/config/index.js';
// The supply's assembly from a rig file is under test, and only the controls open (openRigControls: the console is absent on purpose, which useRig's whole rig could not open): no useRig fixture.
import { openRigControls } from '../../src/rig/open-controls.js';
import { startSocatPair, stopAllSocat, tempDir } from '../helpers/socat.js';
import { FakeSupply } from './fake-supply.js';
import { hil } from '../cli/hil.js';

const fakes: FakeSupply[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await stopAllSocat();
});

async function supplyRig(protocol: 'korad' | 'scpi', power: string): Promise<{ rig: string; fake: FakeSupply }> {
  const pair = await startSocatPair();
  const fake = await FakeSupply.open({ protocol, path: pair.b });
  fakes.push(fake);
  const dir = await tempDir('hil-supply-rig-');
  const rig = join(dir, 'psu.yaml');
  await writeFile(
    rig,
    [
      'target: nrf52840',
      'scheme: mcuboot-swap',
      `power: { driver: supply, protocol: ${protocol}, port: ${pair.a}, volts: 3.3, amps: 0.2, minOffMs: 10, ${power} }`,
      'console: { driver: serial, port: /dev/serial/by-id/absent-while-off }',
      'updater: { driver: probe }',
      'probe: { driver: openocd }',
    ].join('\n'),
  );
  return { rig, fake };
}

describe('supply power from a rig file (fake supply on a socat pty)', () => {
  test('korad: cycle switches the output; closing puts it in the safe state (off)', async () => {
    const { rig, fake } = await supplyRig('korad', 'safeState: off');
    const c = await openRigControls(await loadRig(rig));
    await c.power.cycle(20);
    expect(fake.output).toBe(true);
    expect(c.power.cut).toBeUndefined();
    await c.close();
    expect(fake.output).toBe(false);
    const cmds = fake.log.map((l) => l.cmd);
    expect(cmds).toEqual(expect.arrayContaining(['*IDN?', 'ISET1:0.200', 'OUT0', 'OUT1']));
    expect(cmds.lastIndexOf('OUT0')).toBeGreaterThan(cmds.lastIndexOf('OUT1'));
  });

  test('scpi with sag: a cut sags to the low voltage for the off time and comes back to nominal, output never off', async () => {
    const { rig, fake } = await supplyRig('scpi', 'sag: { volts: 1.8, steps: 2, rampMs: 20 }');
    const c = await openRigControls(await loadRig(rig));
    await c.power.on();
    const before = fake.log.length;
    await c.power.cut!(60);
    const during = fake.log.slice(before).map((l) => l.cmd);
    expect(during.filter((x) => x.startsWith('VOLT ')).map((x) => Number(x.slice(5)))).toEqual([2.55, 1.8, 2.55, 3.3]);
    expect(during.some((x) => /^OUTP (OFF|0)/.test(x))).toBe(false);
    expect(fake.volts).toBeCloseTo(3.3);
    expect(c.timeline.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['sag-start', 'sag-end']));
    await c.close();
  });

  test('a silent port fails the rig at open with the file and the hint', async () => {
    const { rig, fake } = await supplyRig('korad', 'safeState: off');
    fake.mode = 'silent';
    await expect(openRigControls(await loadRig(rig))).rejects.toThrow(/psu\.yaml: power: supply on .* did not answer \*IDN\? \(wrong port, baud, or protocol korad vs scpi\?\)/);
  });

  test('hil power sag runs the brownout on demand (real CLI, fake SCPI supply)', async () => {
    const { rig, fake } = await supplyRig('scpi', 'sag: { volts: 2.5 }');
    const r = await hil(['power', 'sag', '--rig', rig, '--off-ms', '30', '--for', '0', '--json']);
    expect(r.stderr).toContain('sagged (held 30 ms)');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, action: 'sag' });
    const volts = fake.log.map((l) => l.cmd).filter((c) => c.startsWith('VOLT '));
    expect(volts.slice(-3).map((c) => Number(c.slice(5)))).toEqual([3.3, 2.5, 3.3]);
    expect(fake.output).toBe(false); // the rig's safe state
  });

  test('hil power sag on a rig without a sag: section is a usage error', async () => {
    const { rig } = await supplyRig('korad', 'safeState: off');
    const r = await hil(['power', 'sag', '--rig', rig]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('has no brownout to run');
  });
});
