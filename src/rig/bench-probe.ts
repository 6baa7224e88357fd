/**
 * The rig file's `probe: { driver: openocd }` as an OpenOcdProbe. Config file names that exist
 * next to the rig file (or start with ./ or ../) are made absolute, so a rig folder can carry its
 * own board files; anything else is left for openocd to find in its scripts directory.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ProbeConfig, RigConfig } from '../config/index.js';
import type { Timeline } from '../core/timeline.js';
import { OpenOcdProbe } from '../drivers/flasher/openocd.js';
import { DEFAULT_INTERFACE_CFG, type OpenOcdTargetName } from '../protocols/openocd/index.js';

type OpenOcdConfig = Extract<ProbeConfig, { driver: 'openocd' }>;

export function rigRelative(rigFile: string, name: string): string {
  if (isAbsolute(name)) return name;
  const local = resolve(dirname(rigFile), name);
  return /^\.\.?\//.test(name) || existsSync(local) ? local : name;
}

export function openOcdProbeFor(config: RigConfig, probe: OpenOcdConfig, timeline?: Timeline): OpenOcdProbe {
  // `target: none`: the configs describe the whole target (a custom board, the dummy-adapter fake).
  const bare = probe.target === 'none';
  const target: OpenOcdTargetName = bare ? 'generic' : config.target;
  return new OpenOcdProbe({
    name: `${config.name} probe`,
    target,
    interfaceCfg: rigRelative(config.file, probe.interface ?? DEFAULT_INTERFACE_CFG[config.target]),
    ...(!bare && probe.target !== undefined && { targetCfg: rigRelative(config.file, probe.target) }),
    configs: probe.configs.map((c) => rigRelative(config.file, c)),
    ...(probe.adapterSerial !== undefined && { adapterSerial: probe.adapterSerial }),
    ...(probe.adapterSpeedKhz !== undefined && { adapterSpeedKhz: probe.adapterSpeedKhz }),
    timeoutMs: probe.timeoutMs,
    binary: rigRelative(config.file, probe.binary),
    ...(timeline && { timeline }),
  });
}
