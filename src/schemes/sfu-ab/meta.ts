/**
 * RP2040-SFU A/B slots: the pure facts config and the rig need (no images/, no twin).
 */
import { isAppInfo, readAppInfo } from '../../protocols/appinfo.js';
import { checkSfuStream, decodeBin2PageStream, isBin2Page } from '../../protocols/sfu/index.js';
import { SFU_DUMP_REGIONS, SFU_SLOTS, SFU_SLOT_SIZE, type SfuSlotName } from '../../targets/rp2040.js';
import { ImageProblem, type ImageReader } from '../meta-image.js';
import type { SchemeMeta } from '../scheme.js';

/** RAW images are linked per slot (their info block says which); a BIN2Page stream fits both. */
const readImage: ImageReader = (stream) => {
  if (stream.length > SFU_SLOT_SIZE) {
    throw new ImageProblem(`image is ${stream.length} bytes, larger than an SFU slot (${SFU_SLOT_SIZE} bytes)`);
  }
  // Issue 8 defect 13: a truncated or malformed stream would be signed. Whether an info block is
  // required at all is load.ts's business (with its own message).
  checkSfuStream(stream, { requireInfo: false, vectorTableWithoutInfo: false });
  const slotImage: Partial<Record<SfuSlotName, Buffer>> = {};
  if (isBin2Page(stream)) {
    slotImage.A = decodeBin2PageStream(stream, 'A');
    slotImage.B = decodeBin2PageStream(stream, 'B');
  } else {
    const info = readAppInfo(stream);
    const slot = isAppInfo(info) ? Object.values(SFU_SLOTS).find((s) => s.base === info.linkBase)?.name : undefined;
    if (slot) slotImage[slot] = stream;
    else {
      slotImage.A = stream;
      slotImage.B = stream;
    }
  }
  const info = readAppInfo(slotImage.A ?? slotImage.B!);
  return { ...(isAppInfo(info) && { version: info.version }), slotImage };
};

export const sfuAbMeta: SchemeMeta = {
  name: 'sfu-ab',
  target: 'rp2040',
  setups: ['default'],
  updaters: ['sfu'],
  variants: ['correct', 'sign-before-flush', 'boot-unsigned-target', 'erase-running-slot', 'generation-not-incremented'],
  consoleFraming: 'sfu-and-text',
  dumpRegions: SFU_DUMP_REGIONS,
  readImage,
  samples: { from: 'app-v1.page2bin', to: 'app-v2.page2bin' },
  twinServe: {
    updates: 'SFU uploads go to the bootloader window after each reset (--reset-on-idle opens one whenever the app is quiet)',
    idleReset: true,
  },
  bench: { rig: 'rigs/twin-rp2040-sfu.yaml', trigger: 'progress' },
  inspectHelp: `sfu-ab (rp2040)            slotA.bin metaA.bin slotB.bin metaB.bin [nvParam.bin], or the 4 MiB flash
                           (offset 0 = 0x10000000); known images: RAW builds or BIN2Page streams`,
};
