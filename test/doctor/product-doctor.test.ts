/**
 * `hil doctor --rig` on a product rig, on a fake /dev tree: each processor's console port (and its
 * probe) is checked on its own and named by member, and the shared flash reader's SPI device and
 * flashrom are checked.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { loadRig } from '../../src/config/index.js';
import { runDoctor } from '../../src/doctor/run.js';
import { checkRigWiring } from '../../src/doctor/rig-wiring.js';
import { checkSerial } from '../../src/doctor/serial.js';
import { checkSharedFlash, perMember } from '../../src/doctor/product.js';
import { benchRig, byId, fakeMachine, fakeSerial, writeRig, type FakeMachine } from './fake.js';

let m: FakeMachine;
afterEach(() => m?.cleanup());
const ROOT = join(import.meta.dirname, '../..');
const HOST = 'usb-FTDI_TTL232R-3V3_FT9HOST1-if00-port0';

async function productRig(machine: FakeMachine) {
  const dir = join(machine.root, 'rigs');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(ROOT, 'rigs/pi-nrf9160-nrf52840-product.yaml'), join(dir, 'p.yaml'));
  return loadRig(join(dir, 'p.yaml'));
}

describe('hil doctor on a product rig (fake /dev)', () => {
  test("checks each member's console port on its own: the host's present, the radio's missing, keys named mcus.radio.console.port", async () => {
    m = fakeMachine({ deviceGroup: 'dialout', inDeviceGroup: true });
    fakeSerial(m, 'ttyUSB0', HOST);
    const rig = await productRig(m);
    const checks = await perMember(checkSerial)({ env: m.env, rig });
    expect(byId(checks, 'serial.console.host')).toMatchObject({ status: 'ok', title: 'Serial port (console) (host)' });
    const radio = byId(checks, 'serial.console.radio');
    expect(radio.status).toBe('fail');
    expect(radio.fix).toBe('plug the adapter in, then set mcus.radio.console.port to its entry in: ls -l /dev/serial/by-id/');
  });

  test('the shared flash reader: flashrom missing and no /dev/spidev0.0 fail with their fixes', async () => {
    m = fakeMachine({ inDeviceGroup: true });
    const rig = await productRig(m);
    const checks = await checkSharedFlash({ env: { ...m.env, pathDirs: [join(m.root, 'nobin')] }, rig });
    expect(byId(checks, 'flashrom')).toMatchObject({ status: 'fail', fix: 'sudo apt-get install -y flashrom' });
    expect(byId(checks, 'flashrom.spi')).toMatchObject({ status: 'fail', detail: '/dev/spidev0.0 is not there (shared.flash.reader.programmer)' });
  });

  test('the whole doctor runs every family on it, with a probe check per member', async () => {
    m = fakeMachine({ inDeviceGroup: true });
    const rig = await productRig(m);
    const report = await runDoctor(m.env, rig);
    const ids = report.checks.map((c) => c.id);
    expect(ids.some((id) => id.endsWith('.host') && id.startsWith('openocd'))).toBe(true);
    expect(ids.some((id) => id.endsWith('.radio') && id.startsWith('openocd'))).toBe(true);
    expect(ids).toContain('flashrom.spi');
    expect(report.checks.filter((c) => c.id.endsWith('.error'))).toEqual([]);
  });

  test("another rig of the bench claiming the radio's console or probe is caught, naming the member's key", async () => {
    m = fakeMachine({ inDeviceGroup: true });
    const rig = await productRig(m);
    const radio = rig.mcus!.radio!;
    if (radio.console.driver !== 'serial' || radio.probe?.driver !== 'openocd') throw new Error('example changed');
    writeRig(join(m.root, 'rigs'), 'other', benchRig({ port: radio.console.port, probe: `  driver: openocd\n  interface: interface/jlink.cfg\n  adapterSerial: "${radio.probe.adapterSerial}"` }));
    const checks = await checkRigWiring({ env: m.env, rig });
    expect(byId(checks, 'wiring.ports')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`mcus.radio.console.port ${radio.console.port}`) });
    expect(byId(checks, 'wiring.probe')).toMatchObject({ status: 'warn', detail: expect.stringContaining(`mcus.radio.probe.adapterSerial ${radio.probe.adapterSerial}`) });
  });
});
