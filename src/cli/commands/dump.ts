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
    if (!config.probe) throw new ConfigError(`${config.file}: hil dump needs a probe: section (driver openocd)`);
    const dir = resolve((values.out as string | undefined) ?? join('reports', 'dumps', `${config.name}-${stamp()}`));
    const regions = DUMP_REGIONS[config.scheme];
    const rig = await openRigControls(config);
    try {
      await rig.power.on();
      out.info(`${config.name}: reading ${regions.map((r) => `${r.name} ${hex32(r.base)}+${r.size}`).join(', ')}…`);
      const data = await rig.probe!.dump(regions);
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
