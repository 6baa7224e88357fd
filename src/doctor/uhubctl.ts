/**
 * uhubctl power: the binary runs and `uhubctl -l HUB` lists the rig's port on a hub that switches
 * power per port (Pi 4/5 on-board ports are ganged: "off" there cuts every port, or nothing).
 */
import path from 'node:path';
import { which } from './env.js';
import type { Check, CheckContext } from './types.js';

const INSTALL = 'sudo apt-get install -y uhubctl';
/** The permission rule from the uhubctl README, so a non-root user can switch ports. */
const UDEV_FIX = `echo 'SUBSYSTEM=="usb", DRIVER=="hub|usb", MODE="0664", GROUP="dialout"' | sudo tee /etc/udev/rules.d/52-uhubctl.rules && sudo udevadm trigger --attr-match=subsystem=usb   # and be in dialout`;

export interface UhubctlHub {
  location: string;
  description: string;
  ports: number[];
}

/** The `Current status for hub LOC [desc]` sections of uhubctl's listing. */
export function parseUhubctlHubs(output: string): UhubctlHub[] {
  const hubs: UhubctlHub[] = [];
  let hub: UhubctlHub | undefined;
  for (const line of output.split('\n')) {
    const h = /^(?:Current|New) status for hub (\S+)\s*\[(.*)\]/.exec(line);
    if (h) {
      hub = { location: h[1]!, description: h[2]!, ports: [] };
      hubs.push(hub);
      continue;
    }
    const p = /^\s+Port (\d+):/.exec(line);
    if (p && hub) hub.ports.push(Number(p[1]));
    else if (!/^\s/.test(line)) hub = undefined;
  }
  return hubs;
}

export async function checkUhubctl({ env, rig }: CheckContext): Promise<Check[]> {
  const power = rig?.power.driver === 'uhubctl' ? rig.power : undefined;
  if (rig && !power) return [{ id: 'uhubctl', title: 'uhubctl', status: 'skip', detail: `not used by this rig (power.driver is ${rig.power.driver})` }];
  const name = power?.binary ?? 'uhubctl';
  const binary = await which(env, name, rig ? path.dirname(rig.file) : process.cwd());
  if (!binary) return [{ id: 'uhubctl.binary', title: 'uhubctl', status: power ? 'fail' : 'warn', detail: `${name} not found on PATH`, fix: INSTALL }];
  const checks: Check[] = [{ id: 'uhubctl.binary', title: 'uhubctl', status: 'ok', detail: binary }];
  if (!power) return checks;

  const id = 'uhubctl.port';
  const title = `uhubctl hub ${power.hub} port ${power.port}`;
  const r = await env.run(binary, ['-l', power.hub], { timeoutMs: 10_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.timedOut)
    return [...checks, { id, title, status: 'fail', detail: `${binary} -l ${power.hub} did not answer within 10 s`, fix: 'sudo uhubctl   # run by hand: a hung USB hub needs replugging' }];
  if (/No compatible devices detected/i.test(out) || /permission|EACCES|must be root/i.test(out)) {
    const perm = env.uid !== 0;
    return [
      ...checks,
      {
        id,
        title,
        status: 'fail',
        detail: `uhubctl finds no switchable hub at ${power.hub}${perm ? ' (as a non-root user it also sees none when it may not open the hubs)' : ''}`,
        fix: perm
          ? `sudo uhubctl   # lists switchable hubs; if it shows ${power.hub}, allow your user: ${UDEV_FIX}`
          : 'uhubctl   # lists switchable hubs and their locations: set power.hub to one of them',
      },
    ];
  }
  const hubs = parseUhubctlHubs(out).filter((h) => h.location === power.hub || h.location.startsWith(`${power.hub}`));
  const hub = hubs.find((h) => h.location === power.hub) ?? hubs[0];
  if (r.exitCode !== 0 || !hub) {
    return [
      ...checks,
      {
        id,
        title,
        status: 'fail',
        detail: `${binary} -l ${power.hub} exited ${r.exitCode ?? '?'}: ${out.trim().split('\n').slice(-2).join(' / ')}`,
        fix: 'uhubctl   # lists switchable hubs and their locations: set power.hub to one of them',
      },
    ];
  }
  if (!hub.ports.includes(power.port)) {
    return [...checks, { id, title, status: 'fail', detail: `hub ${hub.location} has ports ${hub.ports.join(', ')}, not ${power.port}`, fix: `set power.port to one of ${hub.ports.join(', ')}` }];
  }
  if (!/\bppps\b/.test(hub.description)) {
    checks.push({
      id,
      title,
      status: 'warn',
      detail: `port ${power.port} exists, but hub ${hub.location} [${hub.description}] does not switch power per port (ganged ports: a cut switches all or none)`,
      fix: 'use a hub uhubctl lists with "ppps" (per-port power switching), or a relay',
    });
  } else {
    checks.push({ id, title, status: 'ok', detail: `hub ${hub.location} [${hub.description}] has port ${power.port}` });
  }
  return checks;
}
