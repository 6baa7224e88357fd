/**
 * Issue 8, defect 2: every value that reaches openocd's command line, loaded with TCL
 * metacharacters, against the REAL openocd binary (Debian's: full Jim Tcl, `exec` included).
 *
 * Why 07f47f5 missed it: it ran a fake openocd (a shell script that only logs its argv), so
 * nothing ever parsed the values as TCL; and its payloads were shell ones (`$()`, backticks),
 * harmless inside braces. None closed the braces openocd puts around each `-f FILE` itself
 * (`script {FILE}`) or around the image of `program` (which then `eval`s it).
 *
 * Here a payload that ever runs as TCL touches $HIL_MARK (`exec touch [env HIL_MARK]`), every
 * case checks that file, and two canaries prove this very openocd would run the payloads if they
 * reached it raw: if exec were missing, the canaries fail instead of the suite passing blind.
 * Each value is then either refused before openocd runs (an error naming the field, exit 2) or
 * shown to reach openocd literally (its own "Can't find <name>", a file of that exact name
 * loaded, written or programmed, an `echo` of the quoted word).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { loadRig } from '../../src/config/index.js';
import { HilError } from '../../src/core/errors.js';
// openRig itself is under test here (it must refuse a hostile config built in code), so no useRig fixture.
import { openRig } from '../../src/rig/open-rig.js';
import { OpenOcdDeviceError, OpenOcdProbe, OpenOcdRigError, type OpenOcdProbeOptions } from '../../src/drivers/flasher/openocd.js';
import { dumpArgv, tclQuote } from '../../src/protocols/openocd/index.js';
import { hil } from '../cli/hil.js';
import { readLog } from '../gpio/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '../..');
const FAKE = join(here, 'fixtures', 'fake.cfg');
const NOOP = join(here, 'fixtures', 'noop.cfg');
const GPIO_FAKES = join(ROOT, 'test/gpio/fixtures/v2');
const NO_SERVERS = ['-c', 'gdb_port disabled', '-c', 'tcl_port disabled', '-c', 'telnet_port disabled'];

/** What a payload runs if it ever reaches TCL as code. No slash in it: it also fits a file name. */
const EXEC = 'exec touch [env HIL_MARK]';

let base: string;
let MARK: string;
let cases = 0;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'hil-tcl-'));
});
// A marker of its own per test, so one break-out cannot hide or fake another.
beforeEach(() => {
  MARK = join(base, `TCL-RAN-${++cases}`);
  process.env.HIL_MARK = MARK; // openocd inherits it
});
afterAll(() => {
  delete process.env.HIL_MARK;
  rmSync(base, { recursive: true, force: true });
});

/** Hostile variants of a valid value `b`: each would run EXEC if openocd evaluated it. */
function payloads(b: string): [string, string][] {
  return [
    ['closing brace (the audit)', `${b}} ; ${EXEC} ;{`],
    ['brace, then command substitution', `${b}}[${EXEC}]{`],
    ['brace, then a separate substituted word', `${b}} [${EXEC}] {`],
    ['command substitution', `${b}[${EXEC}]`],
    ['variable and substitution', `${b}$HIL_MARK[${EXEC}]`],
    ['double quotes', `${b}" ; ${EXEC} ; "`],
    ['semicolon', `${b} ; ${EXEC}`],
    ['escaped braces', `${b}\\} ; ${EXEC} ;\\{`],
    ['trailing backslash', `${b}\\`],
    ['opening brace', `{${b} ; ${EXEC}`],
    ['newline', `${b}\n${EXEC}\n`],
    ['backslash-newline', `${b}\\\n${EXEC}`],
    ['carriage return', `${b}\r${EXEC}`],
    ['NUL', `${b}\0 ; ${EXEC}`],
    ['shell', `${b};$(${EXEC})\`${EXEC}\``],
  ];
}

// Stated here, independently of src: what cannot be a braced literal, and what no value may carry.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;
const notInBraces = (v: string) => /[{}\\]/.test(v) || CONTROL.test(v);

