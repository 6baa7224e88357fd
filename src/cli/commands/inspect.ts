import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ExitCode, UsageError } from '../../core/errors.js';
import { formatInspection, inspectSfu, loadSfuDump } from '../../images/index.js';
import { updateImageFrom } from '../../scenario/update-image.js';
import type { Command } from '../command.js';

export const inspectCommand: Command = {
  path: ['inspect'],
  summary: 'read a flash dump: what each slot holds, whether it is valid, which slot boots next',
  usage: 'hil inspect --scheme sfu-ab [--target rp2040] DUMP... [--known A.bin B.bin] [--json]',
  details: `Judges a dump taken after a failure (OpenOCD dump_image, \`hil dump\`) with the host-side reading of
the scheme's formats, independent of the twin. Dumps are given either per region, as files named
slotA.bin metaA.bin slotB.bin metaB.bin [nvParam.bin] (any folder), or as one whole 4 MiB flash file
(offset 0 = 0x10000000). --known names images to compare bit for bit (RAW builds or BIN2Page
streams); each slot then says which one it holds.

  --scheme S         sfu-ab (stm32-dualbank and mcuboot-swap: coming with issue 3)
  --target T         rp2040 (implied by sfu-ab)
  --known FILE...    images to recognise (repeat, or list after the flag)`,
  examples: [
    'hil inspect --scheme sfu-ab dump/slotA.bin dump/metaA.bin dump/slotB.bin dump/metaB.bin dump/nvParam.bin',
    'hil inspect --scheme sfu-ab flash.bin --known firmware/app-v1.page2bin --known firmware/app-v2.page2bin --json',
  ],
  options: {
    scheme: { type: 'string' },
    target: { type: 'string' },
    known: { type: 'string', multiple: true },
  },
  async run({ values, positionals, out }) {
    const scheme = values.scheme as string | undefined;
    if (scheme !== 'sfu-ab') throw new UsageError(`--scheme: expected sfu-ab${scheme ? `, got ${JSON.stringify(scheme)}` : ' (required)'}`);
    if (values.target && values.target !== 'rp2040') throw new UsageError(`--target: sfu-ab runs on rp2040, got ${JSON.stringify(values.target)}`);
    if (!positionals.length) throw new UsageError(`no dump files given\nusage: ${this.usage}`);
    const files = positionals.map((p) => resolve(p));
    const dump = await loadSfuDump(files.length === 1 ? { wholeFlash: files[0]! } : files);
    const known = [];
    for (const k of (values.known as string[] | undefined) ?? []) {
      const file = resolve(k);
      const img = updateImageFrom(await readFile(file).catch((e: Error) => Promise.reject(new UsageError(`--known ${k}: ${e.message}`))), file);
      known.push({ name: basename(file), slotImage: img.slotImage });
    }
    const inspection = inspectSfu(dump, { known });
    if (out.json) out.printJson(inspection);
    else out.data(formatInspection(inspection));
    return ExitCode.ok;
  },
};
