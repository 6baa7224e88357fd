/**
 * OpenOCD: the binary runs, its scripts folder is there, and the rig's interface, target and extra
 * config files resolve. Only a rig with `probe.driver: openocd` can fail here.
 */
import path from 'node:path';
import { DEFAULT_TARGET_CFG } from '../protocols/openocd/argv.js';
import type { RigConfig } from '../config/index.js';
import { exists, list, resolveLink, under, which } from './env.js';
import type { Check, CheckContext, CheckStatus, DoctorEnv } from './types.js';

import { DEFAULT_INTERFACE_CFG } from '../protocols/openocd/index.js';

export { DEFAULT_INTERFACE_CFG };

const INSTALL = 'sudo apt-get install -y openocd';

type OpenOcdProbe = Extract<NonNullable<RigConfig['probe']>, { driver: 'openocd' }>;

export function openocdProbe(rig: RigConfig | undefined): OpenOcdProbe | undefined {
  return rig?.probe?.driver === 'openocd' ? rig.probe : undefined;
}

/** The interface cfg the rig will load: its own, or the default for its target. */
export function interfaceCfg(rig: RigConfig, probe: OpenOcdProbe): string | undefined {
  return probe.interface ?? DEFAULT_INTERFACE_CFG[rig.target];
}

/** Where OpenOCD keeps `interface/`, `target/`, `board/`: next to the binary's prefix, else the distro's places. */
export async function findScriptsDir(env: DoctorEnv, binary: string | undefined): Promise<string | undefined> {
  const candidates: string[] = [];
  if (binary) {
    const real = (await resolveLink(binary)) ?? binary;
    candidates.push(path.join(path.dirname(path.dirname(real)), 'share/openocd/scripts'));
  }
  candidates.push(under(env, '/usr/share/openocd/scripts'), under(env, '/usr/local/share/openocd/scripts'));
  for (const c of candidates) if (await exists(path.join(c, 'interface'))) return c;
  return undefined;
}

/** `Open On-Chip Debugger 0.12.0` (printed on stderr) -> `0.12.0`. */
export function parseOpenOcdVersion(text: string): string | undefined {
  return /Open On-Chip Debugger\s+(\S+)/.exec(text)?.[1];
}

/** A cfg name resolves as a path (absolute, or relative to the rig's folder) or inside the scripts folder. */
async function resolveCfg(name: string, rigDir: string, scripts: string | undefined, scriptsToo: boolean): Promise<string | undefined> {
  const candidates = path.isAbsolute(name) ? [name] : [path.resolve(rigDir, name), ...(scriptsToo && scripts ? [path.join(scripts, name)] : [])];
  for (const c of candidates) if (await exists(c)) return c;
  return undefined;
}

/** Same file name elsewhere in the scripts folder (upstream moved nrf52.cfg to target/nordic/). */
async function sameNameElsewhere(scripts: string, name: string): Promise<string[]> {
  const base = path.basename(name);
  const found: string[] = [];
  for (const top of ['interface', 'target', 'board']) {
    for (const entry of await list(path.join(scripts, top))) {
      if (entry === base) found.push(`${top}/${entry}`);
      else if (!entry.includes('.') && (await exists(path.join(scripts, top, entry, base)))) found.push(`${top}/${entry}/${base}`);
    }
  }
  return found.filter((f) => f !== name);
}

async function missingCfgFix(name: string, role: string, scripts: string | undefined): Promise<string> {
  if (path.basename(name) === 'picoprobe.cfg') {
    return `Debian's openocd has no interface/picoprobe.cfg; current debugprobe/picoprobe firmware is CMSIS-DAP: set probe.interface: interface/cmsis-dap.cfg`;
  }
  const elsewhere = scripts ? await sameNameElsewhere(scripts, name) : [];
  if (elsewhere.length) return `set probe.${role}: ${elsewhere[0]}   (the same file in this openocd's scripts)`;
  if (role === 'configs') return `put ${path.basename(name)} where the rig file's folder says (configs: are relative to it), or fix the name`;
  const dir = name.split('/')[0] ?? role;
  return scripts ? `ls ${path.join(scripts, dir)}   # then set probe.${role} to one of them` : `${INSTALL}   # provides the scripts folder`;
}