const probe = (o: Partial<OpenOcdProbeOptions>) => new OpenOcdProbe({ target: 'generic', interfaceCfg: FAKE, timeoutMs: 10_000, attempts: 1, ...o });

type Attempt = { refused: HilError } | { ran: { log: string } };

/**
 * Builds the probe and runs `op` on it. Refused: a HilError before openocd ran. Ran: openocd's log,
 * whether the run succeeded or failed (a missing file, the fake target that cannot read memory).
 */
async function attempt(make: () => OpenOcdProbe, op: (p: OpenOcdProbe) => Promise<unknown>): Promise<Attempt> {
  try {
    const out = await op(make());
    return { ran: { log: (out as { log?: string } | undefined)?.log ?? '' } };
  } catch (e) {
    if (e instanceof OpenOcdRigError || e instanceof OpenOcdDeviceError) return { ran: { log: e.result.log } };
    if (e instanceof HilError) return { refused: e };
    throw e;
  }
}

const ops: Record<string, (p: OpenOcdProbe) => Promise<unknown>> = {
  flash: (p) => p.flash(Buffer.alloc(32, 7), 0x08000000, { verify: false }),
  dump: (p) => p.dump([{ name: 'bank1', base: 0x08000000, size: 64 }]),
  massErase: (p) => p.massErase(),
};

describe('canaries: this openocd runs TCL from these payloads when they reach it raw', () => {
  afterEach(() => rmSync(MARK, { force: true }));

  test('-f with a closing brace runs exec (openocd wraps -f as script {FILE})', async () => {
    await execa('openocd', ['-f', `${FAKE}} ; ${EXEC} ;{`, ...NO_SERVERS, '-c', 'shutdown'], { reject: false, timeout: 10_000 });
    expect(existsSync(MARK)).toBe(true);
  });

  test("program evals its image name: a correctly TCL-quoted '}' in it still runs exec", async () => {
    const img = `${base}/x} [${EXEC}] {.bin`;
    await execa('openocd', ['-f', FAKE, ...NO_SERVERS, '-c', `program ${tclQuote(img)} 0x08000000 exit`], { reject: false, timeout: 10_000 });
    expect(existsSync(MARK)).toBe(true);
  });
});

/**
 * Every option of OpenOcdProbe that reaches openocd's argv, typed so that a new option must be
 * listed here (or declared off the command line) before this file compiles. `tempRoot` reaches it
 * inside file names: the TMPDIR cases below.
 */
type OffTheCommandLine = 'target' | 'timeoutMs' | 'killGraceMs' | 'binary' | 'attempts' | 'retryDelayMs' | 'name' | 'timeline' | 'tempRoot';
type OnTheCommandLine = Exclude<keyof OpenOcdProbeOptions, OffTheCommandLine>;
const STRING_FIELDS: Record<Exclude<OnTheCommandLine, 'adapterSpeedKhz'>, { field: RegExp; valid: string; with: (v: string) => Partial<OpenOcdProbeOptions>; braced: boolean }> = {
  interfaceCfg: { field: /probe\.interface\b/, valid: FAKE, with: (v) => ({ interfaceCfg: v }), braced: true },
  targetCfg: { field: /probe\.target\b/, valid: NOOP, with: (v) => ({ targetCfg: v }), braced: true },
  configs: { field: /probe\.configs\[1\]/, valid: NOOP, with: (v) => ({ configs: [NOOP, v] }), braced: true },
  adapterSerial: { field: /probe\.adapterSerial\b/, valid: 'E6616407E3646B29', with: (v) => ({ adapterSerial: v }), braced: false },
};

