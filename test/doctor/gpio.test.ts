import { afterEach, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { checkGpio, modeBitsAccess } from '../../src/doctor/index.js';
import { parseGpiodetect } from '../../src/doctor/gpio.js';
import { benchRig, fakeChip, fakeMachine, GPIOFIND, GPIOSET_V1, GPIOSET_V2, writeRig, byId, type FakeMachine } from './fake.js';

let m: FakeMachine;
afterEach(() => m?.cleanup());

/** A fake Pi 5 on a current kernel: the header chip is gpiochip0 [pinctrl-rp1], sysfs base 571. */
function pi5(opts: Parameters<typeof fakeMachine>[0] = {}, mode = 0o660): FakeMachine {
  const fake = fakeMachine({ deviceGroup: 'gpio', ...opts });
  fakeChip(fake, 0, { label: 'pinctrl-rp1', base: 571, lines: 54, mode });
  fakeChip(fake, 10, { label: 'gpio-brcmstb@107d508500', base: 544, lines: 32, mode });
  return fake;
}

describe('gpio on a fake /dev + /sys tree', () => {
  test('fake Pi 5, user in gpio, gpioset v2: chips listed with labels, pin by label ok', async () => {
    m = pi5({ inDeviceGroup: true });
    m.tool('gpioset', GPIOSET_V2);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const checks = await checkGpio({ env: m.env, rig });
    expect(byId(checks, 'gpio.chips')).toMatchObject({ status: 'ok' });
    expect(byId(checks, 'gpio.chips').detail).toContain('gpiochip0 [pinctrl-rp1] 54 lines sysfs base 571 (Raspberry Pi 5 header)');
    expect(byId(checks, 'gpio.access')).toMatchObject({ status: 'ok', detail: '/dev/gpiochip0 readable and writable' });
    expect(byId(checks, 'gpio.tools').detail).toContain('libgpiod v2');
    expect(byId(checks, 'gpio.pin:relay')).toMatchObject({ status: 'ok', detail: 'pinctrl-rp1 offset 17 -> gpiochip0 [pinctrl-rp1]' });
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
  });

  test('fake chips the user cannot open: fail with the gpio group fix', async () => {
    m = pi5({ inDeviceGroup: false });
    m.tool('gpioset', GPIOSET_V1);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const access = byId(await checkGpio({ env: m.env, rig }), 'gpio.access');
    expect(access.status).toBe('fail');
    expect(access.detail).toBe('alice cannot open /dev/gpiochip0 for writing');
    expect(access.fix).toBe('sudo usermod -aG gpio $USER   # then log out and in again (or run: newgrp gpio)');
  });

  test('fake chips owned by a group that is not gpio: the udev rule is the fix', async () => {
    m = fakeMachine({ deviceGroup: 'root' });
    fakeChip(m, 0, { label: 'pinctrl-bcm2711', base: 512, lines: 58, mode: 0o600 });
    m.tool('gpioset', GPIOSET_V1);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig({ relay: '{ chip: pinctrl-bcm2711, offset: 17 }' }));
    const access = byId(await checkGpio({ env: m.env, rig }), 'gpio.access');
    expect(access.status).toBe('fail');
    expect(access.fix).toContain(`echo 'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' | sudo tee /etc/udev/rules.d/60-gpio.rules`);
  });

  test('no gpioset: fail with apt-get install gpiod', async () => {
    m = pi5({ inDeviceGroup: true });
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    expect(byId(await checkGpio({ env: m.env, rig }), 'gpio.tools')).toMatchObject({ status: 'fail', detail: 'gpioset not found on PATH', fix: 'sudo apt-get install -y gpiod' });
  });

  test('pins: unknown chip fails with the labels here, offset past the chip fails, gpiochipN warns, line names via gpiofind', async () => {
    m = pi5({ inDeviceGroup: true });
    m.tool('gpioset', GPIOSET_V1);
    m.tool('gpiofind', GPIOFIND);
    const rig = writeRig(
      join(m.root, 'rigs'),
      'bench',
      benchRig({
        gpio: `gpio:
  pins:
    relay: { chip: pinctrl-bcm2711, offset: 17 }
    boot: { chip: gpiochip0, offset: 60 }
    nrst: { chip: gpiochip0, offset: 22 }
    marker: { line: GPIO27, direction: in, edge: rising }
    ghost: { line: NOPE, direction: in }`,
      }),
    );
    const checks = await checkGpio({ env: m.env, rig });
    expect(byId(checks, 'gpio.pin:relay')).toMatchObject({ status: 'fail', fix: 'set gpio.pins.relay.chip to one of: pinctrl-rp1, gpio-brcmstb@107d508500' });
    expect(byId(checks, 'gpio.pin:relay').detail).toContain('no chip "pinctrl-bcm2711" here');
    expect(byId(checks, 'gpio.pin:boot')).toMatchObject({ status: 'fail', detail: 'gpiochip0 offset 60: gpiochip0 has only 54 lines (0-53)' });
    expect(byId(checks, 'gpio.pin:nrst')).toMatchObject({ status: 'warn', fix: 'set gpio.pins.nrst.chip: pinctrl-rp1' });
    expect(byId(checks, 'gpio.pin:marker')).toMatchObject({ status: 'ok', detail: 'line "GPIO27" -> gpiochip0 offset 27' });
    expect(byId(checks, 'gpio.pin:ghost')).toMatchObject({ status: 'fail', detail: 'no line named "NOPE" on any chip' });
  });

  test('no chips at all: fail for a gpio rig, warn without a rig, skip for a rig without gpio', async () => {
    m = fakeMachine();
    m.tool('gpioset', GPIOSET_V2);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    expect(byId(await checkGpio({ env: m.env, rig }), 'gpio.chips').status).toBe('fail');
    expect(byId(await checkGpio({ env: m.env }), 'gpio.chips').status).toBe('warn');
    const noGpio = writeRig(join(m.root, 'rigs'), 'uhub', benchRig({ gpio: '', power: '  driver: uhubctl\n  hub: 1-1\n  port: 2' }));
    expect(await checkGpio({ env: m.env, rig: noGpio })).toEqual([{ id: 'gpio', title: 'GPIO', status: 'skip', detail: 'not used by this rig (no gpio: section)' }]);
  });

  test('sysfs backend: export writable warns (deprecated, offsets); in gpio in /etc/group but not this session: fail, log in again', async () => {
    m = pi5({ inDeviceGroup: true });
    m.file('sys/class/gpio/export', '', 0o220);
    const yaml = benchRig().replace('gpio:\n', 'gpio:\n  backend: sysfs\n');
    const rig = writeRig(join(m.root, 'rigs'), 'bench', yaml);
    const ok = byId(await checkGpio({ env: m.env, rig }), 'gpio.sysfs');
    expect(ok.status).toBe('warn');
    expect(ok.detail).toContain('571 on a Pi 5');
    expect(ok.fix).toContain('gpio.backend: libgpiod');
    // usermod -aG gpio was run (etc/group lists alice) but this login session started before it.
    m.env.groups = m.env.groups.slice(0, 1);
    m.env.access = modeBitsAccess(m.env.uid, m.env.groups);
    const denied = byId(await checkGpio({ env: m.env, rig }), 'gpio.sysfs');
    expect(denied).toMatchObject({
      status: 'fail',
      detail: 'alice cannot write /sys/class/gpio/export',
      fix: 'you were added to gpio but this session predates it: log out and in again (or run: newgrp gpio)',
    });
  });

  test('labels from gpiodetect when sysfs has none', async () => {
    m = fakeMachine({ deviceGroup: 'gpio', inDeviceGroup: true });
    m.file('dev/gpiochip0', '', 0o660);
    m.tool('gpiodetect', `console.log('gpiochip0 [pinctrl-rp1] (54 lines)');`);
    m.tool('gpioset', GPIOSET_V2);
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const checks = await checkGpio({ env: m.env, rig });
    expect(byId(checks, 'gpio.chips').detail).toBe('gpiochip0 [pinctrl-rp1] 54 lines (Raspberry Pi 5 header)');
    expect(byId(checks, 'gpio.pin:relay').status).toBe('ok');
  });

  test('parses gpiodetect', () => {
    expect(parseGpiodetect('gpiochip0 [pinctrl-bcm2711] (58 lines)\ngpiochip1 [raspberrypi-exp-gpio] (8 lines)\n')).toEqual([
      { name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: 58 },
      { name: 'gpiochip1', label: 'raspberrypi-exp-gpio', lines: 8 },
    ]);
  });
});
