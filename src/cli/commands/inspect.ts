import { readImageFile } from '../../scenario/update-image.js';
import { basename, resolve } from 'node:path';
import { ConfigError, ExitCode, UsageError } from '../../core/errors.js';
import { SCHEMES, SCHEME_TARGET, type Scheme } from '../../config/vocabulary.js';
import {
  formatInspection,
  formatMcubootInspection,
  formatStm32Inspection,
  inspectMcuboot,
  inspectSfu,
  inspectStm32,
  loadMcubootDump,
  loadSfuDump,
  loadStm32Dump,
  type KnownImage,
} from '../../images/index.js';
import { updateImageFrom } from '../../scenario/update-image.js';
import type { Command } from '../command.js';

/** Reads the dump files for a scheme and judges them; returns the inspection and its table. */
async function inspectFiles(scheme: Scheme, files: string[], known: KnownImage[]): Promise<{ inspection: unknown; table: string }> {
  switch (scheme) {
    case 'sfu-ab': {
      const i = inspectSfu(await loadSfuDump(files.length === 1 ? { wholeFlash: files[0]! } : files), { known });
      return { inspection: i, table: formatInspection(i) };
    }
    case 'stm32-dualbank': {
      // One 2 MiB flash file, optionally with the option bytes as a second file named options*.bin.
      const whole = files.length <= 2 && !files.some((f) => /bank[12]\.bin$/.test(basename(f)));
      const options = files.find((f) => /^options/.test(basename(f)));
      const flash = files.find((f) => f !== options);
      const dump = whole && flash ? await loadStm32Dump({ wholeFlash: flash, ...(options && { options }) }) : await loadStm32Dump(files);
      const i = inspectStm32(dump, { known });
      return { inspection: i, table: formatStm32Inspection(i) };
    }
    case 'mcuboot-swap': {
      const i = inspectMcuboot(await loadMcubootDump(files.length === 1 ? { wholeFlash: files[0]! } : files), { known });
      return { inspection: i, table: formatMcubootInspection(i) };
    }
  }
}

export const inspectCommand: Command = {
  path: ['inspect'],
  summary: 'read a flash dump: what each slot holds, whether it is valid, which slot boots next',
  usage: 'hil inspect --scheme S [--target T] DUMP... [--known A.bin --known B.bin] [--json]',
  details: `Judges a dump taken after a failure (OpenOCD dump_image, \`hil dump\`) with the host-side reading of
the scheme's formats, independent of the twin. --known names images to compare bit for bit; each slot
then says which one it holds. Dumps are given per region (files named as below, any folder) or as one
file of the whole flash:

  sfu-ab (rp2040)            slotA.bin metaA.bin slotB.bin metaB.bin [nvParam.bin], or the 4 MiB flash
                             (offset 0 = 0x10000000); known images: RAW builds or BIN2Page streams
  stm32-dualbank (stm32f429) bank1.bin bank2.bin options.bin, or the 2 MiB flash (offset 0 =
                             0x08000000) [+ options.bin: the 16 option bytes at 0x1FFFC000; without
                             them BFB2 is taken as clear, and the report says so]
  mcuboot-swap (nrf52840)    primary.bin secondary.bin [scratch.bin], or the 1 MiB flash (offset 0 =
                             0x0); known images: signed MCUboot images (padded or not)

  --scheme S         sfu-ab | stm32-dualbank | mcuboot-swap
  --target T         implied by the scheme (rp2040 | stm32f429 | nrf52840); checked when given
  --known FILE       an image to recognise (repeat the flag for more)`,
  examples: [
    'hil inspect --scheme sfu-ab dump/slotA.bin dump/metaA.bin dump/slotB.bin dump/metaB.bin dump/nvParam.bin',
    'hil inspect --scheme sfu-ab flash.bin --known firmware/app-v1.page2bin --known firmware/app-v2.page2bin --json',
    'hil inspect --scheme stm32-dualbank dump/bank1.bin dump/bank2.bin dump/options.bin --known firmware/stm32-app-v2.bin',
    'hil inspect --scheme mcuboot-swap dump/primary.bin dump/secondary.bin dump/scratch.bin --json | jq .nextAction',
  ],
  options: {
    scheme: { type: 'string' },
    target: { type: 'string' },
    known: { type: 'string', multiple: true },
  },
  async run({ values, positionals, out }) {
    const scheme = values.scheme as string | undefined;
    if (!scheme || !(SCHEMES as readonly string[]).includes(scheme)) {
      throw new UsageError(`--scheme: expected one of ${SCHEMES.join(', ')}${scheme ? `, got ${JSON.stringify(scheme)}` : ' (required)'}`);
    }
    const s = scheme as Scheme;
    if (values.target && values.target !== SCHEME_TARGET[s]) {
      throw new UsageError(`--target: ${s} runs on ${SCHEME_TARGET[s]}, got ${JSON.stringify(values.target)}`);
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
    const { inspection, table } = await inspectFiles(s, positionals.map((p) => resolve(p)), known);
    if (out.json) out.printJson(inspection);
    else out.data(table);
    return ExitCode.ok;
  },
};