describe('every openocd-bound rig value with TCL metacharacters (real openocd, dummy adapter)', () => {
  afterEach(() => expect(existsSync(MARK)).toBe(false));

  for (const [key, f] of Object.entries(STRING_FIELDS)) {
    test.each(payloads(f.valid))(`${key}: %s — refused naming the field, or literal; never run`, async (_name, v) => {
      const refused = f.braced ? notInBraces(v) : CONTROL.test(v);
      for (const [opName, op] of Object.entries(ops)) {
        const r = await attempt(() => probe(f.with(v)), op);
        expect(existsSync(MARK)).toBe(false);
        if (refused) {
          expect('refused' in r && r.refused.exitCode).toBe(2);
          if ('refused' in r) expect(r.refused.message).toMatch(f.field);
          continue;
        }
        expect([opName, 'ran' in r]).toEqual([opName, true]);
        // The literal name, as openocd's own `find` reports it.
        if (f.braced && 'ran' in r) expect(r.ran.log).toContain(`Can't find ${v}`);
      }
    });
  }

  test('adapterSerial: hostile serials reach openocd as one quoted word and the run goes on', async () => {
    for (const [, v] of payloads('E66')) {
      if (CONTROL.test(v)) continue;
      const r = await probe({ adapterSerial: v }).flash(Buffer.alloc(32, 7), 0x08000000, { verify: false });
      expect(r.outcome).toBe('ok');
      expect(r.argv).toContain(`adapter serial ${tclQuote(v)}`);
    }
  });

  test('tclQuote: each quoted payload comes back from the real openocd byte for byte', async () => {
    const values = [
      ...payloads('E66')
        .map(([, v]) => v)
        .filter((v) => !v.includes('\0')),
      '',
      ' ',
      '#x',
      '{',
      '}',
      '\\',
      '"',
      '$',
      '[',
      ']',
      ';',
      'a\tb',
      'ü ☃',
    ];
    const argv = values.flatMap((v, i) => ['-c', `set v${i} ${tclQuote(v)}`, '-c', `echo "<${i}<\${v${i}}>${i}>"`]);
    const r = await execa('openocd', ['-f', FAKE, ...NO_SERVERS, ...argv, '-c', 'shutdown'], { reject: false, all: true, timeout: 10_000 });
    values.forEach((v, i) => expect(r.all).toContain(`<${i}<${v}>${i}>`));
  });

  test.each([Number.NaN, 0, -1, 1.5, 1e21, Infinity, '4000 ; exec touch x' as unknown as number])('adapterSpeedKhz %p is refused naming the field', (v) => {
    expect(() => probe({ adapterSpeedKhz: v })).toThrow(/probe\.adapterSpeedKhz/);
  });

  test('-f files whose names hold every metacharacter a brace can hold are loaded literally', async () => {
    const name = join(base, `c b;$x [${EXEC}] "q" $(x) \`y\` #z.cfg`);
    writeFileSync(name, 'echo "HIL-LOADED-EXTRA"\n');
    const iface = join(base, `i [${EXEC}] ;$HIL_MARK.cfg`);
    copyFileSync(FAKE, iface);
    const r = await probe({ interfaceCfg: iface, configs: [name] }).flash(Buffer.alloc(32, 7), 0x08000000, { verify: false });
    expect(r.outcome).toBe('ok');
    expect(r.log).toContain('HIL-LOADED-EXTRA');
  });
});

