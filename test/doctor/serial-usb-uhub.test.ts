import { afterEach, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { checkSerial, checkUhubctl, checkUsbProbes } from '../../src/doctor/index.js';
import { identifyProbe } from '../../src/doctor/usb-probes.js';
import { benchRig, fakeMachine, fakeSerial, fakeUsb, UHUBCTL, writeRig, byId, type FakeMachine } from './fake.js';

let m: FakeMachine;
afterEach(() => m?.cleanup());
const FTDI = 'usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0';

describe('serial on a fake /dev tree', () => {
  test('fake by-id port present, user in dialout: ok', async () => {
    m = fakeMachine({ deviceGroup: 'dialout', inDeviceGroup: true });
    fakeSerial(m, 'ttyUSB0', FTDI);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const checks = await checkSerial({ env: m.env, rig });
    expect(byId(checks, 'serial.console')).toMatchObject({ status: 'ok', detail: `/dev/serial/by-id/${FTDI} -> /dev/ttyUSB0` });
    expect(byId(checks, 'serial.access:console').status).toBe('ok');
  });

  test('fake port present, user not in dialout: fail with usermod and log in again', async () => {
    m = fakeMachine({ deviceGroup: 'dialout', inDeviceGroup: false });
    fakeSerial(m, 'ttyUSB0', FTDI);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const access = byId(await checkSerial({ env: m.env, rig }), 'serial.access:console');
    expect(access.status).toBe('fail');
    expect(access.detail).toBe(`alice cannot open /dev/serial/by-id/${FTDI} (group dialout, and you are not in it)`);
    expect(access.fix).toBe('sudo usermod -aG dialout $USER   # then log out and in again (or run: newgrp dialout)');
  });

  test('port missing: fail, listing what is plugged in; dangling by-id link: fail', async () => {
    m = fakeMachine({ inDeviceGroup: true });
    fakeSerial(m, 'ttyACM0', 'usb-Raspberry_Pi_Debug_Probe__CMSIS-DAP__E6614C311B4F-if01');
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const missing = byId(await checkSerial({ env: m.env, rig }), 'serial.console');
    expect(missing.status).toBe('fail');
    expect(missing.detail).toContain(`/dev/serial/by-id/${FTDI} does not exist (in /dev/serial/by-id: usb-Raspberry_Pi_Debug_Probe__CMSIS-DAP__E6614C311B4F-if01)`);
    expect(missing.fix).toBe('plug the adapter in, then set console.port to its entry in: ls -l /dev/serial/by-id/');

    m.link(`dev/serial/by-id/${FTDI}`, '../../ttyUSB3');
    const dangling = byId(await checkSerial({ env: m.env, rig }), 'serial.console');
    expect(dangling.status).toBe('fail');
    expect(dangling.detail).toContain('is a link to a device that is gone');
  });

  test("an on-board debugger's port (ST-LINK VCP) that is missing only warns: it exists only while the board is powered", async () => {
    m = fakeMachine({ inDeviceGroup: true });
    const stlink = 'usb-STMicroelectronics_STM32_STLink_0671FF485550755187121723-if02';
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig({ port: `/dev/serial/by-id/${stlink}` }));
    const c = byId(await checkSerial({ env: m.env, rig }), 'serial.console');
    expect(c.status).toBe('warn');
    expect(c.detail).toContain('expected while the board is off');
    expect(c.fix).toMatch(/^check with the board powered: hil console --rig bench --power on/);
  });

  test('a /dev/ttyUSB0-style port warns and names its by-id path', async () => {
    m = fakeMachine({ inDeviceGroup: true });
    const stable = fakeSerial(m, 'ttyUSB0', FTDI);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig({ port: '/dev/ttyUSB0' }));
    const c = byId(await checkSerial({ env: m.env, rig }), 'serial.console');
    expect(c.status).toBe('warn');
    expect(c.fix).toBe(`set console.port: ${stable}`);
  });

  test('the supply port is checked too; tcp console and twin are not serial', async () => {
    m = fakeMachine({ inDeviceGroup: true });
    fakeSerial(m, 'ttyUSB0', FTDI);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig({ gpio: '', power: '  driver: supply\n  protocol: korad\n  port: /dev/serial/by-id/usb-Korad-if00\n  volts: 3.3\n  amps: 0.5' }));
    const checks = await checkSerial({ env: m.env, rig });
    expect(byId(checks, 'serial.console').status).toBe('ok');
    expect(byId(checks, 'serial.supply')).toMatchObject({ status: 'fail', fix: 'plug the adapter in, then set power.port to its entry in: ls -l /dev/serial/by-id/' });
  });

  test('without a rig: dialout membership is a warning, never a failure', async () => {
    m = fakeMachine({ inDeviceGroup: false });
    const checks = await checkSerial({ env: m.env });
    expect(checks.map((c) => c.status)).toEqual(['warn', 'warn']);
    expect(byId(checks, 'serial.dialout').fix).toBe('sudo usermod -aG dialout $USER   # then log out and in again (or run: newgrp dialout)');
  });
});

