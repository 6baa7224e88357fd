/**
 * Serial ports of the rig (console, programmable supply): present, named by /dev/serial/by-id/
 * (ttyUSB0-style names move between boots and after a re-enumeration), not a link left dangling
 * by an unplugged adapter, and openable by this user (the dialout group on Debian and Pi OS).
 */
import path from 'node:path';
import { addToGroupFix, fileStat, groupMembership, groupName, list, pathState, resolveLink, under } from './env.js';
import type { Check, CheckContext, DoctorEnv } from './types.js';

const BY_ID = '/dev/serial/by-id';

/** The serial ports a rig opens, with the key that names each in the rig file. */
export function rigSerialPorts(rig: NonNullable<CheckContext['rig']>): { role: string; key: string; port: string }[] {
  const ports: { role: string; key: string; port: string }[] = [];
  // A product rig: every processor's console (its top-level console is the host's, listed here by member).
  if (rig.mcus) {
    for (const [name, mcu] of Object.entries(rig.mcus)) {
      if (mcu.console.driver === 'serial') ports.push({ role: `console (${name})`, key: `mcus.${name}.console.port`, port: mcu.console.port });
    }
  } else if (rig.console.driver === 'serial') ports.push({ role: 'console', key: 'console.port', port: rig.console.port });
  if (rig.power.driver === 'supply') ports.push({ role: 'supply', key: 'power.port', port: rig.power.port });
  return ports;
}

/** by-id entries and the device each points to (`/dev/ttyUSB0`), as seen from `root`. */
export async function byIdPorts(env: DoctorEnv): Promise<{ path: string; device?: string }[]> {
  const dir = under(env, BY_ID);
  const ports: { path: string; device?: string }[] = [];
  for (const entry of await list(dir)) {
    const real = await resolveLink(path.join(dir, entry));
    ports.push({ path: `${BY_ID}/${entry}`, ...(real && { device: fromRoot(env, real) }) });
  }
  return ports;
}

function fromRoot(env: DoctorEnv, real: string): string {
  return env.root === '/' ? real : '/' + path.relative(env.root, real);
}

async function accessCheck(env: DoctorEnv, id: string, title: string, port: string): Promise<Check> {
  const file = under(env, port);
  if (await env.access(file, 'rw')) return { id, title, status: 'ok', detail: env.uid === 0 ? `${port}: running as root` : `${port}: readable and writable by ${env.user || `uid ${env.uid}`}` };
  const owner = await fileStat(file);
  const group = (owner && (await groupName(env, owner.gid))) ?? 'dialout';
  const m = await groupMembership(env, group);
  const fix = m.state === 'relogin' ? `you are in ${group} in /etc/group, but not in this session: log out and in again (or run: newgrp ${group})` : addToGroupFix(group);
  return { id, title, status: 'fail', detail: `${env.user || `uid ${env.uid}`} cannot open ${port} (group ${group}, and you are not in it)`, fix };
}

/** by-id names of the debuggers boards carry (their VCP vanishes with the board's power). */
const ON_BOARD_ADAPTER = /STLink|ST-LINK|SEGGER|J-Link/i;

export async function checkSerial({ env, rig }: CheckContext): Promise<Check[]> {
  if (!rig) return machineSerial(env);
  const ports = rigSerialPorts(rig);
  if (ports.length === 0) {
    const how = rig.console.driver === 'tcp' ? `console over TCP (${rig.console.host}:${rig.console.port}), not checked here` : `console.driver is ${rig.console.driver}`;
    return [{ id: 'serial', title: 'Serial ports', status: 'skip', detail: `not used by this rig (${how})` }];
  }
  const present = await byIdPorts(env);
  const listing = present.length ? ` (in ${BY_ID}: ${present.map((p) => path.basename(p.path)).join(', ')})` : ` (${BY_ID} is empty: no USB serial adapter plugged in)`;
  const pickFix = (key: string) => `plug the adapter in, then set ${key} to its entry in: ls -l ${BY_ID}/`;
  const checks: Check[] = [];
  for (const { role, key, port } of ports) {
    const id = `serial.${role}`;
    const title = `Serial port (${role})`;
    const state = await pathState(under(env, port));
    if (state === 'missing') {
      // An adapter on the board (ST-LINK VCP, J-Link OB) exists only while the board is powered,
      // and a rig opens with its power off: then hil powers the board and waits for the port.
      if (role === 'console' && rig.power.driver !== 'twin' && ON_BOARD_ADAPTER.test(path.basename(port))) {
        checks.push({
          id,
          title,
          status: 'warn',
          detail: `${port} does not exist${listing}; if the adapter is powered by the board, that is expected while the board is off`,
          fix: `check with the board powered: hil console --rig ${rig.name} --power on (Ctrl-] quits); otherwise ${pickFix(key)}`,
        });
        continue;
      }
      checks.push({ id, title, status: 'fail', detail: `${port} does not exist${listing}`, fix: pickFix(key) });
      continue;
    }
    if (state === 'dangling') {
      checks.push({ id, title, status: 'fail', detail: `${port} is a link to a device that is gone (unplugged, or re-enumerated under another name)`, fix: pickFix(key) });
      continue;
    }
    const real = await resolveLink(under(env, port));
    const device = real ? fromRoot(env, real) : port;
    if (port.startsWith(`${BY_ID}/`) || port.startsWith('/dev/serial/by-path/')) {
      checks.push({ id, title, status: 'ok', detail: `${port} -> ${device}` });
    } else {
      const stable = present.find((p) => p.device === device);
      checks.push({
        id,
        title,
        status: 'warn',
        detail: `${port} exists, but ttyUSB/ttyACM numbers move between boots and after a power cut re-enumerates the adapter`,
        fix: stable ? `set ${key}: ${stable.path}` : pickFix(key),
      });
    }
    checks.push(await accessCheck(env, `serial.access:${role}`, `Serial permissions (${role})`, port));
  }
  return checks;
}

/** Without a rig: which adapters are plugged in, and whether this user could open them. */
async function machineSerial(env: DoctorEnv): Promise<Check[]> {
  const present = await byIdPorts(env);
  const checks: Check[] = [
    present.length
      ? { id: 'serial.ports', title: 'Serial ports', status: 'ok', detail: present.map((p) => `${p.path}${p.device ? ` -> ${p.device}` : ' (dangling)'}`).join('; ') }
      : { id: 'serial.ports', title: 'Serial ports', status: 'warn', detail: `nothing in ${BY_ID}: no USB serial adapter plugged in` },
  ];
  if (env.uid === 0) {
    checks.push({ id: 'serial.dialout', title: 'dialout group', status: 'ok', detail: 'running as root' });
    return checks;
  }
  const m = await groupMembership(env, 'dialout');
  const who = env.user || `uid ${env.uid}`;
  if (m.state === 'member') checks.push({ id: 'serial.dialout', title: 'dialout group', status: 'ok', detail: `${who} is in dialout` });
  else if (m.state === 'relogin')
    checks.push({
      id: 'serial.dialout',
      title: 'dialout group',
      status: 'warn',
      detail: `${who} is in dialout in /etc/group, but not in this session`,
      fix: 'log out and in again (or run: newgrp dialout)',
    });
  else if (m.state === 'absent')
    checks.push({ id: 'serial.dialout', title: 'dialout group', status: 'warn', detail: `${who} is not in dialout: serial ports will not open`, fix: addToGroupFix('dialout') });
  else checks.push({ id: 'serial.dialout', title: 'dialout group', status: 'warn', detail: 'no dialout group in /etc/group', fix: 'sudo groupadd -f dialout && ' + addToGroupFix('dialout') });
  return checks;
}
