import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadRig } from '../../config/index.js';
import { ConfigError, ExitCode } from '../../core/errors.js';
import { openRigControls } from '../../rig/open-controls.js';
import { requireOption, type Command } from '../command.js';
import { DUMP_REGIONS, hex32 } from '../rig-access.js';
import { SCHEMES } from '../../schemes/registry.js';

/** The scheme of the example's nRF52840 rig. */
const LAST_SCHEME = (SCHEMES.find((s) => s.target === 'nrf52840') ?? SCHEMES[0]!).name;

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
}

export const dumpCommand: Command = {
  path: ['dump'],
  summary: "read every slot region of the rig's target through its probe, ready for hil inspect",
  usage: 'hil dump --rig RIG [--out DIR] [--json]',
  details: `Powers the target, reads each region the rig's boot scheme keeps its state in (one openocd run,
\`dump_image\` per region, the core halted first), writes one file per region named as \`hil inspect\`
expects, and puts the rig back in its safe state. Prints the inspect command to run next.

${SCHEMES.map((s) => `  ${s.name.padEnd(16)}${s.dumpRegions.map((r) => `${r.name}.bin`).join(' ')}`).join('\n')}

  --rig RIG        rig name (rigs/RIG.yaml) or path
  --out DIR        folder for the files (default reports/dumps/RIG-TIMESTAMP)`,
  examples: ['hil dump --rig pi-pico-sfu', `hil dump --rig pi-nrf52840-dk --out /tmp/brick-1 && hil inspect --scheme ${LAST_SCHEME} /tmp/brick-1/*.bin`],
  options: { rig: { type: 'string' }, out: { type: 'string' } },
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