export async function checkOpenOcd({ env, rig }: CheckContext): Promise<Check[]> {
  const probe = openocdProbe(rig);
  if (rig && !probe) {
    return [{ id: 'openocd', title: 'OpenOCD', status: 'skip', detail: `not used by this rig (probe.driver is ${rig.probe?.driver ?? 'not set'})` }];
  }
  // Without a rig, nothing here can stop a rig from running: report, never fail.
  const missing: CheckStatus = probe ? 'fail' : 'warn';
  const binaryName = probe?.binary ?? 'openocd';
  const checks: Check[] = [];
  const binary = await which(env, binaryName, rig ? path.dirname(rig.file) : process.cwd());
  if (!binary) {
    checks.push({ id: 'openocd.binary', title: 'OpenOCD binary', status: missing, detail: `${binaryName} not found on PATH`, fix: INSTALL });
  } else {
    const r = await env.run(binary, ['--version'], { timeoutMs: 5000 });
    const version = parseOpenOcdVersion(`${r.stdout}\n${r.stderr}`);
    if (r.exitCode === 0 && version) {
      checks.push({ id: 'openocd.binary', title: 'OpenOCD binary', status: 'ok', detail: `${binary}: Open On-Chip Debugger ${version}` });
    } else {
      const why = r.timedOut ? 'did not answer within 5 s' : `exit ${r.exitCode ?? '?'}: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`;
      checks.push({ id: 'openocd.binary', title: 'OpenOCD binary', status: missing, detail: `${binary} --version failed (${why})`, fix: `sudo apt-get install --reinstall -y openocd` });
    }
  }
  const scripts = await findScriptsDir(env, binary);
  checks.push(
    scripts
      ? { id: 'openocd.scripts', title: 'OpenOCD scripts', status: 'ok', detail: scripts }
      : {
          id: 'openocd.scripts',
          title: 'OpenOCD scripts',
          status: missing,
          detail: 'no share/openocd/scripts next to the binary, in /usr/share or /usr/local/share',
          fix: binary ? 'sudo apt-get install --reinstall -y openocd' : INSTALL,
        },
  );
  if (!rig || !probe) return checks;

  const rigDir = path.dirname(rig.file);
  const wanted: { role: 'interface' | 'target' | 'configs'; name: string; note: string }[] = [];
  const iface = interfaceCfg(rig, probe);
  if (iface) wanted.push({ role: 'interface', name: iface, note: probe.interface ? '' : ` (default for ${rig.target}; set probe.interface to change it)` });
  if (probe.target === 'none') {
    // Documented: the configs: files describe the whole target (a custom board, the dummy adapter).
    checks.push({ id: 'openocd.target', title: 'OpenOCD target cfg', status: 'ok', detail: 'none: no target cfg is loaded, the interface and configs: files describe the target' });
  } else {
    const target = probe.target ?? DEFAULT_TARGET_CFG[rig.target as keyof typeof DEFAULT_TARGET_CFG];
    if (target) wanted.push({ role: 'target', name: target, note: probe.target ? '' : ` (default for ${rig.target})` });
  }
  for (const c of probe.configs) wanted.push({ role: 'configs', name: c, note: '' });
  for (const w of wanted) {
    // configs: are the rig's own files; interface/target are usually the scripts folder's.
    const found = await resolveCfg(w.name, rigDir, scripts, w.role !== 'configs');
    const id = `openocd.${w.role}${w.role === 'configs' ? `:${w.name}` : ''}`;
    const title = w.role === 'configs' ? `OpenOCD config ${w.name}` : `OpenOCD ${w.role} cfg`;
    if (found) checks.push({ id, title, status: 'ok', detail: `${w.name} -> ${found}${w.note}` });
    else {
      const where = w.role === 'configs' ? `in ${rigDir}` : `in ${rigDir}${scripts ? ` or ${scripts}` : ''}`;
      checks.push({ id, title, status: 'fail', detail: `${w.name} not found ${where}${w.note}`, fix: await missingCfgFix(w.name, w.role, scripts) });
    }
  }
  return checks;
}
