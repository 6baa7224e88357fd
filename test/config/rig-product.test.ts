/**
 * Product rigs (`mcus:`): several processors behind one power switch, with the parts they share.
 * Errors name the file, line and field path (`mcus.radio.console.port`) like any rig's; single
 * rigs keep needing target and console, and may not have product sections.
 */
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadRig, parseRig, rigMembers } from '../../src/config/index.js';
import { linesOf, yaml } from './helpers.js';

const RIGS = path.join(import.meta.dirname, '../../rigs');

const MEMBER = (name: string, target: string, indent = '  ') => [
  `${indent}${name}:`,
  `${indent}  target: ${target}`,
  `${indent}  scheme: mcuboot-swap`,
  `${indent}  console: { driver: twin }`,
  `${indent}  probe: { driver: twin }`,
];

/** A valid twin product rig, lines replaced by `replace` (an empty string drops the line). */
function product(replace: Record<string, string> = {}, ...extra: string[]): string {
  const lines = ['scheme: multi-mcu-dfu', 'twin: {}', 'power: { driver: twin }', 'updater: { driver: fota }', 'mcus:', ...MEMBER('host', 'nrf9160'), ...MEMBER('radio', 'nrf52840')];
  return yaml(...lines.map((l) => replace[l] ?? l).filter((l) => l !== ''), ...extra);
}

