/**
 * What `hil dump --help` shows and the options it parses, apart from the
 * implementation (./dump.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';
import { SCHEMES } from '../../schemes/meta-registry.js';

/** The scheme of the example's nRF52840 rig. */
const LAST_SCHEME = (SCHEMES.find((s) => s.target === 'nrf52840') ?? SCHEMES[0]!).name;

export const dumpHelp: CommandHelp = {
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
};
