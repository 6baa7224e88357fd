/**
 * Debug probes on USB, from /sys/bus/usb/devices (no libusb needed): which are plugged in, the
 * one the rig's `adapterSerial` names, and whether this user can open its /dev/bus/usb node
 * (openocd reports a permission problem only as "no device found").
 */
import path from 'node:path';
import { addToGroupFix, exists, fileStat, groupName, list, readText, under } from './env.js';
import { interfaceCfg, openocdProbe } from './openocd.js';
import type { Check, CheckContext, DoctorEnv } from './types.js';

export type ProbeFamily = 'stlink' | 'cmsis-dap' | 'jlink';

export interface UsbProbe {
  /** sysfs name: `1-1.2` */
  port: string;
  vid: string;
  pid: string;
  name: string;
  family: ProbeFamily;
  serial?: string;
  /** /dev/bus/usb/BBB/DDD */
  node?: string;
  note?: string;
}

const ST_LINK: Record<string, string> = {
  '3748': 'ST-LINK/V2',
  '374b': 'ST-LINK/V2-1',
  '3752': 'ST-LINK/V2-1',
  '374e': 'STLINK-V3E',
  '374f': 'STLINK-V3',
  '3753': 'STLINK-V3 (2 VCP)',
  '3754': 'STLINK-V3',
};

/** What a USB device is, as a debug probe; undefined when it is not one. */
export function identifyProbe(vid: string, pid: string, product = ''): Pick<UsbProbe, 'name' | 'family' | 'note'> | undefined {
  if (vid === '0483' && ST_LINK[pid]) return { name: ST_LINK[pid], family: 'stlink' };
  if (vid === '2e8a' && pid === '000c') return { name: 'Raspberry Pi Debug Probe / debugprobe (CMSIS-DAP v2)', family: 'cmsis-dap' };
  if (vid === '2e8a' && pid === '0004') {
    return {
      name: 'picoprobe (old firmware)',
      family: 'cmsis-dap',
      note: "old picoprobe firmware speaks its own protocol, which Debian's openocd lacks: flash the current debugprobe firmware (debugprobe_on_pico.uf2), which is CMSIS-DAP",
    };
  }
  // Nordic DKs (nRF52840-DK included) carry an on-board J-Link OB, which enumerates with these.
  if (vid === '1366' && ['1015', '1051', '1061'].includes(pid)) return { name: 'SEGGER J-Link OB (nRF52840-DK or another Nordic DK)', family: 'jlink' };
  if (vid === '1366') return { name: `SEGGER J-Link${product ? ` (${product})` : ''}`, family: 'jlink' };
  if (/CMSIS-DAP/i.test(product)) return { name: `CMSIS-DAP (${product})`, family: 'cmsis-dap' };
  return undefined;
}

/** The family an OpenOCD interface cfg drives. */
export function interfaceFamily(cfg: string | undefined): ProbeFamily | undefined {
  const base = path.basename(cfg ?? '');
  if (/^cmsis-dap/.test(base)) return 'cmsis-dap';
  if (/^st-?link/.test(base)) return 'stlink';
  if (/^jlink/.test(base)) return 'jlink';
  return undefined;
}

export async function listProbes(env: DoctorEnv): Promise<UsbProbe[] | undefined> {
  const root = under(env, '/sys/bus/usb/devices');
  if (!(await exists(root))) return undefined;
  const probes: UsbProbe[] = [];
  for (const port of await list(root)) {
    if (port.includes(':')) continue; // interfaces of a device, not devices
    const dir = path.join(root, port);
    const vid = (await readText(path.join(dir, 'idVendor')))?.toLowerCase();
    const pid = (await readText(path.join(dir, 'idProduct')))?.toLowerCase();
    if (!vid || !pid) continue;
    const product = (await readText(path.join(dir, 'product'))) ?? '';
    const known = identifyProbe(vid, pid, product);
    if (!known) continue;
    const serial = await readText(path.join(dir, 'serial'));
    const bus = Number(await readText(path.join(dir, 'busnum')));
    const dev = Number(await readText(path.join(dir, 'devnum')));
    const node = bus > 0 && dev > 0 ? `/dev/bus/usb/${String(bus).padStart(3, '0')}/${String(dev).padStart(3, '0')}` : undefined;
    probes.push({ port, vid, pid, ...known, ...(serial && { serial }), ...(node && { node }) });
  }
  return probes;
}

function describe(p: UsbProbe): string {
  return `${p.name} ${p.vid}:${p.pid} serial ${p.serial ?? '(none)'} at ${p.port}`;
}

export function udevRule(p: Pick<UsbProbe, 'vid' | 'pid'>): string {
  return `SUBSYSTEM=="usb", ATTRS{idVendor}=="${p.vid}", ATTRS{idProduct}=="${p.pid}", MODE="0660", GROUP="plugdev", TAG+="uaccess"`;
}

