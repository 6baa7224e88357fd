/**
 * Seed 001's bootloader → Loader → Application (and Updater) on a single-bank STM32F429: the
 * pure facts config and the rig need (no images/, no twin). Memory map and header:
 * src/targets/stm32f429-fwup.ts.
 */
import { APPINFO_SIZE, decodeAppInfo, isAppInfo } from '../../protocols/appinfo.js';
import { FWUP_DUMP_REGIONS, LOADER_APP_HEADER as H, LOADER_APP_IMAGE_LAYOUT as L, LOADER_APP_IMAGE_TYPES as T, LOADER_APP_SHARED_RAM, LOADER_APP_SLOTS } from '../../targets/stm32f429-fwup.js';
import { ImageProblem, type ImageReader } from '../meta-image.js';
import type { SchemeMeta } from '../scheme.js';

/** The header's image type says the slot: the Loader goes to slot 1, the Application and the Updater to slot 2. */
const readImage: ImageReader = (stream) => {
  if (stream.length < L.codeOffset) throw new ImageProblem(`image is ${stream.length} bytes, shorter than a header, a vector table and an info block`);
  if (stream.readUInt16LE(H.at.magic) !== H.magic) throw new ImageProblem(`no image header at offset 0 (magic 0x${stream.readUInt16LE(0).toString(16)}, expected 0xcafe)`);
  const type = stream[H.at.imageType];
  const slot = type === T.loader ? 'slot1' : type === T.app || type === T.updater ? 'slot2' : undefined;
  if (!slot) throw new ImageProblem(`image type ${String(type)} is none of 1 (Loader), 2 (Application), 3 (Updater)`);
  if (stream.length > LOADER_APP_SLOTS[slot].size) throw new ImageProblem(`image is ${stream.length} bytes, larger than ${slot} (${LOADER_APP_SLOTS[slot].size} bytes)`);
  const info = decodeAppInfo(stream.subarray(L.appInfoOffset, L.appInfoOffset + APPINFO_SIZE));
  return { ...(isAppInfo(info) && { version: info.version }), slotImage: { [slot]: stream } };
};

export const loaderAppMeta: SchemeMeta = {
  name: 'loader-app',
  target: 'stm32f429',
  setups: ['factory', 'after-loader-update'],
  updaters: ['sfu-app'],
  variants: [
    'correct',
    'header-first',
    'erase-to-invalidate',
    'no-slot2-fallback',
    'header-before-crc',
    'updater-erases-loader-early',
    'counter-never-cleared',
    'counter-cleared-early',
    'ram-trusted-after-brownout',
  ],
  consoleFraming: 'sfu-and-text',
  dumpRegions: FWUP_DUMP_REGIONS,
  readImage,
  samples: { from: 'fwup-app-v1.bin', to: 'fwup-app-v2.bin' },
  twinServe: {
    updates: 'SFU uploads (STM32F4 command set) go to the Loader: the running app reboots into DFU mode on the first INFO poll; the Loader waits in DFU mode when slot 2 holds no committed image',
    idleReset: false,
  },
  bench: { rig: 'rigs/twin-stm32f429-loader-app.yaml', trigger: 'progress' },
  inspectHelp: `loader-app (stm32f429)     boot.bin slot1.bin slot2.bin, or the first 1 MiB of flash (offset
                           0 = 0x08000000): bootloader, Loader (slot 1) and Application or Updater
                           (slot 2), each with its image header and CRC; --ram: the 256 B of shared
                           RAM at 0x20000000 (magic, DFU request, boot counter) the Loader reads`,
  ramDump: LOADER_APP_SHARED_RAM,
};
