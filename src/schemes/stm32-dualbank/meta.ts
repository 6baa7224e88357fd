/**
 * STM32F429 dual bank with BFB2: the pure facts config and the rig need (no images/, no twin).
 */
import { isAppInfo, readAppInfo } from '../../protocols/appinfo.js';
import { STM32F429, STM32_BANKS, STM32_DUMP_REGIONS, STM32_FACTORY_OPTIONS, withBfb2 } from '../../targets/stm32f429.js';
import { ImageProblem, type ImageReader } from '../meta-image.js';
import type { SchemeMeta } from '../scheme.js';

/** Both banks hold the same bytes: images are linked for 0x0800_0000 and the ROM remaps bank 2 there. */
const readImage: ImageReader = (stream) => {
  if (stream.length > STM32F429.bankSize) {
    throw new ImageProblem(`image is ${stream.length} bytes, larger than an STM32F429 bank (${STM32F429.bankSize} bytes)`);
  }
  const info = readAppInfo(stream);
  return { ...(isAppInfo(info) && { version: info.version }), slotImage: { bank1: stream, bank2: stream } };
};

export const stm32DualBankMeta: SchemeMeta = {
  name: 'stm32-dualbank',
  target: 'stm32f429',
  setups: ['factory', 'rom-fallback', 'from-bank2'],
  updaters: ['sfu-app', 'probe'],
  variants: ['correct', 'vector-table-first', 'bfb2-before-verify', 'vector-row-commit', 'repair-moves-boot'],
  consoleFraming: 'sfu-and-text',
  dumpRegions: STM32_DUMP_REGIONS,
  readImage,
  // ST's FLASH_DualBoot example: the new image into bank 2, then BFB2 so the ROM prefers it.
  // Every setup stages the same way: the baseline decides where the running image is.
  stageThroughProbe: (image) => ({
    writes: [
      { address: STM32_BANKS.bank2.base, bytes: image },
      { address: STM32F429.optionBytes.base, bytes: withBfb2(STM32_FACTORY_OPTIONS, true) },
    ],
    note: { kind: 'bfb2', text: 'bank 2 written, BFB2 set' },
  }),
  samples: { from: 'stm32-app-v1.bin', to: 'stm32-app-v2.bin' },
  twinServe: {
    updates: 'SFU uploads go to the running OTA app (STM32F4 command set); there is no bootloader window to wait for',
    idleReset: false,
  },
  bench: { rig: 'rigs/twin-stm32f429-dualbank.yaml', trigger: 'progress' },
  inspectHelp: `stm32-dualbank (stm32f429) bank1.bin bank2.bin options.bin, or the 2 MiB flash (offset 0 =
                           0x08000000) [+ options.bin: the 16 option bytes at 0x1FFFC000; without
                           them BFB2 is taken as clear, and the report says so]`,
};
