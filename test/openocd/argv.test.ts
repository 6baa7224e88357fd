import { describe, expect, test } from '@jest/globals';
import {
  dumpArgv,
  massEraseArgv,
  nrf52RecoverArgv,
  openOcdProbeIssues,
  OpenOcdValueError,
  parseStm32UserOptions,
  programArgv,
  stm32OptionsReadArgv,
  stm32OptionsWriteArgv,
  tclQuote,
  withBfb2,
} from '../../src/protocols/openocd/index.js';

const NS = ['-c', 'gdb_port disabled', '-c', 'tcl_port disabled', '-c', 'telnet_port disabled'];

describe('argv builders', () => {
  test('stm32f429, adapter serial and extra configs, bank 2', () => {
    const argv = programArgv({ target: 'stm32f429', interfaceCfg: 'interface/stlink.cfg', adapterSerial: '066E FF;x', configs: ['rig/a b.cfg', 'rig/c.cfg'] }, 'fw_b.bin', 0x08100000, {
      verify: true,
      reset: true,
    });
    expect(argv).toEqual([
      '-f',
      'interface/stlink.cfg',
      '-c',
      'adapter serial {066E FF;x}',
      '-f',
      'target/stm32f4x.cfg',
      '-f',
      'rig/a b.cfg',
      '-f',
      'rig/c.cfg',
      ...NS,
      '-c',
      'program {fw_b.bin} 0x08100000 verify reset exit',
    ]);
  });

  test('rp2040: adapter speed 5000 and USE_CORE 0 before the target cfg', () => {
    expect(programArgv({ target: 'rp2040', interfaceCfg: 'interface/cmsis-dap.cfg' }, 'fw.bin', 0x10000000, { verify: false })).toEqual([
      '-f',
      'interface/cmsis-dap.cfg',
      '-c',
      'adapter speed 5000',
      '-c',
      'set USE_CORE 0',
      '-f',
      'target/rp2040.cfg',
      ...NS,
      '-c',
      'program {fw.bin} 0x10000000 exit',
    ]);
  });

  test('nrf52840: mass erase on a halted chip, and recover', () => {
    const s = { target: 'nrf52840' as const, interfaceCfg: 'interface/cmsis-dap.cfg' };
    expect(massEraseArgv(s)).toEqual(['-f', 'interface/cmsis-dap.cfg', '-f', 'target/nrf52.cfg', ...NS, '-c', 'init', '-c', 'reset halt', '-c', 'nrf5 mass_erase', '-c', 'shutdown']);
    expect(nrf52RecoverArgv(s)).toEqual(['-f', 'interface/cmsis-dap.cfg', '-f', 'target/nrf52.cfg', ...NS, '-c', 'init', '-c', 'nrf52_recover', '-c', 'shutdown']);
  });

  test('dump: one run, dump_image per region', () => {
    const argv = dumpArgv({ target: 'stm32f429', interfaceCfg: 'i.cfg' }, [
      { file: '/t/0.bin', base: 0x08000000, size: 16 },
      { file: '/t/1.bin', base: 0x08100000, size: 32 },
    ]);
    expect(argv.slice(-10)).toEqual(['-c', 'init', '-c', 'reset halt', '-c', 'dump_image {/t/0.bin} 0x08000000 16', '-c', 'dump_image {/t/1.bin} 0x08100000 32', '-c', 'shutdown']);
  });

  test('BFB2: read, derive new = read | 0x10 / read & ~0x10, write', () => {
    const s = { target: 'stm32f429' as const, interfaceCfg: 'interface/stlink.cfg' };
    expect(stm32OptionsReadArgv(s).slice(-8)).toEqual(['-c', 'init', '-c', 'reset halt', '-c', 'stm32f2x options_read 0', '-c', 'shutdown']);
    const read = parseStm32UserOptions('Info : x\nstm32f2x user_options 0x0EC\n');
    expect(read).toBe(0x0ec);
    expect(withBfb2(read!, true)).toBe(0x0fc);
    expect(withBfb2(0x0fc, false)).toBe(0x0ec);
    expect(() => withBfb2(0x1003, true)).toThrow(RangeError);
    expect(stm32OptionsWriteArgv(s, 0x0fc).slice(-10)).toEqual(['-c', 'init', '-c', 'reset halt', '-c', 'stm32f2x options_write 0 0x0FC', '-c', 'reset', '-c', 'shutdown']);
  });

  test('tclQuote keeps hostile values literal', () => {
    expect(tclQuote('a b;shutdown.bin')).toBe('{a b;shutdown.bin}');
    expect(tclQuote('$(rm -rf /)')).toBe('{$(rm -rf /)}');
    expect(tclQuote('x}y [z]')).toBe('x\\}y\\ \\[z\\]');
    expect(tclQuote('')).toBe('{}');
  });

  test('tclQuote never leaves a control character raw (newline, CR, tab become escapes)', () => {
    expect(tclQuote('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
  });
});

describe('values openocd would run as TCL are refused by every builder (issue 8, defect 2)', () => {
  const ok = { target: 'generic' as const, interfaceCfg: 'i.cfg' };
  const builders = {
    program: (s: typeof ok) => programArgv(s, 'fw.bin', 0x08000000),
    dump: (s: typeof ok) => dumpArgv(s, [{ file: '/t/0.bin', base: 0x08000000, size: 16 }]),
    massErase: (s: typeof ok) => massEraseArgv(s),
  };
  const refused = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof OpenOcdValueError ? e.field : `not an OpenOcdValueError: ${String(e)}`;
    }
    return 'accepted';
  };

  test.each([
    ['probe.interface', { interfaceCfg: 'interface/dummy.cfg} ; exec touch /tmp/x ;{' }],
    ['probe.interface', { interfaceCfg: 'a\\b.cfg' }],
    ['probe.interface', { interfaceCfg: '' }],
    ['probe.target', { targetCfg: 'target/x.cfg\nexec touch /tmp/x' }],
    ['probe.configs[1]', { configs: ['ok.cfg', '{x'] }],
    ['probe.adapterSerial', { adapterSerial: 'E66\u0000' }],
    ['probe.adapterSpeedKhz', { adapterSpeedKhz: 1e21 }],
  ])('%s refused in %j', (field, extra) => {
    for (const build of Object.values(builders)) expect(refused(() => build({ ...ok, ...extra }))).toBe(field);
  });

  test('a brace, quote, bracket or $ is fine where the word is TCL-quoted (adapter serial, dump_image)', () => {
    const serial = 'E6} [exec x] $y "z"';
    expect(programArgv({ ...ok, adapterSerial: serial }, 'fw.bin', 0)).toContain(`adapter serial ${tclQuote(serial)}`);
    expect(dumpArgv(ok, [{ file: '/t/x} [y] {.bin', base: 0, size: 4 }])).toContain('dump_image /t/x\\}\\ \\[y\\]\\ \\{.bin 0x00000000 4');
  });

  test('program refuses an image name with a brace or backslash (the proc evals it inside braces)', () => {
    expect(refused(() => programArgv(ok, '/t/x} [exec touch /tmp/x] {.bin', 0))).toBe('image');
    expect(refused(() => programArgv(ok, '/t/x\\', 0))).toBe('image');
    expect(refused(() => programArgv(ok, '/t/a b;$x [y] "q" #.bin', 0))).toBe('accepted');
  });

  test('dump sizes are whole and inside 32 bits', () => {
    for (const size of [0, -1, 1.5, Number.NaN, 0x1_0000_0000]) expect(() => dumpArgv(ok, [{ file: '/t/0.bin', base: 0, size }])).toThrow(RangeError);
  });

  test('openOcdProbeIssues: every problem of a probe section, with its path, for the config loader', () => {
    expect(openOcdProbeIssues({ interface: 'a}.cfg', target: 'none', configs: ['ok.cfg', 'b\\.cfg', 'c\n'], adapterSerial: 'ok', adapterSpeedKhz: 0 }).map((i) => i.path)).toEqual([
      ['interface'],
      ['configs', 1],
      ['configs', 2],
      ['adapterSpeedKhz'],
    ]);
    expect(openOcdProbeIssues({ interface: 'interface/stlink.cfg', target: 'target/stm32f4x.cfg', configs: [], adapterSerial: 'x} ;{', adapterSpeedKhz: 4000 })).toEqual([]);
  });
});
