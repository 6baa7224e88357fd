import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ExitCode } from '../../src/core/errors.js';
import { configErrorAt, loadRig, parseRig, rigPath } from '../../src/config/index.js';
import { asyncConfigErrorOf, configErrorOf, linesOf, yaml } from './helpers.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/** A valid twin rig, with `extra` lines appended and `replace` substituting whole lines. */
function twinRig(replace: Record<string, string> = {}, ...extra: string[]): string {
  const lines = ['target: rp2040', 'scheme: sfu-ab', 'twin:', '  variant: correct', 'power:', '  driver: twin', 'console: { driver: twin }', 'updater:', '  driver: sfu'].map(
    (line) => replace[line] ?? line,
  );
  return yaml(...lines.filter((line) => line !== ''), ...extra);
}

describe('a valid rig', () => {
  it('loads the twin fixture with every default applied', async () => {
    const rig = await loadRig(path.join(FIXTURES, 'rigs/twin-rp2040-sfu.yaml'));
    expect(rig).toEqual({
      file: path.join(FIXTURES, 'rigs/twin-rp2040-sfu.yaml'),
      name: 'twin-rp2040-sfu',
      description: 'Simulated RP2040 with the SFU A/B bootloader',
      target: 'rp2040',
      scheme: 'sfu-ab',
      twin: { variant: 'correct', timeFactor: 0, powerLoss: 'random', seed: 1, transport: 'in-process', paceBaud: 921600 },
      power: { driver: 'twin', offMs: 200, safeState: 'off' },
      console: { driver: 'twin', baud: 921600, lineEnding: 'lf', reconnectMs: 10000 },
      updater: { driver: 'sfu' },
      probe: { driver: 'twin' },
      boot: { timeoutMs: 5000 },
    });
  });

  it('loads a hardware rig with driver-specific fields', async () => {
    const rig = await loadRig(path.join(FIXTURES, 'rigs/pi-stm32-relay.yaml'));
    expect(rig.name).toBe('bench-3');
    expect(rig.twin).toBeUndefined();
    expect(rig.power).toEqual({ driver: 'relay', pin: 'relay', poweredLevel: 1, onSettleMs: 20, offSettleMs: 20, offMs: 500, safeState: 'off' });
    expect(rig.gpio).toEqual({
      backend: 'libgpiod',
      consumer: 'hil',
      pins: {
        relay: { chip: 'gpiochip0', offset: 17, activeLow: true, direction: 'out', safe: 0 },
        nrst: { line: 'GPIO27', activeLow: true, direction: 'out', safe: 0 },
      },
    });
    expect(rig.reset).toEqual({ pin: 'nrst', pulseMs: 50 });
    expect(rig.console).toEqual({ driver: 'serial', port: '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0', baud: 115200, lineEnding: 'lf', reconnectMs: 10000 });
    expect(rig.probe).toEqual({ driver: 'openocd', configs: [], interface: 'interface/stlink.cfg', target: 'target/stm32f4x.cfg', timeoutMs: 60000, binary: 'openocd' });
  });

  it('accepts an empty twin: section, a line name, and uhubctl power', () => {
    const rig = parseRig(twinRig({ '  variant: correct': '', 'power:': 'power: { driver: uhubctl, hub: "1-1", port: 2 }', '  driver: twin': '' }, 'probe: { driver: twin }'), 'rigs/hub.yaml');
    expect(rig.twin).toEqual({ variant: 'correct', timeFactor: 0, powerLoss: 'random', seed: 1, transport: 'in-process', paceBaud: 921600 });
    expect(rig.power).toEqual({ driver: 'uhubctl', hub: '1-1', port: 2, binary: 'uhubctl', offMs: 200, safeState: 'off' });
    const relay = parseRig(twinRig({ 'power:': 'gpio: { pins: { RELAY_1: { line: RELAY_1 } } }\npower: { driver: relay, pin: RELAY_1 }', '  driver: twin': '' }), 'rigs/relay.yaml');
    expect(relay.power).toMatchObject({ driver: 'relay', pin: 'RELAY_1', poweredLevel: 1 });
    expect(relay.gpio?.pins.RELAY_1).toEqual({ line: 'RELAY_1', direction: 'out', activeLow: false, safe: 0 });
  });

  it('resolves a bare rig name under the working directory', () => {
    expect(rigPath('twin-rp2040-sfu')).toBe(path.join(process.cwd(), 'rigs', 'twin-rp2040-sfu.yaml'));
    expect(rigPath('lab/a.yaml')).toBe(path.join(process.cwd(), 'lab', 'a.yaml'));
    expect(rigPath('bench.yaml')).toBe(path.join(process.cwd(), 'bench.yaml'));
  });
});