async function accessCheck(env: DoctorEnv, p: UsbProbe, failStatus: 'fail' | 'warn'): Promise<Check> {
  const id = 'usb.access';
  const title = 'Probe permissions';
  if (!p.node) return { id, title, status: 'warn', detail: `no bus/device number for ${p.port} in sysfs: cannot check its /dev/bus/usb node` };
  const file = under(env, p.node);
  if (await env.access(file, 'rw')) return { id, title, status: 'ok', detail: `${p.node} (${p.name}) readable and writable` };
  const owner = await fileStat(file);
  const group = owner ? await groupName(env, owner.gid) : undefined;
  // Debian's openocd package already installs a rule giving plugdev access to known probes.
  const fix =
    group === 'plugdev'
      ? addToGroupFix('plugdev')
      : `echo '${udevRule(p)}' | sudo tee /etc/udev/rules.d/60-hil-probes.rules && sudo udevadm control --reload-rules && sudo udevadm trigger && ${addToGroupFix('plugdev')}`;
  return { id, title, status: failStatus, detail: `${env.user || `uid ${env.uid}`} cannot open ${p.node} (${p.name}): openocd will say it finds no probe`, fix };
}

export async function checkUsbProbes({ env, rig }: CheckContext): Promise<Check[]> {
  const probe = openocdProbe(rig);
  if (rig && !probe) return [{ id: 'usb', title: 'Debug probes', status: 'skip', detail: `not used by this rig (probe.driver is ${rig.probe?.driver ?? 'not set'})` }];
  const probes = await listProbes(env);
  const status = probe ? 'fail' : 'warn';
  if (!probes) {
    return [
      {
        id: 'usb.probes',
        title: 'Debug probes',
        status,
        detail: 'no /sys/bus/usb/devices: no USB here (a container without the host USB bus?)',
        fix: 'run on the Pi the probe is plugged into; in a container add --device /dev/bus/usb',
      },
    ];
  }
  if (!rig || !probe) {
    if (!probes.length) return [{ id: 'usb.probes', title: 'Debug probes', status: 'warn', detail: 'no ST-LINK, CMSIS-DAP or J-Link probe on USB' }];
    const checks: Check[] = [{ id: 'usb.probes', title: 'Debug probes', status: 'ok', detail: probes.map(describe).join('; ') }];
    for (const p of probes) {
      const c = await accessCheck(env, p, 'warn');
      if (c.status !== 'ok') checks.push(c);
    }
    return checks;
  }

  const iface = interfaceCfg(rig, probe);
  const family = interfaceFamily(iface);
  const expectText =
    family === 'stlink'
      ? 'an ST-LINK (0483:3748/374b/374e/374f/3753)'
      : family === 'jlink'
        ? 'a J-Link (1366:*)'
        : family === 'cmsis-dap'
          ? 'a CMSIS-DAP probe (Debug Probe 2e8a:000c)'
          : 'a debug probe';
  const id = 'usb.probes';
  const title = 'Debug probe';
  if (!probes.length) {
    return [{ id, title, status: 'fail', detail: `no debug probe on USB; ${iface ?? 'the rig'} needs ${expectText}`, fix: `plug ${expectText} into the Pi, then check with: lsusb` }];
  }
  const candidates = family ? probes.filter((p) => p.family === family) : probes;
  if (!candidates.length) {
    const other = probes[0]!;
    const cfg = other.family === 'stlink' ? 'interface/stlink.cfg' : other.family === 'jlink' ? 'interface/jlink.cfg' : 'interface/cmsis-dap.cfg';
    return [{ id, title, status: 'fail', detail: `${iface} needs ${expectText}, but USB has only: ${probes.map(describe).join('; ')}`, fix: `plug ${expectText} in, or set probe.interface: ${cfg}` }];
  }
  let chosen: UsbProbe;
  const checks: Check[] = [];
  if (probe.adapterSerial !== undefined) {
    const match = candidates.find((p) => p.serial === probe.adapterSerial);
    if (!match) {
      const serials = candidates.map((p) => p.serial ?? '(none)');
      return [
        {
          id,
          title,
          status: 'fail',
          detail: `no probe with serial ${probe.adapterSerial}; present: ${candidates.map(describe).join('; ')}`,
          fix:
            candidates.length === 1 && candidates[0]!.serial
              ? `set probe.adapterSerial: ${candidates[0]!.serial}   (or plug in the probe with serial ${probe.adapterSerial})`
              : `plug in the probe with serial ${probe.adapterSerial}, or set probe.adapterSerial to one of: ${serials.join(', ')}`,
        },
      ];
    }
    chosen = match;
    checks.push({
      id,
      title,
      status: match.note ? 'warn' : 'ok',
      detail: `${describe(match)}${match.note ? `: ${match.note}` : ''}`,
      ...(match.note && { fix: 'flash debugprobe_on_pico.uf2 from github.com/raspberrypi/debugprobe/releases' }),
    });
  } else if (candidates.length > 1) {
    chosen = candidates[0]!;
    checks.push({
      id,
      title,
      status: 'warn',
      detail: `${candidates.length} probes and no probe.adapterSerial: openocd takes whichever it finds first (${candidates.map(describe).join('; ')})`,
      fix: `add under probe: in ${path.basename(rig.file)}:  adapterSerial: ${candidates.find((p) => p.serial)?.serial ?? 'SERIAL'}   (serials: ${candidates.map((p) => p.serial ?? '(none)').join(', ')})`,
    });
  } else {
    chosen = candidates[0]!;
    checks.push({
      id,
      title,
      status: chosen.note ? 'warn' : 'ok',
      detail: `${describe(chosen)}${chosen.note ? `: ${chosen.note}` : ''}`,
      ...(chosen.note && { fix: 'flash debugprobe_on_pico.uf2 from github.com/raspberrypi/debugprobe/releases' }),
    });
  }
  checks.push(await accessCheck(env, chosen, 'fail'));
  return checks;
}
