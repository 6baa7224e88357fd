/**
 * Issue 8, config and input files: each test here failed before the fix (a hang, a stack trace,
 * an error only inside Jest, a silent acceptance, an error without a line).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigFileError,
  checkRigForSuite,
  displayFile,
  limits,
  loadRig,
  loadSuite,
  noRigsError,
  parseRig,
  parseSuite,
  parseTrigger,
  suiteCutPoints,
  withTwinOverrides,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { readImageFile } from '../../src/scenario/update-image.js';
import { numberOption } from '../../src/cli/command.js';
import { parseHold } from '../../src/cli/rig-access.js';
import { asyncConfigErrorOf, linesOf, yaml } from './helpers.js';

const ROOT = path.join(import.meta.dirname, '../..');
const FIRMWARE = path.join(ROOT, 'firmware');
const TWIN_RIG = path.join(ROOT, 'rigs/twin-rp2040-sfu.yaml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hil-hardening-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const twinRig = (...extra: string[]) =>
  yaml('target: rp2040', 'scheme: sfu-ab', 'twin:', 'power: { driver: twin }', 'console: { driver: twin }', 'updater: { driver: sfu }', 'probe: { driver: twin }', ...extra);

/** A suite in the temp dir whose images are the real sample firmware. */
function suiteText(...lines: string[]): string {
  return yaml('images:', `  from: ${FIRMWARE}/app-v1.page2bin`, `  to: ${FIRMWARE}/app-v2.page2bin`, ...lines);
}
const suiteFile = () => path.join(dir, 'suite.yaml');
const shown = (file: string) => displayFile(file);