describe('rig errors', () => {
  it('locates a bad number to the value, relative to the working directory', () => {
    const text = twinRig({ '  driver: twin': '  driver: twin\n  offMs: fast' }, 'boot:', '  timeoutMs: 5000');
    const error = configErrorOf(() => parseRig(text, 'rigs/x.yaml'));
    expect(error.message).toBe('rigs/x.yaml:7:10: power.offMs: expected a number, got "fast"');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.issues).toEqual([{ file: path.resolve('rigs/x.yaml'), line: 7, col: 10, path: 'power.offMs', message: 'expected a number, got "fast"' }]);
    expect(error.location).toEqual({ file: path.resolve('rigs/x.yaml'), line: 7, col: 10, path: 'power.offMs' });
  });

  it('shows a file outside the working directory by its absolute path', () => {
    const lines = linesOf(() => parseRig(twinRig({ 'target: rp2040': 'target: 7' }), '/elsewhere/rigs/x.yaml'));
    expect(lines).toEqual(['/elsewhere/rigs/x.yaml:1:9: target: expected one of rp2040, stm32f429, nrf52840, nrf9160, got 7']);
  });

  it('reports an unknown key at the key, with a did-you-mean hint', () => {
    const lines = linesOf(() => parseRig(twinRig({ 'power:': 'powr:' }), 'rigs/x.yaml'));
    expect(lines).toEqual(['rigs/x.yaml:1:1: power: required', 'rigs/x.yaml:5:1: powr: unknown key (did you mean "power"?)']);
  });

  it('omits the hint when no allowed key is close', () => {
    expect(linesOf(() => parseRig(twinRig({}, 'colour: blue'), 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:10:1: colour: unknown key']);
  });

  it('reports every problem of the file at once, in file order', () => {
    const text = yaml(
      'target: rp2041',
      'scheme: sfu-ab',
      'twin:',
      '  seed: -3',
      '  timeFactr: 1',
      'power:',
      '  driver: twin',
      '  offMs: fast',
      'console:',
      '  driver: twin',
      '  port: /dev/ttyUSB0',
      'updater:',
      '  driver: sfu',
      'boot:',
      '  timeoutMs: 0',
    );
    const error = configErrorOf(() => parseRig(text, 'rigs/x.yaml'));
    expect(error.message.split('\n')).toEqual([
      'rigs/x.yaml:1:9: target: expected one of rp2040, stm32f429, nrf52840, nrf9160, got "rp2041"',
      'rigs/x.yaml:4:9: twin.seed: expected an integer >= 0 and <= 4294967295, got -3',
      'rigs/x.yaml:5:3: twin.timeFactr: unknown key (did you mean "timeFactor"?)',
      'rigs/x.yaml:8:10: power.offMs: expected a number, got "fast"',
      'rigs/x.yaml:11:3: console.port: not allowed with driver twin (only with serial, tcp)',
      'rigs/x.yaml:15:14: boot.timeoutMs: expected a number > 0 and <= 3600000, got 0',
    ]);
    expect(error.issues.map((issue) => issue.path)).toEqual(['target', 'twin.seed', 'twin.timeFactr', 'power.offMs', 'console.port', 'boot.timeoutMs']);
  });

  it.each([
    ['target: rp2040', 'target: rp2041', 'rigs/x.yaml:1:9: target: expected one of rp2040, stm32f429, nrf52840, nrf9160, got "rp2041"'],
    ['scheme: sfu-ab', 'scheme: sfu', 'rigs/x.yaml:2:9: scheme: expected one of sfu-ab, stm32-dualbank, mcuboot-swap, loader-app, multi-mcu-dfu, got "sfu"'],
    ['  driver: sfu', '  driver: smp', 'rigs/x.yaml:9:11: updater.driver: expected one of sfu, sfu-app, probe, fota, got "smp"'],
  ])('rejects a word outside its list (%s -> %s)', (line, replacement, message) => {
    expect(linesOf(() => parseRig(twinRig({ [line]: replacement }), 'rigs/x.yaml'))).toEqual([message]);
  });

  it('rejects an unknown power driver', () => {
    const text = twinRig({ '  driver: twin': '  driver: relai' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:6:11: power.driver: expected one of twin, relay, uhubctl, supply, got "relai"']);
  });

  it('reports a missing driver at its section', () => {
    const text = twinRig({ '  driver: twin': '  offMs: 100' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:6:3: power.driver: required']);
  });

  it('names both fields when the scheme does not fit the target', () => {
    expect(linesOf(() => parseRig(twinRig({ 'target: rp2040': 'target: stm32f429' }), 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:2:9: scheme: scheme sfu-ab needs target rp2040, but target is stm32f429']);
  });

  it('requires a port for a serial console', () => {
    const text = twinRig({ 'console: { driver: twin }': 'console:\n  driver: serial\n  baud: 115200' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:8:3: console.port: required']);
  });

  it('checks driver-specific fields per driver', () => {
    const text = twinRig({ 'power:': 'power: { driver: relay, pin: relay, onSettleMs: -1, hub: "1-1", poweredLevel: 2 }', '  driver: twin': '' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:5:30: power.pin: pin "relay" needs a gpio: section that declares it',
      'rigs/x.yaml:5:49: power.onSettleMs: expected a number >= 0 and <= 60000, got -1',
      'rigs/x.yaml:5:53: power.hub: not allowed with driver relay (only with uhubctl)',
      'rigs/x.yaml:5:79: power.poweredLevel: expected 0 or 1, got 2',
    ]);
  });

  it("checks that the relay pin's safe level agrees with power.safeState", () => {
    const text = twinRig({ 'power:': 'gpio: { pins: { RELAY: { line: GPIO17, safe: 1 } } }\npower: { driver: relay, pin: RELAY }', '  driver: twin': '' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:5:46: gpio.pins.RELAY.safe: safe level 1 leaves the board powered (poweredLevel 1), but power.safeState is off']);
    const nc = twinRig({ 'power:': 'gpio: { pins: { RELAY: { line: GPIO17, safe: 1 } } }\npower: { driver: relay, pin: RELAY, poweredLevel: 0 }', '  driver: twin': '' });
    expect(parseRig(nc, 'rigs/x.yaml').power).toMatchObject({ poweredLevel: 0 });
  });

  it('checks gpio pins: one way to name a line, declared once, outputs for drivers', () => {
    const text = twinRig({
      'power:': [
        'gpio:',
        '  pins:',
        '    relay: { chip: gpiochip0, offset: 17, line: GPIO17 }',
        '    boot0: { chip: gpiochip0 }',
        '    nrst: { line: GPIO27, direction: in }',
        '    dup: { line: GPIO27 }',
        '    mark: { line: GPIO5, edge: rising }',
        '    none: {}',
        '    "bad-name": { line: GPIO6 }',
        'reset: { pin: nrst }',
        'power: { driver: relay, pin: rly }',
      ].join('\n'),
      '  driver: twin': '',
    });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:7:49: gpio.pins.relay.line: give either line: (a line name) or chip: + offset:, not both',
      'rigs/x.yaml:8:20: gpio.pins.boot0.chip: chip: needs offset: too (the line number on that chip)',
      'rigs/x.yaml:10:10: gpio.pins.dup: line GPIO27 is already pin nrst',
      'rigs/x.yaml:11:32: gpio.pins.mark.edge: only inputs (direction: in) report edges',
      'rigs/x.yaml:12:11: gpio.pins.none: needs line: (a line name such as GPIO17) or chip: + offset:',
      'rigs/x.yaml:13:17: gpio.pins.bad-name: pin names are letters, digits and _ (they are typed as NAME=level on the command line)',
      'rigs/x.yaml:14:15: reset.pin: pin nrst drives reset, so it must be an output (it says direction: in)',
      'rigs/x.yaml:15:30: power.pin: no pin "rly" in gpio.pins (declared: relay, boot0, nrst, dup, mark, none, bad-name)',
    ]);
  });

  it('requires the twin: section when a driver is twin', () => {
    const text = twinRig({ 'twin:': '', '  variant: correct': '' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:1:1: twin: required because power.driver and console.driver are twin']);
  });

  it('rejects a twin: section on a rig with no twin driver', () => {
    const text = twinRig({
      'power:': 'power: { driver: uhubctl, hub: "1-1", port: 1 }',
      '  driver: twin': '',
      'console: { driver: twin }': 'console: { driver: serial, port: /dev/ttyACM0 }',
    });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:4:3: twin: a twin section needs at least one driver set to twin (power, console or probe)']);
  });

  it('checks the twin variant against the list for the scheme, which the caller can extend', () => {
    const text = twinRig({ '  variant: correct': '  variant: no-journal' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:4:12: twin.variant: expected one of correct, sign-before-flush, boot-unsigned-target, erase-running-slot, generation-not-incremented (variants of sfu-ab), got "no-journal"',
    ]);
    expect(parseRig(text, 'rigs/x.yaml', { variants: { 'sfu-ab': ['correct', 'no-journal'] } }).twin?.variant).toBe('no-journal');
  });

  it('rejects a pty twin on virtual time', () => {
    const text = twinRig({ '  variant: correct': '  transport: pty' });
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:4:14: twin.transport: pty needs twin.timeFactor > 0 (a pty runs on the wall clock)']);
    expect(parseRig(twinRig({ '  variant: correct': '  transport: pty\n  timeFactor: 1' }), 'rigs/x.yaml').twin).toMatchObject({ transport: 'pty', timeFactor: 1 });
  });

  it('lets later code raise an error at a field of a loaded rig', () => {
    const rig = parseRig(twinRig(), 'rigs/x.yaml');
    const error = configErrorAt(rig, ['power', 'driver'], 'this bench has no twin power');
    expect(error.message).toBe('rigs/x.yaml:6:11: power.driver: this bench has no twin power');
    expect(configErrorAt({ ...rig }, ['power'], 'copied').message).toBe('rigs/x.yaml: power: copied');
  });
});

describe('rig files', () => {
  it('reports a missing file', async () => {
    const error = await asyncConfigErrorOf(() => loadRig('no-such-rig'));
    expect(error.message).toBe('rigs/no-such-rig.yaml: cannot read: no such file');
    expect(error.issues).toEqual([{ file: path.resolve('rigs/no-such-rig.yaml'), path: '', message: 'cannot read: no such file' }]);
  });

  it.each([
    ['', 'rigs/x.yaml:1:1: empty file: expected a rig as a YAML mapping'],
    ['# nothing yet\n', 'rigs/x.yaml:1:1: empty file: expected a rig as a YAML mapping'],
    ['- target: rp2040\n', 'rigs/x.yaml:1:1: expected a rig as a YAML mapping at the top level, got a list'],
    ['rp2040\n', 'rigs/x.yaml:1:1: expected a rig as a YAML mapping at the top level, got a single value'],
  ])('rejects a file that is not a mapping: %j', (text, message) => {
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual([message]);
  });

  it('locates bad indentation', () => {
    const text = yaml('target: rp2040', 'power:', '  driver: twin', ' offMs: 100', 'scheme: sfu-ab');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:4:1: all mapping items must start at the same column']);
  });

  it('locates a duplicate key at its second occurrence, naming it', () => {
    const text = twinRig({}, 'target: nrf52840');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:10:1: duplicate key "target"']);
  });

  it('locates a tab in the indentation', () => {
    const text = twinRig({}).replace('  driver: sfu', '\tdriver: sfu');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:9:1: tab character in indentation (YAML indents with spaces only)']);
  });

  it('reports all syntax errors at once and skips the schema until they are fixed', () => {
    const text = yaml('target: rp2040', 'target: rp2040', 'power:', '\tdriver: twin', 'bogus: 1');
    expect(linesOf(() => parseRig(text, 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:2:1: duplicate key "target"', 'rigs/x.yaml:4:1: tab character in indentation (YAML indents with spaces only)']);
  });
});
