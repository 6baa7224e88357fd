/**
 * Fake machines for the doctor tests: a temp dir standing in for / (dev/, sys/, etc/group), fake
 * executables (small node scripts) on a fake PATH, and a simulated non-root user whose permissions
 * come from mode bits. This container has no GPIO chips, serial ports or USB devices, so every
 * kernel device here is a plain file or symlink in the fake tree.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { modeBitsAccess, runProgram, type Check, type DoctorEnv } from '../../src/doctor/index.js';
import { parseRig, type RigConfig } from '../../src/config/index.js';

/** Every fake file is owned by the test runner's gid; etc/group decides which name that gid has. */
export const FILE_GID = process.getgid!();
/** Never the runner's uid, so the owner bits of fake files do not apply to the simulated user. */
export const USER_UID = process.getuid!() + 4242;
const OTHER_GID = FILE_GID + 4242;

export interface FakeMachine {
  root: string;
  bin: string;
  env: DoctorEnv;
  /** Writes a file under the fake root (parents created), optionally chmod'ed. */
  file(rel: string, text?: string, mode?: number): string;
  link(rel: string, target: string): void;
  tool(name: string, script: string): string;
  cleanup(): void;
}

export interface FakeOptions {
  /** Which group name owns the fake devices (gets FILE_GID), e.g. dialout, gpio, plugdev. */
  deviceGroup?: string;
  /** Is the simulated user in deviceGroup in this session? */
  inDeviceGroup?: boolean;
  /** Listed as a member in etc/group (usermod done) without the session having it. */
  listedOnly?: boolean;
  uid?: number;
  nodeVersion?: string;
  /** Extra PATH entries after the fake bin (e.g. /usr/bin for the real openocd). */
  extraPath?: string[];
}

