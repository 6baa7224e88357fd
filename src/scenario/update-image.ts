import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { readAppInfo, isAppInfo } from '../protocols/appinfo.js';
import { decodeBin2PageStream, isBin2Page } from '../protocols/sfu/index.js';
import { SFU_SLOTS, SFU_SLOT_SIZE, type SfuSlotName } from '../targets/rp2040.js';

/**
 * An image as a suite names it: the bytes sent over the update path (a RAW image or a
 * BIN2Page stream) and, per slot, the bytes that land in flash, which is what a dump is
 * compared with bit for bit.
 */
export interface UpdateImage {
  name: string;
  file: string;
  stream: Buffer;
  sha256: string;
  version?: string;
  slotImage: Partial<Record<SfuSlotName, Buffer>>;
}

export async function loadUpdateImage(file: string): Promise<UpdateImage> {
  let stream: Buffer;
  try {
    stream = await readFile(file);
  } catch (err) {
    throw new ConfigError(`${file}: cannot read image: ${(err as Error).message}`);
  }
  return updateImageFrom(stream, file);
}

export function updateImageFrom(stream: Buffer, file: string): UpdateImage {
  const name = basename(file);
  if (stream.length === 0) throw new ConfigError(`${file}: image is empty`);
  if (stream.length > SFU_SLOT_SIZE) {
    throw new ConfigError(`${file}: image is ${stream.length} bytes, larger than an SFU slot (${SFU_SLOT_SIZE} bytes)`);
  }
  const slotImage: Partial<Record<SfuSlotName, Buffer>> = {};
  if (isBin2Page(stream)) {
    slotImage.A = decodeBin2PageStream(stream, 'A');
    slotImage.B = decodeBin2PageStream(stream, 'B');
  } else {
    // A RAW image only fits the slot it was linked for; its info block says which.
    const info = readAppInfo(stream);
    const slot = isAppInfo(info) ? (Object.values(SFU_SLOTS).find((s) => s.base === info.linkBase)?.name ?? undefined) : undefined;
    if (slot) slotImage[slot] = stream;
    else {
      slotImage.A = stream;
      slotImage.B = stream;
    }
  }
  const first = slotImage.A ?? slotImage.B!;
  const info = readAppInfo(first);
  return {
    name,
    file,
    stream,
    sha256: createHash('sha256').update(stream).digest('hex'),
    ...(isAppInfo(info) && { version: info.version }),
    slotImage,
  };
}