describe('debug probes on a fake /sys/bus/usb tree', () => {
  const rigDir = () => join(m.root, 'rigs');

  test('one Debug Probe, readable: ok', async () => {
    m = fakeMachine({ deviceGroup: 'plugdev', inDeviceGroup: true });
    fakeUsb(m, '1-1.2', { vid: '2e8a', pid: '000c', serial: 'E6614C311B4F', product: 'Debugprobe on Pico (CMSIS-DAP)' });
    const checks = await checkUsbProbes({ env: m.env, rig: writeRig(rigDir(), 'bench', benchRig()) });
    expect(byId(checks, 'usb.probes')).toMatchObject({ status: 'ok', detail: 'Raspberry Pi Debug Probe / debugprobe (CMSIS-DAP v2) 2e8a:000c serial E6614C311B4F at 1-1.2' });
    expect(byId(checks, 'usb.access').status).toBe('ok');
  });

  test('no probe: fail, saying which probe the interface needs', async () => {
    m = fakeMachine();
    fakeUsb(m, '1-1', { vid: '2109', pid: '3431', product: 'USB2.0 Hub' });
    const c = byId(await checkUsbProbes({ env: m.env, rig: writeRig(rigDir(), 'bench', benchRig()) }), 'usb.probes');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('needs a CMSIS-DAP probe (Debug Probe 2e8a:000c)');
  });

  test('two probes and no adapterSerial: warn with the serials and the line to add; a wrong adapterSerial fails', async () => {
    m = fakeMachine({ deviceGroup: 'plugdev', inDeviceGroup: true });
    fakeUsb(m, '1-1.2', { vid: '2e8a', pid: '000c', serial: 'E6614C311B4F', dev: 5 });
    fakeUsb(m, '1-1.3', { vid: '2e8a', pid: '000c', serial: 'E6614C775A2B', dev: 6 });
    const c = byId(await checkUsbProbes({ env: m.env, rig: writeRig(rigDir(), 'bench', benchRig()) }), 'usb.probes');
    expect(c.status).toBe('warn');
    expect(c.fix).toBe('add under probe: in bench.yaml:  adapterSerial: E6614C311B4F   (serials: E6614C311B4F, E6614C775A2B)');

    const wrong = writeRig(rigDir(), 'bench', benchRig({ probe: '  driver: openocd\n  interface: interface/cmsis-dap.cfg\n  adapterSerial: DEADBEEF' }));
    const f = byId(await checkUsbProbes({ env: m.env, rig: wrong }), 'usb.probes');
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('no probe with serial DEADBEEF');
    expect(f.fix).toBe('plug in the probe with serial DEADBEEF, or set probe.adapterSerial to one of: E6614C311B4F, E6614C775A2B');

    const right = writeRig(rigDir(), 'bench', benchRig({ probe: '  driver: openocd\n  interface: interface/cmsis-dap.cfg\n  adapterSerial: E6614C775A2B' }));
    expect(byId(await checkUsbProbes({ env: m.env, rig: right }), 'usb.probes')).toMatchObject({ status: 'ok', detail: expect.stringContaining('E6614C775A2B at 1-1.3') });
  });

  test('an ST-LINK where the rig says cmsis-dap: fail, suggesting the stlink interface', async () => {
    m = fakeMachine();
    fakeUsb(m, '1-1.4', { vid: '0483', pid: '374b', serial: '066DFF555185754867', product: 'STM32 STLink' });
    const c = byId(await checkUsbProbes({ env: m.env, rig: writeRig(rigDir(), 'bench', benchRig()) }), 'usb.probes');
    expect(c.status).toBe('fail');
    expect(c.fix).toContain('set probe.interface: interface/stlink.cfg');
  });

  test('probe node not openable: fail with plugdev, or the udev rule with its VID:PID', async () => {
    m = fakeMachine({ deviceGroup: 'plugdev', inDeviceGroup: false });
    fakeUsb(m, '1-1.2', { vid: '2e8a', pid: '000c', serial: 'E6614C311B4F' });
    const rig = writeRig(rigDir(), 'bench', benchRig());
    const plugdev = byId(await checkUsbProbes({ env: m.env, rig }), 'usb.access');
    expect(plugdev).toMatchObject({ status: 'fail', fix: 'sudo usermod -aG plugdev $USER   # then log out and in again (or run: newgrp plugdev)' });
    expect(plugdev.detail).toContain('cannot open /dev/bus/usb/001/005');

    m.cleanup();
    m = fakeMachine({ deviceGroup: 'root' });
    fakeUsb(m, '1-1.2', { vid: '2e8a', pid: '000c', serial: 'E6614C311B4F', mode: 0o600 });
    const udev = byId(await checkUsbProbes({ env: m.env, rig: writeRig(rigDir(), 'bench', benchRig()) }), 'usb.access');
    expect(udev.status).toBe('fail');
    expect(udev.fix).toContain(
      `echo 'SUBSYSTEM=="usb", ATTRS{idVendor}=="2e8a", ATTRS{idProduct}=="000c", MODE="0660", GROUP="plugdev", TAG+="uaccess"' | sudo tee /etc/udev/rules.d/60-hil-probes.rules`,
    );
  });

  test('knows ST-LINK, debugprobe, old picoprobe, J-Link and the nRF52840-DK J-Link OB', () => {
    for (const pid of ['3748', '374b', '374e', '374f', '3753']) expect(identifyProbe('0483', pid)?.family).toBe('stlink');
    expect(identifyProbe('2e8a', '000c')?.family).toBe('cmsis-dap');
    expect(identifyProbe('2e8a', '0004')?.note).toContain('debugprobe');
    expect(identifyProbe('1366', '0101', 'J-Link')).toEqual({ name: 'SEGGER J-Link (J-Link)', family: 'jlink' });
    expect(identifyProbe('1366', '1051')?.name).toContain('nRF52840-DK');
    expect(identifyProbe('c251', 'f002', 'LPC-Link CMSIS-DAP')?.family).toBe('cmsis-dap');
    expect(identifyProbe('0403', '6001', 'FT232R USB UART')).toBeUndefined();
  });

  test('no /sys/bus/usb (this container): warn without a rig', async () => {
    m = fakeMachine();
    expect(byId(await checkUsbProbes({ env: m.env }), 'usb.probes').status).toBe('warn');
  });
});

