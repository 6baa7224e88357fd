import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkNode, checkOpenOcd } from '../../src/doctor/index.js';
import { parseOpenOcdVersion } from '../../src/doctor/openocd.js';
import { benchRig, fakeMachine, writeRig, byId, type FakeMachine } from './fake.js';

let m: FakeMachine;
afterEach(() => m?.cleanup());

describe('node', () => {
  test('20.19 and later pass, 18 fails with the install command', async () => {
    m = fakeMachine({ nodeVersion: '20.19.0' });
    expect((await checkNode({ env: m.env }))[0]!.status).toBe('ok');
    m.env.nodeVersion = '22.3.0';
    expect((await checkNode({ env: m.env }))[0]!.status).toBe('ok');
    m.env.nodeVersion = '18.19.1';
    const [c] = await checkNode({ env: m.env });
    expect(c!.status).toBe('fail');
    expect(c!.detail).toContain('v18.19.1 is too old');
    expect(c!.fix).toContain('sudo apt-get install -y nodejs');
  });
});

describe('openocd, the real binary and its real scripts folder', () => {
  // Not skipped when openocd is missing: npm test installs it (scripts/test.sh), and a silent skip would hide that.
  const realTest = test;
  test('openocd is installed where the real-binary tests look', () => expect(existsSync('/usr/bin/openocd')).toBe(true));

  realTest('openocd --version runs, /usr/share/openocd/scripts is found, the rig cfg files resolve', async () => {
    m = fakeMachine({ extraPath: ['/usr/bin', '/usr/local/bin'] });
    // The scripts folder is the real one, so the fake root must not hide it.
    m.env.root = '/';
    const rigDir = join(m.root, 'rigs');
    m.file('rigs/cfg/board-extra.cfg', '# bench-specific adapter settings\n');
    const rig = writeRig(rigDir, 'bench', benchRig({ probe: '  driver: openocd\n  interface: interface/cmsis-dap.cfg\n  configs: [cfg/board-extra.cfg]' }));
    const checks = await checkOpenOcd({ env: m.env, rig });
    expect(byId(checks, 'openocd.binary')).toMatchObject({ status: 'ok' });
    expect(byId(checks, 'openocd.binary').detail).toMatch(/Open On-Chip Debugger \d+\.\d+/);
    expect(byId(checks, 'openocd.scripts').detail).toMatch(/share\/openocd\/scripts$/);
    expect(byId(checks, 'openocd.interface')).toMatchObject({ status: 'ok' });
    expect(byId(checks, 'openocd.interface').detail).toContain('interface/cmsis-dap.cfg -> ');
    // target: is not in the rig: the default for rp2040.
    expect(byId(checks, 'openocd.target').detail).toMatch(/target\/rp2040\.cfg -> .*\(default for rp2040\)/);
    expect(byId(checks, 'openocd.configs:cfg/board-extra.cfg')).toMatchObject({ status: 'ok' });
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
  });

  realTest('a cfg missing from the real scripts folder fails with the fix (picoprobe.cfg, a config next to the rig)', async () => {
    m = fakeMachine({ extraPath: ['/usr/bin'] });
    m.env.root = '/';
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig({ probe: '  driver: openocd\n  interface: interface/picoprobe.cfg\n  configs: [missing.cfg]' }));
    const checks = await checkOpenOcd({ env: m.env, rig });
    const iface = byId(checks, 'openocd.interface');
    expect(iface.status).toBe('fail');
    expect(iface.detail).toContain('interface/picoprobe.cfg not found');
    expect(iface.fix).toContain('probe.interface: interface/cmsis-dap.cfg');
    const extra = byId(checks, 'openocd.configs:missing.cfg');
    expect(extra.status).toBe('fail');
    expect(extra.detail).toContain(join(m.root, 'rigs'));
  });

  realTest('a target cfg that lives elsewhere in the scripts folder is suggested by its real place', async () => {
    m = fakeMachine({ extraPath: ['/usr/bin'] });
    m.env.root = '/';
    // Upstream master moved nrf52.cfg to target/nordic/; Debian 0.12 has target/nrf52.cfg.
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig({ probe: '  driver: openocd\n  interface: interface/cmsis-dap.cfg\n  target: target/nordic/nrf52.cfg' }));
    const t = byId(await checkOpenOcd({ env: m.env, rig }), 'openocd.target');
    expect(t.status).toBe('fail');
    expect(t.fix).toBe("set probe.target: target/nrf52.cfg   (the same file in this openocd's scripts)");
  });

  test('parses the banner openocd prints on stderr', () => {
    expect(parseOpenOcdVersion('Open On-Chip Debugger 0.12.0\nLicensed under GNU GPL v2\n')).toBe('0.12.0');
    expect(parseOpenOcdVersion('Open On-Chip Debugger 0.12.0+dev-01850-geb6f2745b (2025-02-07-12:37)')).toBe('0.12.0+dev-01850-geb6f2745b');
  });
});

describe('openocd on a fake PATH', () => {
  test('missing openocd fails an openocd rig with the apt-get line', async () => {
    m = fakeMachine();
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const checks = await checkOpenOcd({ env: m.env, rig });
    expect(byId(checks, 'openocd.binary')).toEqual({ id: 'openocd.binary', title: 'OpenOCD binary', status: 'fail', detail: 'openocd not found on PATH', fix: 'sudo apt-get install -y openocd' });
    expect(byId(checks, 'openocd.scripts').status).toBe('fail');
  });

  test('missing openocd is only a warning without a rig, and not checked for a twin rig', async () => {
    m = fakeMachine();
    const checks = await checkOpenOcd({ env: m.env });
    expect(checks.map((c) => c.status)).toEqual(['warn', 'warn']);
    const twin = writeRig(
      join(m.root, 'rigs'),
      'twin',
      'target: rp2040\nscheme: sfu-ab\ntwin:\npower: { driver: twin }\nconsole: { driver: twin }\nupdater: { driver: sfu }\nprobe: { driver: twin }\n',
    );
    expect(await checkOpenOcd({ env: m.env, rig: twin })).toEqual([{ id: 'openocd', title: 'OpenOCD', status: 'skip', detail: 'not used by this rig (probe.driver is twin)' }]);
  });

  test('a fake openocd with its scripts next to its prefix: found there; a broken one fails with reinstall', async () => {
    m = fakeMachine();
    m.tool('openocd', `if (process.argv[2] === '--version') { console.error('Open On-Chip Debugger 0.12.0'); process.exit(0); }`);
    m.file('share/openocd/scripts/interface/cmsis-dap.cfg', 'adapter driver cmsis-dap\n');
    m.file('share/openocd/scripts/target/rp2040.cfg', '');
    // fakebin/openocd -> prefix is the fake root, so share/openocd/scripts sits right there.
    const rig = writeRig(join(m.root, 'rigs'), 'bench', benchRig());
    const checks = await checkOpenOcd({ env: m.env, rig });
    expect(byId(checks, 'openocd.scripts')).toMatchObject({ status: 'ok', detail: join(m.root, 'share/openocd/scripts') });
    expect(checks.every((c) => c.status === 'ok')).toBe(true);

    m.tool('openocd', `console.error('openocd: error while loading shared libraries: libjim.so.0.81'); process.exit(127);`);
    const broken = byId(await checkOpenOcd({ env: m.env, rig }), 'openocd.binary');
    expect(broken.status).toBe('fail');
    expect(broken.detail).toContain('exit 127: openocd: error while loading shared libraries');
    expect(broken.fix).toBe('sudo apt-get install --reinstall -y openocd');
  });
});