export function fakeMachine(opts: FakeOptions = {}): FakeMachine {
  const root = mkdtempSync(join(tmpdir(), 'hil-doctor-'));
  const bin = join(root, 'fakebin');
  mkdirSync(bin);
  const deviceGroup = opts.deviceGroup ?? 'dialout';
  const names = ['dialout', 'gpio', 'plugdev'];
  const gidOf = (n: string) => (n === deviceGroup ? FILE_GID : OTHER_GID + names.indexOf(n) + 1);
  const members = (n: string) => (n === deviceGroup && (opts.inDeviceGroup || opts.listedOnly) ? 'alice' : '');
  // A runner that is root owns the fake files with gid 0: then "root" must not be gid 0 here.
  const rootGid = deviceGroup === 'root' ? FILE_GID : FILE_GID === 0 ? OTHER_GID + 10 : 0;
  const groupLines = [`root:x:${rootGid}:`, ...names.map((n) => `${n}:x:${gidOf(n)}:${members(n)}`), `alice:x:${OTHER_GID}:`];
  const groups = [OTHER_GID, ...(opts.inDeviceGroup ? [FILE_GID] : [])];
  const uid = opts.uid ?? USER_UID;
  const file = (rel: string, text = '', mode?: number) => {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    if (mode !== undefined) chmodSync(p, mode);
    return p;
  };
  file('etc/group', groupLines.join('\n') + '\n');
  return {
    root,
    bin,
    env: {
      root,
      nodeVersion: opts.nodeVersion ?? '20.19.0',
      uid,
      user: 'alice',
      groups,
      pathDirs: [bin, ...(opts.extraPath ?? [])],
      access: modeBitsAccess(uid, groups),
      run: runProgram,
    },
    file,
    link(rel, target) {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      symlinkSync(target, p);
    },
    tool(name, script) {
      const p = join(bin, name);
      writeFileSync(p, `#!${process.execPath}\n${script}\n`);
      chmodSync(p, 0o755);
      return p;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A fake USB device in sysfs (and its /dev/bus/usb node, mode as given). */
export function fakeUsb(m: FakeMachine, port: string, d: { vid: string; pid: string; serial?: string; product?: string; bus?: number; dev?: number; mode?: number }): void {
  const dir = `sys/bus/usb/devices/${port}`;
  m.file(`${dir}/idVendor`, d.vid + '\n');
  m.file(`${dir}/idProduct`, d.pid + '\n');
  if (d.serial) m.file(`${dir}/serial`, d.serial + '\n');
  if (d.product) m.file(`${dir}/product`, d.product + '\n');
  const bus = d.bus ?? 1;
  const dev = d.dev ?? 5;
  m.file(`${dir}/busnum`, `${bus}\n`);
  m.file(`${dir}/devnum`, `${dev}\n`);
  m.file(`dev/bus/usb/${String(bus).padStart(3, '0')}/${String(dev).padStart(3, '0')}`, '', d.mode ?? 0o660);
}

/** A fake GPIO chip: /dev/gpiochipN (mode) and its legacy sysfs node with label/base/ngpio. */
export function fakeChip(m: FakeMachine, n: number, c: { label: string; base: number; lines: number; mode?: number }): void {
  m.file(`dev/gpiochip${n}`, '', c.mode ?? 0o660);
  const dir = `sys/bus/gpio/devices/gpiochip${n}/gpio/gpiochip${c.base}`;
  m.file(`${dir}/label`, c.label + '\n');
  m.file(`${dir}/base`, `${c.base}\n`);
  m.file(`${dir}/ngpio`, `${c.lines}\n`);
}

/** A USB serial adapter: dev/ttyUSBn plus its by-id link (relative, as udev makes it). */
export function fakeSerial(m: FakeMachine, tty: string, byId: string, mode = 0o660): string {
  m.file(`dev/${tty}`, '', mode);
  m.link(`dev/serial/by-id/${byId}`, `../../${tty}`);
  return `/dev/serial/by-id/${byId}`;
}

/** Writes a rig file into `dir` and parses it (so the test sees config errors at once). */
export function writeRig(dir: string, name: string, yaml: string): RigConfig {
  const file = join(dir, `${name}.yaml`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, yaml);
  return parseRig(yaml, file);
}

export const GPIOSET_V1 = `if (process.argv[2] === '--version') { console.log('gpioset (libgpiod) v1.6.3'); process.exit(0); } process.exit(1);`;
export const GPIOSET_V2 = `if (process.argv[2] === '--version') { console.log('gpioset (libgpiod) v2.1'); process.exit(0); } process.exit(1);`;
/** v1 gpiofind: GPIO0..GPIO27 live on gpiochip0. */
export const GPIOFIND = `const m = /^GPIO(\\d+)$/.exec(process.argv[2] ?? ''); if (m && Number(m[1]) < 28) { console.log('gpiochip0 ' + m[1]); process.exit(0); } process.exit(1);`;

/** Fake uhubctl: 1-1 switches per port (ppps), 9-9 is ganged, anything else is not there. */
export const UHUBCTL = `
const argv = process.argv.slice(2);
const loc = argv[argv.indexOf('-l') + 1];
if (loc !== '1-1' && loc !== '9-9') { console.log('No compatible devices detected at location ' + loc + '!'); console.log('Run with -h to get usage info.'); process.exit(1); }
console.log('Current status for hub ' + loc + ' [2109:2817 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ' + (loc === '1-1' ? 'ppps' : 'ganged') + ']');
for (let p = 1; p <= 4; p++) console.log('  Port ' + p + ': 0100 power');
`;

/** A rig on real hardware: RP2040 over the Debug Probe, relay power, serial console. */
export function benchRig(o: { port?: string; relay?: string; probe?: string; power?: string; gpio?: string } = {}): string {
  return `target: rp2040
scheme: sfu-ab
${
  o.gpio ??
  `gpio:
  pins:
    relay: ${o.relay ?? '{ chip: pinctrl-rp1, offset: 17, activeLow: true }'}`
}
power:
${
  o.power ??
  `  driver: relay
  pin: relay`
}
console:
  driver: serial
  port: ${o.port ?? '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0'}
  baud: 921600
updater:
  driver: sfu
probe:
${
  o.probe ??
  `  driver: openocd
  interface: interface/cmsis-dap.cfg`
}
`;
}

/** The check with this id; a missing id fails the test here rather than as "undefined" later. */
export function byId(checks: readonly Check[], id: string): Check {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in: ${checks.map((x) => x.id).join(', ')}`);
  return c;
}
