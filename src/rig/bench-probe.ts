/**
 * The rig file's `probe: { driver: openocd }` as an OpenOcdProbe. Config file names that exist
 * next to the rig file (or start with ./ or ../) are made absolute, so a rig folder can carry its
 * own board files; anything else is left for openocd to find in its scripts directory.
 * A value openocd would run as TCL (issue 8, defect 2) is refused here with its file:line:col,
 * before any program runs: as written, and once resolved (a rig folder whose path has a brace).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigFileError, issueAt, type ConfigIssue, type ProbeConfig, type RigConfig } from '../config/index.js';
import type { Timeline } from '../core/timeline.js';
import { OpenOcdProbe } from '../drivers/flasher/openocd.js';
import { DEFAULT_INTERFACE_CFG, openOcdProbeIssues, openOcdValueProblem, type OpenOcdTargetName } from '../protocols/openocd/index.js';

type OpenOcdConfig = Extract<ProbeConfig, { driver: 'openocd' }>;

export function rigRelative(rigFile: string, name: string): string {
  if (isAbsolute(name)) return name;
  const local = resolve(dirname(rigFile), name);
  return /^\.\.?\//.test(name) || existsSync(local) ? local : name;
}

/** Every openocd-bound value of the probe section that openocd would not read literally, located. */
export function openOcdProbeConfigIssues(config: RigConfig, probe: OpenOcdConfig, at: readonly (string | number)[] = ['probe']): ConfigIssue[] {
  const issues = openOcdProbeIssues(probe).map((i) => issueAt(config, [...at, ...i.path], i.message));
  if (issues.length > 0) return issues;
  const resolved: [(string | number)[], string | undefined][] = [
    [['interface'], probe.interface],
    [['target'], probe.target === 'none' ? undefined : probe.target],
    ...probe.configs.map((c, i): [(string | number)[], string] => [['configs', i], c]),
  ];
  for (const [path, name] of resolved) {
    if (name === undefined) continue;
    const full = rigRelative(config.file, name);
    const problem = full === name ? undefined : openOcdValueProblem('script', full);
    if (problem !== undefined) issues.push(issueAt(config, [...at, ...path], `resolves to ${JSON.stringify(full)} next to the rig file: ${problem}`));
  }
  return issues;
}

/** A product member's probe: its own target and its place in the file (`mcus.NAME.probe`). */
export interface MemberProbeOf {
  name: string;
  target: Exclude<OpenOcdTargetName, 'generic'>;
}

export function openOcdProbeFor(config: RigConfig, probe: OpenOcdConfig, timeline?: Timeline, member?: MemberProbeOf): OpenOcdProbe {
  const issues = openOcdProbeConfigIssues(config, probe, member ? ['mcus', member.name, 'probe'] : ['probe']);
  if (issues.length > 0) throw new ConfigFileError(issues);
  // `target: none`: the configs describe the whole target (a custom board, the dummy-adapter fake).
  const bare = probe.target === 'none';
  const own = member?.target ?? config.target;
  const target: OpenOcdTargetName = bare ? 'generic' : own;
  return new OpenOcdProbe({
    name: member ? `${config.name} ${member.name} probe` : `${config.name} probe`,
    target,
    interfaceCfg: rigRelative(config.file, probe.interface ?? DEFAULT_INTERFACE_CFG[own]),
    ...(!bare && probe.target !== undefined && { targetCfg: rigRelative(config.file, probe.target) }),
    configs: probe.configs.map((c) => rigRelative(config.file, c)),
    ...(probe.adapterSerial !== undefined && { adapterSerial: probe.adapterSerial }),
    ...(probe.adapterSpeedKhz !== undefined && { adapterSpeedKhz: probe.adapterSpeedKhz }),
    timeoutMs: probe.timeoutMs,
    binary: rigRelative(config.file, probe.binary),
    ...(timeline && { timeline }),
  });
}
