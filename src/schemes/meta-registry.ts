/**
 * The scheme registry: every boot scheme hilrig knows, one line each. A scheme is one folder,
 * src/schemes/<name>/ (the folder is named as the scheme): meta.ts holds its pure facts (this
 * list; config validates rig and suite files with them) and index.ts its host part (baseline,
 * inspection, dump reading), which ./registry.ts loads on demand by the same name. The twin
 * side has its own registry, src/twin/registry.ts; images/ and twin/ never import each other.
 */
import { ConfigError } from '../core/errors.js';
import { ImageProblem, type ImageReading } from './meta-image.js';
import type { SchemeMeta } from './scheme.js';
import { sfuAbMeta } from './sfu-ab/meta.js';
import { stm32DualBankMeta } from './stm32-dualbank/meta.js';
import { mcubootSwapMeta } from './mcuboot-swap/meta.js';
import { loaderAppMeta } from './loader-app/meta.js';
import { multiMcuDfuMeta } from './multi-mcu-dfu/meta.js';

/** Every registered scheme, in the order help texts and lists show them. Add a scheme here. */
export const SCHEMES: readonly SchemeMeta[] = [sfuAbMeta, stm32DualBankMeta, mcubootSwapMeta, loaderAppMeta, multiMcuDfuMeta];

export const SCHEME_NAMES: readonly string[] = SCHEMES.map((s) => s.name);

/** The scheme's pure facts, or undefined when no scheme has this name. */
export function findScheme(name: string): SchemeMeta | undefined {
  return SCHEMES.find((s) => s.name === name);
}

/** The scheme's pure facts; a ConfigError naming the registered schemes when there is none. */
export function schemeMeta(name: string): SchemeMeta {
  const s = findScheme(name);
  if (!s) throw new ConfigError(`scheme ${name} is not supported by this build (supported: ${SCHEME_NAMES.join(', ')})`);
  return s;
}

/** The bytes read as `scheme`'s image; an ImageProblem (never another error) when they cannot be one. */
export function readImage(scheme: string, stream: Buffer): ImageReading {
  if (stream.length === 0) throw new ImageProblem('image is empty');
  const s = findScheme(scheme);
  if (!s) throw new ImageProblem(`no image reader for scheme ${scheme} in this build`);
  try {
    return s.readImage(stream);
  } catch (error) {
    if (error instanceof ImageProblem) throw error;
    // A decoder's own error on malformed bytes: still the image's problem, not a crash.
    throw new ImageProblem(`cannot be read as a ${scheme} image: ${(error as Error).message}`);
  }
}

export { ImageProblem, type ImageReading, type ImageReader } from './meta-image.js';
export type { SchemeMeta, SchemeMember, MemberImage, UpdaterDriverName } from './scheme.js';