describe('defect 5: a big config is bounded, linear and answers with a short list', () => {
  it('refuses a rig file over 128 KiB before parsing it, naming the file and the limit', async () => {
    const file = path.join(dir, 'huge.yaml');
    let text = twinRig();
    for (let i = 0; text.length <= limits.MAX_CONFIG_BYTES; i++) text += `unknown_key_${i}: ${i}\n`;
    writeFileSync(file, text);
    const error = await asyncConfigErrorOf(() => loadRig(file));
    expect(error.message).toBe(`${shown(file)}: cannot read: is ${text.length} bytes, more than the 128 KiB allowed (rig files are a few KiB)`);
    expect(() => parseRig(text, file)).toThrow(/more than the 128 KiB allowed/);
  });

  it('lists the first 50 of 8,000 unknown keys, located, and counts the rest', () => {
    let text = twinRig();
    for (let i = 0; i < 8000; i++) text += `k${i}: ${i}\n`;
    const lines = linesOf(() => parseRig(text, 'rigs/x.yaml'));
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe('rigs/x.yaml:8:1: k0: unknown key');
    expect(lines[50]).toBe('rigs/x.yaml: … and 7950 more problems');
  });

  it('reports duplicate keys in one pass (yaml compared each key with every other)', () => {
    let text = twinRig();
    for (let i = 0; i < 3000; i++) text += `power: { driver: twin }\n`;
    const lines = linesOf(() => parseRig(text, 'rigs/x.yaml'));
    expect(lines[0]).toBe('rigs/x.yaml:8:1: duplicate key "power"');
    expect(lines).toHaveLength(50);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [prev, name] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
      ['f', 'g'],
      ['g', 'h'],
    ])
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    expect(linesOf(() => parseRig(twinRig('description: x', ...bomb.map((l) => `x${l}`)), 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:1:1: too many aliases (*name): an alias bomb is not a config']);
  });

  it('refuses deep nesting at its place, flow or block, shallow or thousands deep', () => {
    const flow = `description: ${'['.repeat(40)}${']'.repeat(40)}`;
    expect(linesOf(() => parseRig(twinRig(flow), 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:8:45: nested too deep (more than 32 levels of mappings and lists)']);
    const abyss = `description: ${'['.repeat(20000)}${']'.repeat(20000)}`;
    expect(linesOf(() => parseRig(twinRig(abyss), 'rigs/x.yaml')).join('\n')).toMatch(/^rigs\/x\.yaml:8:\d+: nested too deep/);
    const block = ['twin:'].concat(Array.from({ length: 40 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`));
    expect(linesOf(() => parseRig(yaml('target: rp2040', ...block), 'rigs/x.yaml'))[0]).toMatch(/^rigs\/x\.yaml:\d+:\d+: nested too deep/);
  });

  it('refuses a key that is a list or a mapping (yaml printed a warning on stderr for it)', () => {
    expect(linesOf(() => parseRig(twinRig('? [a, b]', ': 1'), 'rigs/x.yaml'))).toEqual(['rigs/x.yaml:8:3: a key must be a plain word, not a list or a mapping']);
  });

  it('quotes a huge value instead of repeating it', () => {
    const [line] = linesOf(() => parseRig(twinRig().replace('target: rp2040', `target: ${'z'.repeat(50000)}`), 'rigs/x.yaml'));
    expect(line!.length).toBeLessThan(300);
    expect(line).toContain('… (50000 characters)');
  });
});

describe('defect 6: FIFOs, devices, directories and loops are refused at once, by name', () => {
  let fifo: string;
  beforeAll(() => {
    fifo = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
  });

  it('a FIFO as a rig or a suite file (open() used to block forever)', async () => {
    expect((await asyncConfigErrorOf(() => loadRig(fifo))).message).toBe(`${shown(fifo)}: cannot read: is a FIFO (named pipe), which could block forever: expected a regular file`);
    expect((await asyncConfigErrorOf(() => loadSuite(fifo))).message).toContain('is a FIFO (named pipe)');
  });

  it('a directory, a symlink loop, a device, a missing file', async () => {
    const folder = path.join(dir, 'folder.yaml');
    mkdirSync(folder);
    expect((await asyncConfigErrorOf(() => loadRig(folder))).message).toBe(`${shown(folder)}: cannot read: is a directory: expected a regular file`);
    const loop = path.join(dir, 'loop.yaml');
    symlinkSync(loop, loop);
    expect((await asyncConfigErrorOf(() => loadRig(loop))).message).toMatch(/loop\.yaml: cannot read: too many (levels of )?symbolic links/);
    const zero = path.join(dir, 'zero.yaml');
    symlinkSync('/dev/zero', zero);
    expect((await asyncConfigErrorOf(() => loadRig(zero))).message).toBe(`${shown(zero)}: cannot read: is a character device, which could be endless: expected a regular file`);
    expect((await asyncConfigErrorOf(() => loadRig(path.join(dir, 'absent.yaml')))).message).toMatch(/absent\.yaml: cannot read: no such file$/);
  });

  it('images: /dev/zero, a FIFO and a 100 MiB sparse file are refused by readImageFile (hil cut, hil sfu upload)', async () => {
    await expect(readImageFile('/dev/zero')).rejects.toThrow('/dev/zero: cannot read image: is a character device, which could be endless: expected a regular file');
    await expect(readImageFile(fifo)).rejects.toThrow(/fifo\.yaml: cannot read image: is a FIFO/);
    const big = path.join(dir, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 100 * 1024 * 1024);
    await expect(readImageFile(big)).rejects.toThrow(/big\.bin: cannot read image: is 100 MiB, more than the 16 MiB allowed/);
    await expect(readImageFile(big)).rejects.toBeInstanceOf(ConfigError);
  });

  it('a suite whose image is /dev/zero or a FIFO is refused at images.from with line:col', () => {
    const zeroSuite = yaml('images:', '  from: /dev/zero', `  to: ${fifo}`, 'cuts: { points: [after:1ms] }');
    expect(linesOf(() => parseSuite(zeroSuite, suiteFile()))).toEqual([
      `${shown(suiteFile())}:2:9: images.from: image /dev/zero is a character device, which could be endless: expected a regular file`,
      `${shown(suiteFile())}:3:7: images.to: image ${shown(fifo)} is a FIFO (named pipe), which could block forever: expected a regular file`,
    ]);
  });
});

describe('defect 8: everything a suite needs is checked before a run, with the place', () => {
  let rig: Awaited<ReturnType<typeof loadRig>>;
  beforeAll(async () => {
    rig = await loadRig(TWIN_RIG);
  });

  it('an unknown setup: at its line', () => {
    const suite = parseSuite(suiteText('setup: from-bank3', 'cuts: { points: [after:1ms] }'), suiteFile());
    expect(linesOf(() => checkRigForSuite(rig, suite))).toEqual([
      `${shown(suiteFile())}:4:8: setup: setup "from-bank3" does not exist for sfu-ab, the scheme of rig twin-rp2040-sfu (setups: default)`,
    ]);
  });

  it('an empty image: at its line, when the suite is loaded', () => {
    const empty = path.join(dir, 'empty.bin');
    writeFileSync(empty, '');
    expect(linesOf(() => parseSuite(yaml('images:', `  from: ${empty}`, `  to: ${FIRMWARE}/app-v2.page2bin`, 'cuts: { points: [after:1ms] }'), suiteFile()))).toEqual([
      `${shown(suiteFile())}:2:9: images.from: image ${shown(empty)} is empty`,
    ]);
  });

  it('an image without an app info block, and two images of one version', () => {
    const noInfo = path.join(dir, 'noinfo.bin');
    writeFileSync(noInfo, Buffer.alloc(4096, 0x5a));
    const suite = parseSuite(yaml('images:', `  from: ${noInfo}`, `  to: ${FIRMWARE}/app-v2.page2bin`, 'cuts: { points: [after:1ms] }'), suiteFile());
    expect(linesOf(() => checkRigForSuite(rig, suite))).toEqual([
      `${shown(suiteFile())}:2:9: images.from: image ${shown(noInfo)} carries no app info block, so its banner cannot be recognised (read as sfu-ab, the scheme of rig twin-rp2040-sfu)`,
    ]);
    const same = parseSuite(yaml('images:', `  from: ${FIRMWARE}/app-v2.page2bin`, `  to: ${FIRMWARE}/app-v2.page2bin`, 'cuts: { points: [after:1ms] }'), suiteFile());
    expect(linesOf(() => checkRigForSuite(rig, same))[0]).toMatch(/:3:7: images\.to: has the same version .* as images\.from/);
  });

  it('the setups config checks are the ones the scheme adapters implement', async () => {
    const { schemeAdapter } = await import('../../src/schemes/registry.js');
    const { SCHEME_SETUPS } = await import('../../src/config/vocabulary.js');
    for (const [scheme, setups] of Object.entries(SCHEME_SETUPS)) expect((await schemeAdapter(scheme)).setups).toEqual(setups);
  });

  it('the repo suites pass on their own rigs (nothing valid is refused)', async () => {
    for (const name of ['brownout-sfu', 'detect-mcuboot', 'detect-stm32-from-bank2']) {
      const suite = await loadSuite(path.join(ROOT, 'suites', `${name}.yaml`));
      for (const entry of suite.rigs) checkRigForSuite(withTwinOverrides(await loadRig(entry.path), entry.twin, suite.file), suite);
    }
  });
});

describe('defect 9: sweep counts and suite totals are bounded', () => {
  it.each([
    ['1000000000', '1000000000'],
    ['9007199254740991', '9007199254740991'],
  ])('count: %s is a located error, not an OOM or a RangeError', (count) => {
    expect(linesOf(() => parseSuite(suiteText('cuts:', '  sweeps:', `    - { trigger: after, from: 0, to: 1s, count: ${count} }`), suiteFile()))).toEqual([
      `${shown(suiteFile())}:6:49: cuts.sweeps[0].count: expected an integer >= 1 and <= 100000, got ${count}`,
    ]);
  });

  it('the total of a suite is bounded too', () => {
    const lines = linesOf(() =>
      parseSuite(suiteText('cuts:', '  sweeps:', '    - { trigger: after, from: 0, to: 1s, count: 60000 }', '    - { trigger: after, from: 0, to: 1s, count: 60000 }'), suiteFile()),
    );
    expect(lines).toEqual([`${shown(suiteFile())}:5:3: cuts: 120000 cut points in all, more than the 100000 a suite may have: split it`]);
    const fine = parseSuite(suiteText('cuts:', '  sweeps:', '    - { trigger: after, from: 0, to: 1s, count: 100000 }'), suiteFile());
    expect(suiteCutPoints(fine)).toHaveLength(100000);
  });
});

describe('defect 16: bytes that are not text are refused with line:col', () => {
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };
  it.each([
    ['NUL', Buffer.from('target: rp2040\nscheme: s\0fu-ab\n'), '2:10: NUL byte (0x00): a rig file must be text'],
    ['invalid UTF-8', Buffer.concat([Buffer.from('target: rp2040\ndescription: caf'), Buffer.from([0xff]), Buffer.from('\n')]), '2:17: invalid UTF-8 (byte 0xFF): a rig file must be UTF-8 text'],
    ['an overlong encoding', Buffer.concat([Buffer.from('description: '), Buffer.from([0xc0, 0xaf])]), '1:14: invalid UTF-8 (byte 0xC0): a rig file must be UTF-8 text'],
    ['a UTF-16 surrogate', Buffer.concat([Buffer.from('description: é '), Buffer.from([0xed, 0xa0, 0x80])]), '1:16: invalid UTF-8 (byte 0xED): a rig file must be UTF-8 text'],
    ['an escape sequence', Buffer.from('description: "\x1b[2J"\n'), '1:15: control character U+001B is not allowed in a rig file'],
  ])('%s', async (_, bytes, where) => {
    const file = write('bytes.yaml', bytes);
    expect((await asyncConfigErrorOf(() => loadRig(file))).message).toBe(`${shown(file)}:${where}`);
  });

  it('a suite too; text handed to parseSuite with a NUL too; a BOM and non-ASCII text are fine', async () => {
    const file = write('bytes-suite.yaml', Buffer.from('name: a\0b\n'));
    expect((await asyncConfigErrorOf(() => loadSuite(file))).message).toBe(`${shown(file)}:1:8: NUL byte (0x00): a suite file must be text`);
    expect(linesOf(() => parseSuite('name: x\n\0', 'suites/x.yaml'))).toEqual(['suites/x.yaml:2:1: NUL byte (0x00): a suite file must be text']);
    const fine = write('fine.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(twinRig('description: Prüfstand ✓ 電源'))]));
    expect((await loadRig(fine)).description).toBe('Prüfstand ✓ 電源');
  });
});

describe('defect 17: errors in a suite rigs: list carry their line', () => {
  it('an unknown variant points at rigs[i].variant', async () => {
    const suite = parseSuite(suiteText('rigs:', `  - { rig: ${TWIN_RIG} }`, `  - { rig: ${TWIN_RIG}, variant: no-such-bug }`, 'cuts: { points: [after:1ms] }'), suiteFile());
    const rig = await loadRig(suite.rigs[1]!.path);
    expect(linesOf(() => withTwinOverrides(rig, suite.rigs[1]!.twin, suite.file))).toEqual([
      `${shown(suiteFile())}:6:${`  - { rig: ${TWIN_RIG}, variant: `.length + 1}: rigs[1].variant: variant "no-such-bug" does not exist for sfu-ab (variants: correct, sign-before-flush, boot-unsigned-target, erase-running-slot, generation-not-incremented)`,
    ]);
  });

  it('overrides on a rig that is not a twin point at the entry', async () => {
    const bench = path.join(ROOT, 'rigs/pi-pico-sfu.yaml');
    const suite = parseSuite(suiteText('rigs:', `  - { rig: ${bench}, powerLoss: torn }`, 'cuts: { points: [after:1ms] }'), suiteFile());
    const rig = await loadRig(bench);
    expect(linesOf(() => withTwinOverrides(rig, suite.rigs[0]!.twin, suite.file))).toEqual([
      `${shown(suiteFile())}:5:${`  - { rig: ${bench}, powerLoss: `.length + 1}: rigs[0].powerLoss: variant and powerLoss only apply to twin rigs, and pi-pico-sfu (rigs/pi-pico-sfu.yaml) is not one`,
    ]);
  });

  it('rigs: [] is an error at rigs:, and a missing rigs: has a located error to give', () => {
    expect(linesOf(() => parseSuite(suiteText('rigs: []', 'cuts: { points: [after:1ms] }'), suiteFile()))).toEqual([
      `${shown(suiteFile())}:4:7: rigs: expected at least one rig (or leave rigs: out and name the rig with hil run --rig RIG)`,
    ]);
    const without = parseSuite(suiteText('cuts: { points: [after:1ms] }'), suiteFile());
    const error = noRigsError(without);
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(error.message).toBe(`${shown(suiteFile())}:1:1: rigs: no rigs listed: add rigs: [RIG] to the suite, or give hil run --rig RIG`);
  });
});

describe('defect 18: times, seeds and off times are bounded (usage errors, not device failures)', () => {
  it('after:99999999999999999999ms and friends', () => {
    expect(() => parseTrigger('after:99999999999999999999ms')).toThrow('invalid trigger "after:99999999999999999999ms": expected a time of at most 1 h (3600000 ms), got "99999999999999999999ms"');
    expect(() => parseTrigger('console:/x/+5000s')).toThrow(/at most 1 h/);
    expect(() => parseTrigger('marker:1+3600001')).toThrow(/at most 1 h/);
    expect(parseTrigger('after:3600s')).toEqual({ kind: 'after', ms: 3_600_000 });
  });

  it('off times, boot timeouts and seeds in rig and suite files', () => {
    expect(linesOf(() => parseRig(twinRig().replace('power: { driver: twin }', 'power: { driver: twin, offMs: 1e308 }'), 'rigs/x.yaml'))).toEqual([
      'rigs/x.yaml:4:31: power.offMs: expected a number >= 0 and <= 60000, got 1e+308',
    ]);
    expect(linesOf(() => parseRig(twinRig('boot: { timeoutMs: .inf }'), 'rigs/x.yaml'))[0]).toMatch(/boot\.timeoutMs: expected a number/);
    expect(linesOf(() => parseRig(twinRig().replace('twin:', 'twin: { seed: 4294967296 }'), 'rigs/x.yaml'))[0]).toMatch(/twin\.seed: expected an integer >= 0 and <= 4294967295/);
    const lines = linesOf(() => parseSuite(suiteText('cuts:', '  offMs: 1e308', '  points: [{ trigger: after:1ms, second: 99999999999, seed: -1 }]'), suiteFile()));
    expect(lines.join('\n')).toMatch(/cuts\.offMs: expected a number >= 0 and <= 60000, got 1e\+308/);
    expect(lines.join('\n')).toMatch(/cuts\.points\[0\]\.second: expected a number >= 0 and <= 3600000, got 99999999999/);
    expect(lines.join('\n')).toMatch(/cuts\.points\[0\]\.seed: expected an integer >= 0 and <= 4294967295, got -1/);
  });

  it('the CLI options: --off-ms, --seed, --for', () => {
    expect(() => numberOption({ 'off-ms': '1e308' }, 'off-ms', 200, { min: 0, max: limits.MAX_OFF_MS })).toThrow('--off-ms: expected a number >= 0 and <= 60000, got "1e308"');
    expect(numberOption({ 'off-ms': '60000' }, 'off-ms', 200, { min: 0, max: limits.MAX_OFF_MS })).toBe(60000);
    expect(() => parseHold('99999999999m')).toThrow(/--for: at most 1440m/);
    expect(parseHold('10m')).toBe(600_000);
  });
});

describe('defect 2 at load time: an openocd value that would run as TCL is a config error with its line', () => {
  const benchRig = (probe: string) =>
    yaml(
      'target: stm32f429',
      'scheme: stm32-dualbank',
      'power: { driver: uhubctl, hub: "1-1", port: 2 }',
      'console: { driver: tcp, host: localhost, port: 4000 }',
      'updater: { driver: sfu-app }',
      probe,
    );

  it.each([
    ['interface', 'probe: { driver: openocd, interface: "interface/dummy.cfg} ; exec touch /tmp/x ;{" }', 'probe.interface', '"}" is not allowed'],
    ['target', 'probe: { driver: openocd, target: "target/stm32f4x.cfg\\\\x" }', 'probe.target', '"\\" is not allowed'],
    ['configs[1]', 'probe: { driver: openocd, configs: [a.cfg, "b{.cfg"] }', 'probe.configs[1]', '"{" is not allowed'],
  ])('%s', (_name, probe, field, why) => {
    const lines = linesOf(() => parseRig(benchRig(probe), 'rigs/x.yaml'));
    const line = lines.find((l) => l.includes(field));
    expect(line).toMatch(/^rigs\/x\.yaml:6:\d+: /);
    expect(line).toContain(why);
  });

  it('target: none and ordinary paths with spaces pass', () => {
    expect(() => parseRig(benchRig('probe: { driver: openocd, target: none, configs: ["my boards/a b.cfg"] }'), 'rigs/x.yaml')).not.toThrow();
  });
});
