import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { displayFile } from '../config/errors.js';
import { FileRefusal, readRegularFile } from '../config/file-read.js';
import { ImageProblem, readImage, SCHEME_NAMES, type UpdateImage } from '../schemes/registry.js';
import { MAX_IMAGE_BYTES } from '../config/limits.js';

/** Declared with the schemes (src/schemes/scheme.ts), whose baselines and inspections take it. */
export type { UpdateImage };

/** Without a scheme, an image is read as the first registered scheme's (the RP2040 SFU samples). */
const DEFAULT_SCHEME = SCHEME_NAMES[0]!;

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

export async function loadUpdateImage(file: string, scheme: string = DEFAULT_SCHEME): Promise<UpdateImage> {
  return updateImageFrom(await readImageFile(file), file, scheme);
}

export function updateImageFrom(stream: Buffer, file: string, scheme: string = DEFAULT_SCHEME): UpdateImage {
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