describe('a product rig', () => {
  it('loads the example twin product: target from the scheme, the console from the host member', async () => {
    const rig = await loadRig(path.join(RIGS, 'twin-nrf9160-nrf52840-product.yaml'));
    expect([rig.scheme, rig.target]).toEqual(['multi-mcu-dfu', 'nrf9160']);
    expect(rigMembers(rig)).toEqual(['host', 'radio']);
    expect(rig.mcus?.host).toMatchObject({ target: 'nrf9160', scheme: 'mcuboot-swap', console: { driver: 'twin', baud: 115200 }, probe: { driver: 'twin' } });
    expect(rig.mcus?.radio).toMatchObject({ target: 'nrf52840', scheme: 'mcuboot-swap' });
    expect(rig.console).toBe(rig.mcus?.host?.console);
    expect(rig.probe).toBeUndefined();
    expect(rig.updater).toEqual({ driver: 'fota', acceptMs: 10000, quietMs: 60000 });
    expect(rig.shared).toEqual({ flash: { part: 'W25Q32JV', sizeMiB: 4 }, lock: {}, link: { baud: 115200 } });
  });

  it('orders members as the scheme does, whatever the file order', () => {
    const text = yaml('scheme: multi-mcu-dfu', 'twin: {}', 'power: { driver: twin }', 'updater: { driver: fota }', 'mcus:', ...MEMBER('radio', 'nrf52840'), ...MEMBER('host', 'nrf9160'));
    const rig = parseRig(text, 'rigs/p.yaml');
    expect(rigMembers(rig)).toEqual(['host', 'radio']);
    expect(rig.console).toBe(rig.mcus?.host?.console);
  });

  it('names the member field that is wrong, with its line: a missing port, an unknown key, a bad target', () => {
    const text = product({ '  radio:': '  radio:', '    console: { driver: twin }': '' }, '');
    const bad = text
      .replace(/(radio:\n\s+target: nrf52840\n\s+scheme: mcuboot-swap\n)/, '$1    console: { driver: serial }\n    prob: { driver: twin }\n')
      .replace('    probe: { driver: twin }\n', '');
    expect(linesOf(() => parseRig(bad, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:7:5: mcus.host.console: required',
      'rigs/x.yaml:12:14: mcus.radio.console.port: required',
      'rigs/x.yaml:13:5: mcus.radio.prob: unknown key (did you mean "probe"?)',
    ]);
    const target = product({ '    target: nrf52840': '    target: nrf52841' });
    expect(linesOf(() => parseRig(target, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:12:13: mcus.radio.target: expected one of rp2040, stm32f429, nrf52840, nrf9160, got "nrf52841"']);
  });

  it("checks the members against the scheme's: a misspelt one (did you mean), a missing one, a wrong target", () => {
    expect(linesOf(() => parseRig(product({ '  radio:': '  radoi:' }), 'rigs/x.yaml'))).toEqual([
      "rigs/x.yaml:6:3: mcus: missing radio (multi-mcu-dfu's members: host, radio)",
      'rigs/x.yaml:12:5: mcus.radoi: not a member of multi-mcu-dfu (its members: host, radio) (did you mean "radio"?)',
    ]);
    const swapped = product({ '    target: nrf9160': '    target: nrf52840' });
    expect(linesOf(() => parseRig(swapped, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:7:13: mcus.host.target: host of multi-mcu-dfu is an nrf9160, not nrf52840']);
  });

  it('refuses a top-level console, probe or reset next to mcus:', () => {
    const text = product({}, 'console: { driver: twin }', 'probe: { driver: twin }');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:16:10: console: not allowed with mcus: (each MCU has its own, under mcus.NAME.console)',
      'rigs/x.yaml:17:8: probe: not allowed with mcus: (each MCU has its own, under mcus.NAME.probe)',
    ]);
  });

  it('needs mcus: for a product scheme, and a twin: section when a member console is twin', () => {
    expect(
      linesOf(() => parseRig(yaml('target: nrf9160', 'scheme: multi-mcu-dfu', 'twin: {}', 'power: { driver: twin }', 'console: { driver: twin }', 'updater: { driver: fota }'), 'rigs/x.yaml')),
    ).toEqual(['rigs/x.yaml:1:1: mcus: required: multi-mcu-dfu is a product of host and radio (one entry each under mcus:)']);
    const noTwin = product({ 'twin: {}': '', 'power: { driver: twin }': 'power: { driver: uhubctl, hub: "1-1", port: 2 }' });
    expect(linesOf(() => parseRig(noTwin, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:1:1: twin: required because mcus.host.console.driver and mcus.host.probe.driver and mcus.radio.console.driver and mcus.radio.probe.driver are twin',
    ]);
  });

  it('checks each member reset pin and the lock line against gpio.pins', () => {
    const text = product(
      { '    probe: { driver: twin }': '    probe: { driver: twin }\n    reset: { pin: NRST }' },
      'gpio: { pins: { LOCK: { line: GPIO25 } } }',
      'shared: { lock: { pin: LOCK }, flash: { part: W25Q32JV, sizeMiB: 4, reader: { driver: flashrom } } }',
    );
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:11:19: mcus.host.reset.pin: no pin "NRST" in gpio.pins (declared: LOCK)',
      'rigs/x.yaml:17:19: mcus.radio.reset.pin: no pin "NRST" in gpio.pins (declared: LOCK)',
      // Each processor resets on its own line.
      'rigs/x.yaml:17:19: mcus.radio.reset.pin: pin NRST already drives the reset of host',
      'rigs/x.yaml:19:24: shared.lock.pin: pin LOCK is the lock line the MCUs drive, so the rig only watches it: direction: in',
      'rigs/x.yaml:19:77: shared.flash.reader.programmer: required',
    ]);
  });

  it('needs every MCU on a reset line before the Pi may read the shared flash', () => {
    const text = product({}, 'shared: { flash: { part: W25Q32JV, sizeMiB: 4, reader: { driver: flashrom, programmer: "linux_spi:dev=/dev/spidev0.0" } } }');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:16:56: shared.flash.reader: needs a reset: pin on every MCU (held while the Pi reads the shared flash), missing on mcus.host and mcus.radio',
    ]);
  });

  it('rejects the fota updater on a scheme that does not update that way', () => {
    const text = yaml('target: nrf52840', 'scheme: mcuboot-swap', 'twin: {}', 'power: { driver: twin }', 'console: { driver: twin }', 'updater: { driver: fota }');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:6:20: updater.driver: mcuboot-swap updates through probe, not fota']);
  });
});

describe('a single rig', () => {
  it('still needs target and console, and may not have shared: or mcus:', () => {
    const text = yaml('scheme: mcuboot-swap', 'twin: {}', 'power: { driver: twin }', 'updater: { driver: probe }', 'probe: { driver: twin }', 'shared: { link: {} }');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:1:1: target: required',
      'rigs/x.yaml:1:1: console: required',
      'rigs/x.yaml:6:9: shared: only on a product rig (one with mcus:): the parts its processors share',
    ]);
    const mcus = yaml('target: nrf52840', 'scheme: mcuboot-swap', 'twin: {}', 'power: { driver: twin }', 'updater: { driver: fota }', 'mcus:', ...MEMBER('host', 'nrf52840'));
    expect(linesOf(() => parseRig(mcus, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:5:20: updater.driver: mcuboot-swap updates through probe, not fota',
      'rigs/x.yaml:7:3: mcus: scheme mcuboot-swap runs one MCU: mcus: is for product schemes',
    ]);
  });
});
