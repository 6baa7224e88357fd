/**
 * How each scheme reads an image file: which bytes land in which slot, and the version the
 * app's banner will print. Pure functions of the bytes, in config/ because a suite is only valid
 * when its images are (checkRigForSuite reads them before any run starts); the scenario builds
 * its UpdateImage from the same readers.
 */
import type { Scheme } from './vocabulary.js';
import { isAppInfo, readAppInfo } from '../protocols/appinfo.js';
import { checkSfuStream, decodeBin2PageStream, isBin2Page } from '../protocols/sfu/index.js';
import { SFU_SLOTS, SFU_SLOT_SIZE, type SfuSlotName } from '../targets/rp2040.js';
import { STM32F429 } from '../targets/stm32f429.js';
import { NRF52840_PARTITIONS } from '../targets/nrf52840.js';
import { readMcubootImage } from '../images/mcuboot-header.js';

export interface ImageReading {
  version?: string;
  slotImage: Partial<Record<string, Buffer>>;
}

/** What is wrong with an image's bytes; the message does not name the file (the caller does). */
export class ImageProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageProblem';
  }
}

/** Throws an ImageProblem when the bytes cannot be this scheme's image. */
export type ImageReader = (stream: Buffer) => ImageReading;

/** RAW images are linked per slot (their info block says which); a BIN2Page stream fits both. */
const sfuAb: ImageReader = (stream) => {
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

/** Both banks hold the same bytes: images are linked for 0x0800_0000 and the ROM remaps bank 2 there. */
const stm32DualBank: ImageReader = (stream) => {
  if (stream.length > STM32F429.bankSize) {
    throw new ImageProblem(`image is ${stream.length} bytes, larger than an STM32F429 bank (${STM32F429.bankSize} bytes)`);
  }
  const info = readAppInfo(stream);
  return { ...(isAppInfo(info) && { version: info.version }), slotImage: { bank1: stream, bank2: stream } };
};

/**
 * A signed MCUboot image (header, payload, TLVs), or the same padded to a whole slot by
 * `imgtool --pad`. Primary and secondary hold the same bytes; the trailer is not part of them.
 */
const mcubootSwap: ImageReader = (stream) => {
  const slotSize = NRF52840_PARTITIONS.secondary.size;
  if (stream.length > slotSize) throw new ImageProblem(`image is ${stream.length} bytes, larger than an MCUboot slot (${slotSize} bytes)`);
  const facts = readMcubootImage(stream, stream.length);
  if (!facts.header || facts.totalSize === undefined || facts.hdrSize === undefined) {
    throw new ImageProblem(`not a signed MCUboot image (${facts.problems.join('; ') || 'no image header'})`);
  }
  const image = stream.subarray(0, facts.totalSize);
  const info = readAppInfo(image.subarray(facts.hdrSize));
  return { ...(isAppInfo(info) && { version: info.version }), slotImage: { primary: image, secondary: image } };
};

export const IMAGE_READERS: Partial<Record<Scheme, ImageReader>> = {
  'sfu-ab': sfuAb,
  'stm32-dualbank': stm32DualBank,
  'mcuboot-swap': mcubootSwap,
};

/** The bytes read as `scheme`'s image; an ImageProblem (never another error) when they cannot be one. */
export function readImage(scheme: Scheme, stream: Buffer): ImageReading {
  if (stream.length === 0) throw new ImageProblem('image is empty');
  const reader = IMAGE_READERS[scheme];
  if (!reader) throw new ImageProblem(`no image reader for scheme ${scheme} in this build`);
  try {
    return reader(stream);
  } catch (error) {
    if (error instanceof ImageProblem) throw error;
    // A decoder's own error on malformed bytes: still the image's problem, not a crash.
    throw new ImageProblem(`cannot be read as a ${scheme} image: ${(error as Error).message}`);
  }
}
