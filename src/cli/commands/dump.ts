import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadRig } from '../../config/index.js';
import { ConfigError, ExitCode } from '../../core/errors.js';
import { openRigControls } from '../../rig/open-controls.js';
import { requireOption, type Command } from '../command.js';
import { DUMP_REGIONS } from '../rig-access.js';
import { hex32 } from '../../core/hex.js';
import { dumpHelp } from './dump.help.js';

function stamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
}

export const dumpCommand: Command = {
  ...dumpHelp,
  async run({ values, out }) {
    const config = await loadRig(requireOption(values, 'rig', this));
    // A product reads each member's flash through its own probe (mcus.<member>.probe) and the shared flash through its reader.
    const probed = config.probe || Object.values(config.mcus ?? {}).some((m) => m.probe);
    if (!probed) throw new ConfigError(`${config.file}: hil dump needs a probe: section (driver openocd)${config.mcus ? ', or a probe: under each of mcus:' : ''}`);
    const dir = resolve((values.out as string | undefined) ?? join('reports', 'dumps', `${config.name}-${stamp()}`));
    const regions = DUMP_REGIONS[config.scheme];
    const rig = await openRigControls(config);
    try {
      await rig.power.on();
      out.info(`${config.name}: reading ${regions.map((r) => `${r.name} ${hex32(r.base)}+${r.size}`).join(', ')}…`);
      if (!rig.probe) throw new ConfigError(`${config.file}: hil dump: this rig opened without a probe to read ${regions.map((r) => r.name).join(', ')}`);
      const data = await rig.probe.dump(regions);
      await mkdir(dir, { recursive: true });
      const files: { region: string; file: string; base: string; bytes: number }[] = [];
      for (const r of regions) {
        const file = join(dir, `${r.name}.bin`);
        await writeFile(file, data[r.name]!);
        files.push({ region: r.name, file, base: hex32(r.base), bytes: data[r.name]!.length });
      }
      const inspect = `hil inspect --scheme ${config.scheme} ${files.map((f) => relative(process.cwd(), f.file) || f.file).join(' ')}`;
      if (out.json) out.printJson({ ok: true, rig: config.name, scheme: config.scheme, dir, files, inspect });
      else {
        for (const f of files) out.data(`${f.file}  ${f.base}  ${f.bytes} bytes`);
        out.info(`next: ${inspect}`);
      }
      return ExitCode.ok;
    } finally {
      await rig.close();
    }
  },
};