describe('image and temp paths (hil flash IMAGE, program/dump of buffers through TMPDIR)', () => {
  afterEach(() => expect(existsSync(MARK)).toBe(false));

  test.each(payloads('img'))('image path: %s — refused as the image, or programmed from that literal name', async (_name, v) => {
    const path = `${base}/${v}.bin`;
    const r = await attempt(
      () => probe({}),
      (p) => p.flash(path, 0x08000000, { verify: false }),
    );
    expect(existsSync(MARK)).toBe(false);
    if (notInBraces(v)) {
      expect('refused' in r && r.refused.exitCode).toBe(2);
      expect('refused' in r && r.refused.message).toMatch(/image/);
    } else {
      // No such file: openocd's error names it exactly.
      expect('ran' in r && r.ran.log).toContain(`${v}.bin`);
    }
  });

  test('an image whose name has brackets, $, quotes, ; and # is programmed (Programming Finished)', async () => {
    const img = join(base, `a b;$x [${EXEC}] "q" #.bin`);
    writeFileSync(img, Buffer.alloc(32, 9));
    const r = await probe({}).flash(img, 0x08000000, { verify: false });
    expect(r.outcome).toBe('ok');
    expect(r.log).toContain('** Programming Finished **');
  });

  test.each(payloads('t').filter(([, v]) => !v.includes('\0')))('TMPDIR %s: flash, dump and erase run nothing', async (_name, v) => {
    const dir = join(base, v);
    mkdirSync(dir, { recursive: true });
    for (const [opName, op] of Object.entries(ops)) {
      const r = await attempt(() => probe({ tempRoot: dir }), op);
      expect(existsSync(MARK)).toBe(false);
      // program needs a braced literal; dump_image takes any quoted word but no control character.
      const refuse = opName === 'flash' ? notInBraces(dir) : opName === 'dump' ? CONTROL.test(dir) : false;
      expect([opName, 'refused' in r]).toEqual([opName, refuse]);
      if ('refused' in r) expect(r.refused.message).toMatch(/TMPDIR/);
    }
  });

  test('dump_image writes to the literal file name, braces and all', async () => {
    const out = join(base, 'dumps');
    mkdirSync(out, { recursive: true });
    const names = [`x} ; ${EXEC} ;{`, `[${EXEC}]`, `$HIL_MARK "q" \\ #`].map((n) => `${n}.bin`);
    const p = probe({});
    await p.run(
      dumpArgv(
        { target: 'generic', interfaceCfg: FAKE },
        names.map((n) => ({ file: join(out, n), base: 0x08000000, size: 16 })),
      ),
    );
    // The fake target cannot read memory, but dump_image opens its file first: the first one exists.
    expect(readdirSync(out)).toEqual([names[0]]);
  });
});

