import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { Scheme } from '../config/vocabulary.js';
import { displayFile } from '../config/errors.js';
import { FileRefusal, readRegularFile } from '../config/file-read.js';
import { ImageProblem, readImage } from '../config/image-readers.js';
import { MAX_IMAGE_BYTES } from '../config/limits.js';

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

/**
 * The bytes of an image file a user named: only a regular file of at most MAX_IMAGE_BYTES, so
 * a FIFO or /dev/zero is refused at once instead of hanging (`hil cut`, `hil sfu upload`, suites).
 * Throws a ConfigError (exit 2) naming the file and why.
 */
export async function readImageFile(file: string): Promise<Buffer> {
  try {
    const bytes = await readRegularFile(file, MAX_IMAGE_BYTES);
    if (bytes.length === 0) throw new FileRefusal(file, 'is empty');
    return bytes;
  } catch (err) {
    if (err instanceof FileRefusal) throw new ConfigError(`${displayFile(file)}: cannot read image: ${err.reason}`, { file });
    throw err;
  }
}

export async function loadUpdateImage(file: string, scheme: Scheme = 'sfu-ab'): Promise<UpdateImage> {
  return updateImageFrom(await readImageFile(file), file, scheme);
}

export function updateImageFrom(stream: Buffer, file: string, scheme: Scheme = 'sfu-ab'): UpdateImage {
  let reading;
  try {
    reading = readImage(scheme, stream);
  } catch (err) {
    if (err instanceof ImageProblem) throw new ConfigError(`${displayFile(file)}: ${err.message}`, { file });
    throw err;
  }
  return {
    name: basename(file),
    file,
    scheme,
    stream,
    sha256: createHash('sha256').update(stream).digest('hex'),
    ...reading,
  };
}
