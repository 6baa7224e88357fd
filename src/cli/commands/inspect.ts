import { readImageFile } from '../../scenario/update-image.js';
import { basename, resolve } from 'node:path';
import { ConfigError, ExitCode, UsageError } from '../../core/errors.js';
import { SCHEMES, schemeAdapter } from '../../schemes/registry.js';
import type { KnownImage } from '../../images/index.js';
import { updateImageFrom } from '../../scenario/update-image.js';
import type { Command } from '../command.js';
import { inspectHelp } from './inspect.help.js';

export const inspectCommand: Command = {
  ...inspectHelp,
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
    const ram = values.ram as string | undefined;
    if (ram !== undefined && !meta.ramDump) {
      const readers = SCHEMES.filter((m) => m.ramDump).map((m) => m.name);
      throw new UsageError(`--ram: ${s} keeps no boot state in RAM that its inspection reads${readers.length ? ` (--ram is for ${readers.join(', ')})` : ''}`);
    }
    if (ram === '') throw new UsageError('--ram: expected a file name');
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
    const { inspection, table } = await host.inspectFiles(
      positionals.map((p) => resolve(p)),
      known,
      ram === undefined ? undefined : { ram: resolve(ram) },
    );
    if (out.json) out.printJson(inspection);
    else out.data(table);
    return ExitCode.ok;
  },
};
