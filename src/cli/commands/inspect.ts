import { readImageFile } from '../../scenario/update-image.js';
import { basename, resolve } from 'node:path';
import { ConfigError, ExitCode, UsageError } from '../../core/errors.js';
import { SCHEMES, schemeAdapter } from '../../schemes/registry.js';
import type { KnownImage } from '../../images/index.js';
import { updateImageFrom } from '../../scenario/update-image.js';
import type { Command } from '../command.js';

/** One scheme per example: its dump files as `hil dump` names them, its sample images as the known ones. */
const EXAMPLES = SCHEMES.map(
  (s) => `hil inspect --scheme ${s.name} ${s.dumpRegions.map((r) => `dump/${r.name}.bin`).join(' ')} --known firmware/${s.samples.to}`,
);

export const inspectCommand: Command = {
  path: ['inspect'],
  summary: 'read a flash dump: what each slot holds, whether it is valid, which slot boots next',
  usage: 'hil inspect --scheme S [--target T] DUMP... [--known A.bin --known B.bin] [--json]',
  details: `Judges a dump taken after a failure (OpenOCD dump_image, \`hil dump\`) with the host-side reading of
the scheme's formats, independent of the twin. --known names images to compare bit for bit; each slot
then says which one it holds. Dumps are given per region (files named as below, any folder) or as one
file of the whole flash:

${SCHEMES.flatMap((s) => s.inspectHelp.split('\n').map((l) => `  ${l}`)).join('\n')}

  --scheme S         ${SCHEMES.map((s) => s.name).join(' | ')}
  --target T         implied by the scheme (${SCHEMES.map((s) => s.target).join(' | ')}); checked when given
  --known FILE       an image to recognise (repeat the flag for more)`,
  examples: [...EXAMPLES, `hil inspect --scheme ${SCHEMES[0]!.name} flash.bin --json | jq .bootsNext`],
  options: {
    scheme: { type: 'string' },
    target: { type: 'string' },
    known: { type: 'string', multiple: true },
  },
  async run({ values, positionals, out }) {
    const scheme = values.scheme as string | undefined;
    const meta = SCHEMES.find((m) => m.name === scheme);
    if (!scheme || !meta) {
      throw new UsageError(`--scheme: expected one of ${SCHEMES.map((m) => m.name).join(', ')}${scheme ? `, got ${JSON.stringify(scheme)}` : ' (required)'}`);
    }
    const s = meta.name;
    if (values.target && values.target !== meta.target) {
      throw new UsageError(`--target: ${s} runs on ${meta.target}, got ${JSON.stringify(values.target)}`);
    }
    if (!positionals.length) throw new UsageError(`no dump files given\nusage: ${this.usage}`);
    const known: KnownImage[] = [];
    for (const k of (values.known as string[] | undefined) ?? []) {
      const file = resolve(k);
      try {
        const bytes = await readImageFile(file);
        known.push({ name: basename(file), slotImage: updateImageFrom(bytes, file, s).slotImage });
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(`--known ${k}: ${err.message}`);
        throw err;
      }
    }
    const host = await schemeAdapter(s);
    const { inspection, table } = await host.inspectFiles(positionals.map((p) => resolve(p)), known);
    if (out.json) out.printJson(inspection);
    else out.data(table);
    return ExitCode.ok;
  },
};
