/**
 * The worker's image store (lab.yaml `store.images`): a job names images by sha256, and only the
 * store's own files can answer. A file named by its sha256 is looked up first; any other file in
 * the store is found through an index of hashes built on demand. Either way the bytes are hashed
 * again before use, so a file swapped or corrupted on disk is refused, not flashed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from '../core/errors.js';
import type { LabConfig } from './config.js';
import { SHA256 } from './jobs.js';

export class ImageNotInStoreError extends RigError {}

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Files of the store by hash, kept per store directory and rebuilt when a hash is missing. */
const indexes = new Map<string, Map<string, string>>();

function buildIndex(dir: string): Map<string, string> {
  const index = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(dir, entry.name);
    index.set(sha256Of(file), file);
  }
  indexes.set(dir, index);
  return index;
}

/**
 * The store's file holding these bytes, verified. Throws ImageNotInStoreError (a rig-side
 * problem: this Pi lacks the image) naming the store and the hash.
 */
export function imagePath(lab: LabConfig, sha256: string): string {
  if (!SHA256.test(sha256)) throw new ImageNotInStoreError(`image ${JSON.stringify(sha256)}: not a sha256`);
  const dir = lab.store.images;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ImageNotInStoreError(`image ${sha256}: the image store ${dir} (lab.yaml store.images) does not exist`);
  const candidates = [join(dir, sha256), indexes.get(dir)?.get(sha256)];
  for (const file of candidates) if (file && existsSync(file) && sha256Of(file) === sha256) return file;
  const file = buildIndex(dir).get(sha256);
  if (file) return file;
  throw new ImageNotInStoreError(`image ${sha256} is not in the image store ${dir} (lab.yaml store.images): copy it there (any file name; or named by its sha256)`);
}

export { sha256Of };