describe('through the CLI: hil flash and hil dump on a bench rig file (real openocd, fake gpioset v2)', () => {
  afterEach(() => expect(existsSync(MARK)).toBe(false));

  async function benchRig(probeLines: string[]): Promise<{ rig: string; env: Record<string, string>; gpioLog: string; dir: string }> {
    const dir = mkdtempSync(join(base, 'bench-'));
    const rig = join(dir, 'bench.yaml');
    writeFileSync(
      rig,
      [
        'name: bench-fake',
        'target: stm32f429',
        'scheme: stm32-dualbank',
        'gpio:',
        '  pins:',
        '    relay: { chip: gpiochip0, offset: 17 }',
        'power: { driver: relay, pin: relay, onSettleMs: 1, offSettleMs: 1, minOffMs: 10, offMs: 10 }',
        'console: { driver: serial, port: /dev/serial/by-id/not-plugged-in, baud: 115200 }',
        'updater: { driver: probe }',
        'probe:',
        '  driver: openocd',
        '  timeoutMs: 10000',
        ...probeLines,
      ].join('\n') + '\n',
    );
    const gpioLog = join(dir, 'gpio.log');
    return { rig, dir, gpioLog, env: { PATH: `${GPIO_FAKES}:${process.env.PATH}`, FAKE_GPIO_LOG: gpioLog, HIL_MARK: MARK } };
  }

  const AUDIT = `interface/dummy.cfg} ; ${EXEC} ;{`;
  test.each([
    ['interface', [`  interface: ${JSON.stringify(`${FAKE}} ; ${EXEC} ;{`)}`, '  target: none'], /bench\.yaml:13:\d+: probe\.interface: "}" is not allowed/],
    ['interface (the audit value)', [`  interface: ${JSON.stringify(AUDIT)}`, '  target: none'], /bench\.yaml:13:\d+: probe\.interface/],
    ['target', [`  interface: ${FAKE}`, `  target: ${JSON.stringify(`${NOOP}} ; ${EXEC} ;{`)}`], /bench\.yaml:14:\d+: probe\.target/],
    ['configs', [`  interface: ${FAKE}`, '  target: none', `  configs: [${JSON.stringify(NOOP)}, ${JSON.stringify(`${NOOP}\\\n${EXEC}`)}]`], /bench\.yaml:15:\d+: probe\.configs\[1\]/],
    ['adapterSerial with a newline', [`  interface: ${FAKE}`, '  target: none', `  adapterSerial: ${JSON.stringify(`E66\n${EXEC}`)}`], /bench\.yaml:15:\d+: probe\.adapterSerial/],
  ])('%s: hil flash and hil dump exit 2 at the line, before any pin is driven', async (_name, lines, where) => {
    const b = await benchRig(lines as string[]);
    const img = join(b.dir, 'app.bin');
    writeFileSync(img, Buffer.alloc(64, 1));
    for (const args of [
      ['flash', '--rig', b.rig, img, '--no-verify'],
      ['dump', '--rig', b.rig, '--out', join(b.dir, 'out')],
    ]) {
      const r = await hil(args, { env: b.env });
      expect([args[0], r.exitCode]).toEqual([args[0], 2]);
      expect(r.stderr).toMatch(where as RegExp);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(MARK)).toBe(false);
    }
    expect(readLog(b.gpioLog)).toEqual([]);
  });

  test('the loader refuses the rig with its line, and openRig (hil run, hil cut) refuses a config built in code the same way, before any pin, console or power', async () => {
    const b = await benchRig([`  interface: ${JSON.stringify(`${FAKE}} [${EXEC}] {`)}`, '  target: none']);
    await expect(loadRig(b.rig)).rejects.toThrow(/bench\.yaml:13:\d+: probe\.interface: "}" is not allowed/);
    const clean = await benchRig([`  interface: ${FAKE}`, '  target: none']);
    const path = process.env.PATH;
    process.env.PATH = clean.env.PATH; // the fake gpioset, were a pin ever opened
    process.env.FAKE_GPIO_LOG = clean.gpioLog;
    try {
      const config = await loadRig(clean.rig);
      const hostile = { ...config, probe: { ...config.probe!, interface: `${FAKE}} [${EXEC}] {` } } as typeof config;
      await expect(openRig(hostile)).rejects.toThrow(/probe\.interface: "}" is not allowed/);
    } finally {
      process.env.PATH = path;
      delete process.env.FAKE_GPIO_LOG;
    }
    expect(readLog(clean.gpioLog)).toEqual([]);
    expect(existsSync(MARK)).toBe(false);
  });

  test('hil flash of an image named with a brace: exit 2 naming the image, nothing run', async () => {
    const b = await benchRig([`  interface: ${FAKE}`, '  target: none']);
    const img = join(b.dir, `app} ; ${EXEC} ;{.bin`);
    writeFileSync(img, Buffer.alloc(64, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--no-verify'], { env: b.env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/image ".*app\} ; exec touch \[env HIL_MARK\] ;\{\.bin": "}" is not allowed/);
    expect(readLog(b.gpioLog)).toEqual([]); // refused before the rig was powered
  });

  test('hil dump with TMPDIR holding braces and brackets runs nothing; with a newline it is refused naming TMPDIR', async () => {
    const b = await benchRig([`  interface: ${FAKE}`, '  target: none']);
    const braces = join(b.dir, `t} [${EXEC}] {`);
    const newline = join(b.dir, `t\n${EXEC}`);
    for (const d of [braces, newline]) mkdirSync(d);
    const r = await hil(['dump', '--rig', b.rig, '--out', join(b.dir, 'out')], { env: { ...b.env, TMPDIR: braces } });
    // dump_image gets the quoted name whole; the fake target then cannot read memory: a device failure.
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("doesn't support read_memory");
    const n = await hil(['dump', '--rig', b.rig, '--out', join(b.dir, 'out')], { env: { ...b.env, TMPDIR: newline } });
    expect(n.exitCode).toBe(3);
    expect(n.stderr).toMatch(/temp folder .* \(TMPDIR\) cannot hold files for openocd: a newline/);
  });

  test('a hostile adapterSerial without control characters reaches openocd and the flash succeeds', async () => {
    const b = await benchRig([`  interface: ${FAKE}`, '  target: none', `  adapterSerial: ${JSON.stringify(`E66} ; ${EXEC} ;{ [${EXEC}] $x "q"`)}`]);
    const img = join(b.dir, 'app.bin');
    writeFileSync(img, Buffer.alloc(64, 1));
    const r = await hil(['flash', '--rig', b.rig, img, '--no-verify', '--json'], { env: b.env });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, outcome: 'ok' });
  });
});