describe('uhubctl with a fake binary', () => {
  const rigWith = (hub: string, port: number) => writeRig(join(m.root, 'rigs'), 'uhub', benchRig({ gpio: '', power: `  driver: uhubctl\n  hub: "${hub}"\n  port: ${port}` }));

  test('hub 1-1 switches per port and has port 2: ok', async () => {
    m = fakeMachine();
    m.tool('uhubctl', UHUBCTL);
    const c = byId(await checkUhubctl({ env: m.env, rig: rigWith('1-1', 2) }), 'uhubctl.port');
    expect(c).toMatchObject({ status: 'ok', detail: expect.stringContaining('has port 2') });
  });

  test('no such hub: fail; no port 7: fail with the ports; ganged hub: warn', async () => {
    m = fakeMachine();
    m.tool('uhubctl', UHUBCTL);
    const none = byId(await checkUhubctl({ env: m.env, rig: rigWith('3-1', 2) }), 'uhubctl.port');
    expect(none.status).toBe('fail');
    expect(none.fix).toContain('sudo uhubctl');
    expect(byId(await checkUhubctl({ env: m.env, rig: rigWith('1-1', 7) }), 'uhubctl.port')).toMatchObject({ status: 'fail', fix: 'set power.port to one of 1, 2, 3, 4' });
    expect(byId(await checkUhubctl({ env: m.env, rig: rigWith('9-9', 1) }), 'uhubctl.port').status).toBe('warn');
  });

  test('uhubctl missing: fail for a uhubctl rig, warn without a rig', async () => {
    m = fakeMachine();
    expect(byId(await checkUhubctl({ env: m.env, rig: rigWith('1-1', 2) }), 'uhubctl.binary')).toMatchObject({ status: 'fail', fix: 'sudo apt-get install -y uhubctl' });
    expect(byId(await checkUhubctl({ env: m.env }), 'uhubctl.binary').status).toBe('warn');
  });
});
