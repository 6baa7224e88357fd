/**
 * What `hil inspect --help` shows and the options it parses, apart from the
 * implementation (./inspect.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';
import { SCHEMES } from '../../schemes/meta-registry.js';

/** One scheme per example: its dump files as `hil dump` names them, its sample images as the known ones (and a RAM dump where the scheme reads one). */
const EXAMPLES = SCHEMES.map(
  (s) => `hil inspect --scheme ${s.name} ${s.dumpRegions.map((r) => `dump/${r.name}.bin`).join(' ')}${s.ramDump ? ' --ram dump/ram.bin' : ''} --known firmware/${s.samples.to}`,
);
/** Schemes that read a RAM dump, and where their RAM is. */
const RAM_READERS = SCHEMES.filter((s) => s.ramDump).map((s) => `${s.name}: ${s.ramDump!.size} B at 0x${s.ramDump!.base.toString(16).padStart(8, '0')}`);
/** A target shared by several schemes is listed once. */
const TARGETS = [...new Set(SCHEMES.map((s) => s.target))];

export const inspectHelp: CommandHelp = {
  path: ['inspect'],
  summary: 'read a flash dump: what each slot holds, whether it is valid, which slot boots next',
  usage: 'hil inspect --scheme S [--target T] DUMP... [--ram RAM.bin] [--known A.bin --known B.bin] [--json]',
  details: `Judges a dump taken after a failure (OpenOCD dump_image, \`hil dump\`) with the host-side reading of
the scheme's formats, independent of the twin. --known names images to compare bit for bit; each slot
then says which one it holds. Dumps are given per region (files named as below, any folder) or as one
file of the whole flash:

${SCHEMES.flatMap((s) => s.inspectHelp.split('\n').map((l) => `  ${l}`)).join('\n')}

  --scheme S         ${SCHEMES.map((s) => s.name).join(' | ')}
  --target T         implied by the scheme (${TARGETS.join(' | ')}); checked when given
  --known FILE       an image to recognise (repeat the flag for more)
  --ram FILE         a RAM dump the boot chain reads at reset (${RAM_READERS.length ? RAM_READERS.join('; ') : 'no scheme reads one'}),
                     taken halted, never reset (OpenOCD: halt; dump_image ram.bin ADDRESS SIZE): the
                     reading says what the next reset that keeps SRAM powered (system, watchdog, pin) does`,
  examples: [...EXAMPLES, `hil inspect --scheme ${SCHEMES[0]!.name} flash.bin --json | jq .bootsNext`],
  options: {
    scheme: { type: 'string' },
    target: { type: 'string' },
    known: { type: 'string', multiple: true },
    ram: { type: 'string' },
  },
};
