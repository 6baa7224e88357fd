import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { displayFile } from '../config/errors.js';
import { FileRefusal, readRegularFile } from '../config/file-read.js';
import { ImageProblem, readImage, schemeMeta, SCHEME_NAMES, type UpdateImage } from '../schemes/registry.js';
import { registerStages, type UpdateStage } from '../drivers/updater/sfu/index.js';
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

/**
 * The image `file`; with `via` (a suite's `images.via`), the images sent before it, each a whole
 * transfer: the returned image then stands for the whole multi-stage update (its stream carries
 * the stages to the rig's updater, src/drivers/updater/sfu/stages.ts; `viaFiles` names them).
 */
export async function loadUpdateImage(file: string, scheme: string = DEFAULT_SCHEME, via?: readonly string[]): Promise<UpdateImage> {
  const image = updateImageFrom(await readImageFile(file), file, scheme);
  if (!via?.length) return image;
  const before: UpdateImage[] = [];
  for (const f of via) before.push(updateImageFrom(await readImageFile(f), f, scheme));
  registerStages([...before, image].map((i) => stageOf(i)));
  return Object.assign(image, { via: before });
}

/** The files sent before `image` (a multi-stage update), or undefined for a one-stage one. */
export function viaFiles(image: UpdateImage): string[] | undefined {
  const via = (image as { via?: UpdateImage[] }).via;
  return via?.map((i) => i.file);
}

/** Where a stage goes: the base of the one slot the scheme's reader put it in. */
function stageOf(image: UpdateImage): UpdateStage {
  const slots = Object.keys(image.slotImage);
  const region = slots.length === 1 ? schemeMeta(image.scheme).dumpRegions.find((r) => r.name === slots[0]) : undefined;
  if (!region)
    throw new ConfigError(`${displayFile(image.file)}: a stage of a multi-stage update must be for one slot of ${image.scheme}, this image is for ${slots.join(', ') || 'none'}`, { file: image.file });
  return { name: image.name, stream: image.stream, slotBase: region.base, ...(image.version !== undefined && { version: image.version }) };
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
