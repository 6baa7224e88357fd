import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { Scheme } from '../config/vocabulary.js';
import { IMAGE_READERS } from './image-readers.js';

/**
 * An image as a suite names it: the bytes sent over the update path (a RAW image, a BIN2Page
 * stream, a signed MCUboot image) and, per slot name of its scheme, the bytes that land in
 * flash, which is what a dump is compared with bit for bit.
 */
export interface UpdateImage {
  name: string;
  file: string;
  scheme: Scheme;
  stream: Buffer;
  sha256: string;
  /** From the app info block the banner prints. */
  version?: string;
  slotImage: Partial<Record<string, Buffer>>;
}

export async function loadUpdateImage(file: string, scheme: Scheme = 'sfu-ab'): Promise<UpdateImage> {
  let stream: Buffer;
  try {
    stream = await readFile(file);
  } catch (err) {
    throw new ConfigError(`${file}: cannot read image: ${(err as Error).message}`);
  }
  return updateImageFrom(stream, file, scheme);
}

export function updateImageFrom(stream: Buffer, file: string, scheme: Scheme = 'sfu-ab'): UpdateImage {
  if (stream.length === 0) throw new ConfigError(`${file}: image is empty`);
  const reader = IMAGE_READERS[scheme];
  if (!reader) throw new ConfigError(`${file}: no image reader for scheme ${scheme} in this build`);
  return {
    name: basename(file),
    file,
    scheme,
    stream,
    sha256: createHash('sha256').update(stream).digest('hex'),
    ...reader(stream, file),
  };
}
